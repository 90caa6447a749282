"""YOLO.export_torchscript: the archive runs under Debian's torch.jit.load and, with the caller's own
letterbox + decode + torchvision NMS, finds the detections YOLO.predict finds."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torchvision.ops

import autodistill_cpp as ad
from conftest import test_image


def torchscript_predict(module, image, imgsz, confidence=0.0, iou=0.7, max_det=300):
    """What YOLO.predict does, with the exported module and plain torch."""
    canvas, transform = ad.letterbox(image, imgsz, imgsz)  # 114 grey padding
    rgb = np.ascontiguousarray(canvas[:, :, ::-1])
    x = torch.from_numpy(rgb).permute(2, 0, 1).float().div(255.0).unsqueeze(0)
    with torch.no_grad():
        out = module(x)[0]  # (A, 4 + nc)
    boxes, scores = out[:, :4], out[:, 4:]
    conf, cls = scores.max(1)
    keep = conf >= confidence
    boxes, conf, cls = boxes[keep], conf[keep], cls[keep]
    kept = torchvision.ops.batched_nms(boxes, conf, cls, iou)[:max_det]
    return transform.to_source(boxes[kept].numpy()), conf[kept].numpy(), cls[kept].numpy()


def test_exported_module_finds_predicts_detections(tmp_path):
    model = ad.YOLO("n", ["cone", "person"], imgsz=96)
    model.export_torchscript(tmp_path / "m.pt")
    extra = {"autodistill.json": ""}
    module = torch.jit.load(str(tmp_path / "m.pt"), map_location="cpu", _extra_files=extra)
    meta = json.loads(extra["autodistill.json"])
    assert meta["classes"] == list(module.classes) == ["cone", "person"]
    assert meta["imgsz"] == module.imgsz == 96 and meta["scale"] == module.scale == "n"

    image = test_image(48, 80)  # not square: the letterbox pads and the boxes map back
    # An untrained network scores every anchor almost alike, so with real suppression NMS would
    # break near ties arbitrarily. IoU threshold 1 keeps every anchor (189 at 96 px, under
    # max_det): both sides must then return the same set, box for box.
    expected = model.predict(image, confidence=0.0, iou=1.0)
    boxes, conf, cls = torchscript_predict(module, image, 96, confidence=0.0, iou=1.0)
    assert len(expected) == len(conf) == 144 + 36 + 9
    matched = set()
    for i in range(len(expected)):
        j = int(np.abs(boxes - expected.xyxy[i]).max(1).argmin())
        matched.add(j)
        assert np.abs(boxes[j] - expected.xyxy[i]).max() < 1e-2  # source pixels (80 wide)
        assert cls[j] == expected.class_id[i]
        assert conf[j] == pytest.approx(expected.confidence[i], rel=1e-4)
    assert len(matched) == len(conf)
    # With real suppression both keep about as many boxes.
    kept = torchscript_predict(module, image, 96, confidence=0.0, iou=0.7)[1]
    assert len(kept) == pytest.approx(len(model.predict(image, confidence=0.0, iou=0.7)), rel=0.1)


def test_export_to_unwritable_path_is_an_oserror(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError, match="file"):
        ad.YOLO("n", ["a"], imgsz=64).export_torchscript(tmp_path / "file" / "m.pt")
