"""autodistill_cpp.YOLO: a short training run from a data.yaml, predict, evaluate, save/load."""

from __future__ import annotations

import numpy as np
import pytest

import autodistill_cpp as ad


def write_dataset(tmp_path, n=8):
    rng = np.random.default_rng(0)
    images = []
    for i in range(n):
        img = rng.integers(60, 120, (64, 64, 3), dtype=np.uint8)
        x, y = int(rng.integers(0, 30)), int(rng.integers(0, 30))
        img[y:y + 24, x:x + 24] = (20, 20, 230)
        path = tmp_path / "src" / f"im{i}.png"
        path.parent.mkdir(exist_ok=True)
        ad.save_image(str(path), img)
        im = ad.DatasetImage()
        im.path, im.relative_path, im.width, im.height = str(path), path.name, 64, 64
        im.detections = ad.Detections([[x, y, x + 24, y + 24]], confidence=[1.0], class_id=[0])
        im.split = "valid" if i % 4 == 0 else "train"
        images.append(im)
    ds = ad.DetectionDataset(["square"], images)
    ds.as_yolo(tmp_path / "data")
    return ds


def test_yolo_train_predict_evaluate_save_load(tmp_path):
    ds = write_dataset(tmp_path)
    model = ad.YOLO("n", ["square"], imgsz=64)
    history = model.train(tmp_path / "data" / "data.yaml", epochs=2, imgsz=64, batch=4)
    assert [h["epoch"] for h in history] == [0, 1]
    assert all(np.isfinite([h["box"] + h["cls"] + h["dfl"] for h in history]))
    assert 0 <= history[-1]["map50"] <= 1
    img = ad.load_image(ds.images[0].path)
    before = model.predict(img, confidence=0.0)
    model.save(tmp_path / "m.safetensors")
    loaded = ad.YOLO.load(tmp_path / "m.safetensors")
    assert loaded.classes == ["square"] and loaded.imgsz == 64
    after = loaded.predict(img, confidence=0.0)
    assert np.allclose(before.xyxy, after.xyxy, atol=1e-4)
    report = loaded.evaluate(ds, split="valid")
    assert len(report.images) == 2
    # A TargetModel: a checkpoint path in place of the scale, a dataset path in place of the dataset.
    same = ad.YOLO(tmp_path / "m.safetensors")
    assert isinstance(same, ad.TargetModel) and same.classes == ["square"]
    on_disk = same.evaluate(tmp_path / "data" / "data.yaml", split="valid")
    assert len(on_disk.images) == 2 and on_disk.coco_stats == pytest.approx(report.coco_stats)
    with pytest.raises(ValueError, match="not the model's"):
        ad.YOLO("n", ["other"], imgsz=64).train(tmp_path / "data" / "data.yaml", epochs=1, imgsz=64)


def test_yolo_without_classes_takes_the_datasets(tmp_path):
    write_dataset(tmp_path)
    model = ad.YOLO("n", imgsz=64)
    with pytest.raises(ValueError, match="no classes yet"):
        model.predict(np.zeros((32, 32, 3), np.uint8))
    history = model.train(tmp_path / "data" / "data.yaml", epochs=1, batch=4, project=tmp_path / "run",
                          progress=False)   # imgsz: the model's (64)
    assert model.classes == ["square"] and model.num_parameters() > 3_000_000 and model.imgsz == 64
    assert len(history) == 1 and ad.YOLO(tmp_path / "run" / "weights" / "best.safetensors").imgsz == 64


def test_yolo_train_run_folder_callbacks_and_keywords(tmp_path):
    write_dataset(tmp_path)
    model = ad.YOLO("n", ["square"], imgsz=64)
    seen, states = [], []
    history = model.train(tmp_path / "data" / "data.yaml", epochs=2, imgsz=64, batch=4, device="cpu",
                          optimizer="SGD", mosaic=0.5, project=tmp_path / "run", progress=states.append,
                          on_epoch=seen.append)
    assert [e["epoch"] for e in seen] == [0, 1] and seen == history
    assert all(h["lr"] > 0 and h["seconds"] > 0 for h in history)
    assert states and states[-1]["finished"] and "box" in states[-1]["detail"]
    rows = (tmp_path / "run" / "results.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,train/box_loss") and len(rows) == 3
    assert ad.load_image(tmp_path / "run" / "results.png").shape[1] == 1200
    last = ad.YOLO.load(tmp_path / "run" / "weights" / "last.safetensors")
    assert last.classes == ["square"] and last.device == "cpu"
    # A finished run resumes to its history without training again.
    again = ad.YOLO("n", ["square"], imgsz=64).train(tmp_path / "data" / "data.yaml", epochs=2, imgsz=64, batch=4,
                                                     optimizer="SGD", project=tmp_path / "run", resume=True,
                                                     progress=False)
    assert [h["box"] for h in again] == pytest.approx([h["box"] for h in history])
    with pytest.raises(TypeError, match="unexpected keyword 'epoch'.*valid keywords"):
        model.train(tmp_path / "data" / "data.yaml", epoch=3)
    with pytest.raises(ValueError, match="'auto', 'SGD' or 'AdamW'"):
        model.train(tmp_path / "data" / "data.yaml", optimizer="Adam", imgsz=64, progress=False)


def test_yolo_train_ctrl_c_leaves_a_resumable_run(tmp_path):
    import os
    import signal
    import threading

    write_dataset(tmp_path)
    model = ad.YOLO("n", ["square"], imgsz=64)

    def press_ctrl_c_soon(epoch):  # as if the user pressed Ctrl-C while epoch 2 trains
        threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT)).start()

    with pytest.raises(KeyboardInterrupt):
        model.train(tmp_path / "data" / "data.yaml", epochs=3, imgsz=64, batch=4, project=tmp_path / "run",
                    progress=False, on_epoch=press_ctrl_c_soon)
    stopped = ad.YOLO.load(tmp_path / "run" / "weights" / "last.safetensors")  # usable as it is
    assert stopped.classes == ["square"]
    history = ad.YOLO("n", ["square"], imgsz=64).train(tmp_path / "data" / "data.yaml", epochs=3, imgsz=64,
                                                       batch=4, project=tmp_path / "run", resume=True,
                                                       progress=False)
    assert [h["epoch"] for h in history] == [0, 1, 2]


def test_yolo_train_bad_data_is_named(tmp_path):
    write_dataset(tmp_path)
    data = tmp_path / "data" / "data.yaml"
    model = ad.YOLO("n", ["square"], imgsz=64)
    # A label id beyond nc: the label file and line are named.
    label = sorted((tmp_path / "data" / "train" / "labels").glob("*.txt"))[0]
    good = label.read_text()
    label.write_text("3 0.5 0.5 0.2 0.2\n")
    with pytest.raises(OSError, match=rf"{label.name}:1: class id 3 is not below nc = 1"):
        model.train(data, epochs=1, imgsz=64, progress=False)
    label.write_text(good)
    # A data.yaml whose split folder is missing.
    bad = tmp_path / "data" / "bad.yaml"
    bad.write_text(data.read_text().replace("train/images", "nowhere/images"))
    with pytest.raises(OSError, match="nowhere"):
        model.train(bad, epochs=1, imgsz=64, progress=False)
    # A model made for other classes cannot train on this dataset.
    other = ad.YOLO("n", ["circle"], imgsz=64)
    with pytest.raises(ValueError, match=r"\[square\] are not the model's \[circle\]"):
        other.train(data, epochs=1, imgsz=64, progress=False)
