"""DetectionDataset from Python: YOLO / COCO / VOC round trips, split, stats, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import autodistill_cpp as ad


def make_dataset(tmp_path):
    img_a = tmp_path / "src" / "a.png"
    img_b = tmp_path / "src" / "b.png"
    img_a.parent.mkdir(parents=True)
    ad.save_image(img_a, np.full((50, 100, 3), 60, np.uint8))
    ad.save_image(img_b, np.full((20, 40, 3), 60, np.uint8))
    a = ad.DatasetImage()
    a.path, a.relative_path, a.width, a.height, a.split = str(img_a), "a.png", 100, 50, "train"
    a.detections = ad.Detections([[10, 5, 30, 25]], class_id=[1])
    b = ad.DatasetImage()
    b.path, b.relative_path, b.width, b.height, b.split = str(img_b), "b.png", 40, 20, "valid"
    return ad.DetectionDataset(["cat", "dog"], [a, b])


def test_yolo_round_trip_and_rows(tmp_path):
    ds = make_dataset(tmp_path)
    assert len(ds) == 2
    ds.as_yolo(tmp_path / "yolo")
    assert (tmp_path / "yolo" / "train" / "labels" / "a.txt").read_text() == "1 0.200000 0.300000 0.200000 0.400000\n"
    assert (tmp_path / "yolo" / "valid" / "labels" / "b.txt").read_text() == ""
    back = ad.DetectionDataset.from_yolo(tmp_path / "yolo")
    assert back.classes == ["cat", "dog"]
    path, det = back[0]
    assert path.endswith("a.png")
    np.testing.assert_allclose(det.xyxy, [[10, 5, 30, 25]], atol=1e-3)
    assert [im.split for im in back.images] == ["train", "valid"]
    stats = back.stats()
    assert stats["boxes_per_class"] == {"cat": 0, "dog": 1}
    assert stats["empty_images"] == 1
    assert [p for p, _ in back] == [back[0][0], back[1][0]]


def test_coco_and_voc_round_trips(tmp_path):
    ds = make_dataset(tmp_path)
    ds.as_coco(tmp_path / "c" / "ann.json", images_dir=tmp_path / "c" / "images")
    doc = json.loads((tmp_path / "c" / "ann.json").read_text())
    assert doc["annotations"][0]["bbox"] == [10, 5, 20, 20]
    c = ad.DetectionDataset.from_coco(tmp_path / "c" / "images", tmp_path / "c" / "ann.json")
    assert c.coco_category_ids == [0, 1]
    c.as_pascal_voc(tmp_path / "v" / "ann", tmp_path / "v" / "img")
    v = ad.DetectionDataset.from_pascal_voc(tmp_path / "v" / "img", tmp_path / "v" / "ann", ["cat", "dog"])
    np.testing.assert_array_equal(v[0][1].xyxy, [[10, 5, 30, 25]])
    assert v[0][1].data["difficult"].tolist() == [0]


def test_split_is_the_path_hash_rule(tmp_path):
    ds = make_dataset(tmp_path)
    ds.split(0.5, seed=3)
    assert [im.split for im in ds.images] == [ad.split_for_path(p, 0.5, 3) for p in ("a.png", "b.png")]


def test_errors_are_oserror_with_file_and_line(tmp_path):
    ds = make_dataset(tmp_path)
    ds.as_yolo(tmp_path / "y")
    (tmp_path / "y" / "train" / "labels" / "a.txt").write_text("0 0.5 0.5 0.1 0.1\n7 0.5 0.5 0.1 0.1\n")
    with pytest.raises(OSError, match=r"a\.txt:2: class id 7 is not below nc = 2"):
        ad.DetectionDataset.from_yolo(tmp_path / "y")
    with pytest.raises(OSError, match="does not exist"):
        ad.DetectionDataset.from_yolo(tmp_path / "missing")
