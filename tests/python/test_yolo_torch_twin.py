"""bench/yolo_torch_twin.py does the same work as the C++ YOLO, so bench_yolo's C++/Python ratios are honest:
same parameter tree (a YOLO.save checkpoint loads strictly), same loss, same AdamW step, same predictions."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import autodistill_cpp as ad

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
pytest.importorskip("cv2")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import yolo_torch_twin as twin  # noqa: E402

SIZE = 64
CLASSES = ["square", "bar"]


def test_twin_parameter_tree_matches_cpp():
    names = [f"c{i}" for i in range(80)]
    net = twin.YoloNet("n", 80)
    count = sum(p.numel() for p in net.parameters())
    assert count == 3_157_200 == ad.YOLO("n", names).num_parameters()
    assert sum(p.numel() for p in twin.YoloNet("s", 3).parameters()) == ad.YOLO("s", names[:3]).num_parameters()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A C++ model saved before and after one training step (one batch holds every training image)."""
    tmp = tmp_path_factory.mktemp("twin")
    rng = np.random.default_rng(1)
    images, train = [], []
    for i in range(8):
        img = rng.integers(40, 140, (SIZE, SIZE, 3), dtype=np.uint8)
        boxes, labels = [], []
        for j in range(1 + i % 3):  # 1-3 boxes: the padded truth rows are exercised
            x, y, w, h = (int(v) for v in np.r_[rng.integers(2, 30, 2), rng.integers(8, 30, 2)])
            img[y:y + h, x:x + w] = (20, 20, 230) if j % 2 == 0 else (230, 40, 20)
            boxes.append([x, y, x + w, y + h])
            labels.append(j % 2)
        path = tmp / "src" / f"im{i}.png"
        path.parent.mkdir(exist_ok=True)
        ad.save_image(str(path), img)
        im = ad.DatasetImage()
        im.path, im.relative_path, im.width, im.height = str(path), path.name, SIZE, SIZE
        im.detections = ad.Detections(boxes, confidence=[1.0] * len(boxes), class_id=labels)
        im.split = "valid" if i >= 6 else "train"
        images.append(im)
        if im.split == "train":
            train.append((img, np.array(boxes, np.float32), np.array(labels)))
    ad.DetectionDataset(CLASSES, images).as_yolo(tmp / "data")
    model = ad.YOLO("n", CLASSES, imgsz=SIZE)
    model.save(tmp / "init.safetensors")
    # No warm-up: the single step runs at the peak lr; no augmentation: the twin sees the same pixels;
    # no EMA: the saved weights are those after the step.
    history = model.train(tmp / "data" / "data.yaml", epochs=1, imgsz=SIZE, batch=8, optimizer="AdamW", lr=2e-3,
                          weight_decay=5e-4, warmup_epochs=0, augment=False, ema=False, progress=False)
    model.save(tmp / "step1.safetensors")
    return tmp, train, history[0]


def twin_batch(train):
    """The training images as yolo_train.cpp batches them: RGB in [0, 1], truth padded to the most boxes."""
    m = max(len(b) for _, b, _ in train)
    images = torch.stack([torch.from_numpy(img[:, :, ::-1].copy()).permute(2, 0, 1).float() / 255.0
                          for img, _, _ in train])
    boxes, labels = torch.zeros(len(train), m, 4), torch.zeros(len(train), m, dtype=torch.long)
    mask = torch.zeros(len(train), m, dtype=torch.bool)
    for k, (_, b, l) in enumerate(train):
        boxes[k, :len(b)], labels[k, :len(b)], mask[k, :len(b)] = torch.from_numpy(b), torch.from_numpy(l), True
    return images, labels, boxes, mask


def test_checkpoint_loads_strictly_and_loss_matches_cpp(trained):
    tmp, train, epoch = trained
    net, info = twin.load_checkpoint(tmp / "init.safetensors")  # load_state_dict(strict=True)
    assert info["classes"] == CLASSES
    net.train()
    images, labels, boxes, mask = twin_batch(train)
    total, box, cls, dfl = twin.detection_loss(net(images), net.strides, net.reg_max, net.nc, labels, boxes, mask)
    # The C++ epoch's loss parts are those of its single step, on the same weights and images.
    assert box > 0 and dfl > 0
    assert [box, cls, dfl] == pytest.approx([epoch["box"], epoch["cls"], epoch["dfl"]], rel=1e-4)
    assert float(total) == pytest.approx((box + cls + dfl) * len(train), rel=1e-6)


def test_adamw_step_matches_cpp(trained):
    tmp, train, _ = trained
    net, _ = twin.load_checkpoint(tmp / "init.safetensors")
    before = {k: v.clone() for k, v in net.state_dict().items()}
    net.train()
    opt = twin.make_optimizer(net, lr=2e-3, weight_decay=5e-4)
    twin.train_step(net, opt, *twin_batch(train))
    after, _ = twin.read_safetensors(tmp / "step1.safetensors")
    state = net.state_dict()
    assert set(after) == set(state)
    moved = off = total = 0
    for name, ref in after.items():
        d = (state[name].double() - ref.double()).abs()
        if "running" in name:  # BatchNorm statistics: no optimiser in between
            assert d.max() < 1e-5, name
        # A first Adam step moves a weight by about lr (2e-3) in the gradient's sign, whatever the loss
        # scale (the loss test checks values), so a wrong sign, decay or bias correction shows on most
        # entries. Where |grad| is near Adam's eps (1e-8), summation-order noise (C++ shuffles the batch)
        # (and the gradient-norm clipping that rescales it) can move single entries by up to 2 lr: allow
        # one in a thousand; a real mismatch moves most entries.
        off += int((d > 1e-5).sum())
        total += ref.numel()
        moved += int((ref.double() - before[name].double()).abs().gt(1e-4).sum())
    assert off <= 1e-3 * total
    assert moved > total // 2


def test_predictions_match_cpp(trained):
    tmp, _, _ = trained
    net, info = twin.load_checkpoint(tmp / "step1.safetensors")
    model = ad.YOLO.load(tmp / "step1.safetensors")
    rng = np.random.default_rng(2)
    image = rng.integers(0, 255, (70, 100, 3), dtype=np.uint8)  # not square, not 64: letterbox resizes and pads
    image[20:50, 30:60] = (20, 20, 230)
    ref = model.predict(image, confidence=0.0, iou=0.7)
    xyxy, scores, classes = twin.predict(net, image, info["imgsz"], confidence=0.0, iou=0.7)
    assert 5 < len(ref) < 84  # NMS removed some of the 84 anchors' boxes, kept several
    assert len(xyxy) == len(ref)
    np.testing.assert_array_equal(classes, ref.class_id)
    np.testing.assert_allclose(scores, ref.confidence, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(xyxy, ref.xyxy, atol=1e-3)
