"""Evaluation metrics: hand-worked values, and agreement with an independent COCOeval reference
(tests/python/coco_reference.py) on randomised datasets and on coco128."""

from __future__ import annotations

import json
import logging
import os
import pathlib
import sys

import numpy as np
import pytest

import autodistill_cpp as ad

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import coco_reference as ref  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("AUTODISTILL_SHARED_DIR", ROOT.parent / "shared"))
COCO128_GT = SHARED / "data" / "coco128" / "annotations" / "instances_train2017_coco128.json"
TOL = 1e-6
# Largest differences seen by the agreement tests, printed at the end of the session (pytest -s).
AGREEMENT = {"trials": 0, "max_abs_diff": 0.0}


def dets(rows):
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
    return ad.Detections(rows[:, :4], confidence=rows[:, 4], class_id=rows[:, 5].astype(np.int64))


def q8(x):
    """Rounds to a multiple of 1/8: exact in float32, so xyxy <-> xywh round trips are exact."""
    return np.round(np.asarray(x) * 8.0) / 8.0


def random_dataset(seed, n_images=12, cat_ids=(1, 2, 5, 9), crowd_rate=0.08, zero_id=False):
    """COCO gt dict + results list with every situation the rules care about."""
    rng = np.random.default_rng(seed)
    images = [{"id": int(i)} for i in rng.choice(np.arange(1, 1000), size=n_images, replace=False)]
    anns, results = [], []
    present_cats = [c for c in cat_ids if c != cat_ids[-1] or seed % 2]  # the last category has no truth on even seeds
    next_id = 0 if zero_id else 1
    for im in images:
        if rng.random() < 0.15:  # image without truth
            n_by_cat = {}
        else:
            n_by_cat = {c: int(rng.integers(0, 6)) for c in present_cats}
        for c, n in n_by_cat.items():
            for _ in range(n):
                side = float(np.exp(rng.uniform(np.log(6), np.log(320))))
                w, h = q8(side * rng.uniform(0.5, 1.5)), q8(side * rng.uniform(0.5, 1.5))
                x, y = q8(rng.uniform(0, 640)), q8(rng.uniform(0, 480))
                crowd = int(rng.random() < crowd_rate)
                # "area" is the segment area: smaller than the box, sometimes across a size boundary.
                area = float(w * h * (rng.uniform(0.4, 1.0) if rng.random() < 0.5 else 1.0))
                anns.append({"id": next_id, "image_id": im["id"], "category_id": c, "bbox": [x, y, w, h],
                             "area": area, "iscrowd": crowd})
                next_id += 1
                # predictions: jittered copies, duplicates, misses
                for _ in range(int(rng.choice([0, 1, 1, 1, 2]))):
                    jx, jy = q8(x + rng.normal(0, 0.08) * w), q8(y + rng.normal(0, 0.08) * h)
                    jw, jh = q8(w * rng.uniform(0.75, 1.25)), q8(h * rng.uniform(0.75, 1.25))
                    results.append({"image_id": im["id"], "category_id": c, "bbox": [jx, jy, jw, jh],
                                    "score": 0.0})
        # false positives, also in categories without truth
        for _ in range(int(rng.integers(0, 5))):
            w, h = q8(rng.uniform(4, 200)), q8(rng.uniform(4, 200))
            results.append({"image_id": im["id"], "category_id": int(rng.choice(cat_ids)),
                            "bbox": [q8(rng.uniform(0, 600)), q8(rng.uniform(0, 400)), w, h], "score": 0.0})
    if seed % 3 == 0:  # one image and category beyond maxDets=100
        im = images[0]["id"]
        for _ in range(130):
            results.append({"image_id": im, "category_id": cat_ids[0],
                            "bbox": [q8(rng.uniform(0, 600)), q8(rng.uniform(0, 400)), 30.0, 30.0], "score": 0.0})
    # scores: float32-exact, coarse on half of the seeds to create ties
    for r in results:
        s = rng.random()
        r["score"] = float(np.float32(np.round(s * 20) / 20 if seed % 2 else s))
    order = rng.permutation(len(results))
    results = [results[i] for i in order]
    gt = {"images": images, "annotations": anns, "categories": [{"id": c, "name": f"c{c}"} for c in cat_ids]}
    return gt, results


def compare(ours, theirs, what):
    diff = float(np.max(np.abs(np.asarray(ours, dtype=float) - np.asarray(theirs, dtype=float)))) if np.size(ours) else 0.0
    AGREEMENT["trials"] += 1
    AGREEMENT["max_abs_diff"] = max(AGREEMENT["max_abs_diff"], diff)
    assert diff <= TOL, f"{what}: max |difference| {diff}"


@pytest.fixture(scope="module", autouse=True)
def _report_agreement():
    yield
    print(f"\nCOCO reference agreement: {AGREEMENT['trials']} comparisons, "
          f"max |C++ - reference| = {AGREEMENT['max_abs_diff']:.3g}")


# ---- agreement with the reference ---------------------------------------------------------------
@pytest.mark.parametrize("seed", range(24))
def test_coco_evaluate_matches_reference(seed):
    gt, results = random_dataset(seed, zero_id=(seed == 5))
    expected = ref.evaluate(gt, results)
    got = ad.coco_evaluate_detailed(gt, results)
    assert np.count_nonzero(expected["stats"] > 0) >= 10, "the random set should exercise every summary"
    compare(got.stats.to_array(), expected["stats"], "stats")
    assert list(got.class_ids) == expected["cat_ids"]
    compare(got.precision, expected["precision"], "precision (T, R, K, A, M)")
    compare(got.recall, expected["recall"], "recall (T, K, A, M)")
    compare(got.ap_per_class, expected["ap_per_class"], "AP per class")
    compare(ad.coco_evaluate(json.dumps(gt), json.dumps(results)).to_array(), expected["stats"], "stats from text")


@pytest.mark.parametrize("method", ["voc", "voc11"])
@pytest.mark.parametrize("seed", range(4))
def test_voc_methods_match_reference(seed, method):
    gt, results = random_dataset(100 + seed)
    expected = ref.evaluate(gt, results, ap_method=method)
    got = ad.coco_evaluate_detailed(gt, results, ap_method=method)
    compare(got.average_precision, expected["ap"], f"{method} AP table")
    compare(got.stats.to_array(), expected["stats"], f"{method} stats")


@pytest.mark.parametrize("max_dets", [(1, 3, 5), (2, 4, 100)])
@pytest.mark.parametrize("seed", range(3))
def test_custom_max_detections_match_reference(seed, max_dets):
    gt, results = random_dataset(300 + seed)
    expected = ref.evaluate(gt, results, max_dets=max_dets)
    got = ad.coco_evaluate_detailed(gt, results, max_detections=max_dets)
    compare(got.stats.to_array(), expected["stats"], f"stats, maxDets {max_dets}")
    compare(got.recall, expected["recall"], f"recall, maxDets {max_dets}")


@pytest.mark.parametrize("seed", range(8))
def test_accumulator_matches_reference(seed):
    """MeanAveragePrecision.update() with Detections gives the numbers of the json path."""
    gt, results = random_dataset(200 + seed)
    cat_ids = [c["id"] for c in gt["categories"]]
    cls = {c: k for k, c in enumerate(cat_ids)}
    m = ad.MeanAveragePrecision(num_classes=len(cat_ids))
    for im in gt["images"]:
        anns = [a for a in gt["annotations"] if a["image_id"] == im["id"]]
        res = [r for r in results if r["image_id"] == im["id"]]
        xyxy = lambda b: [b[0], b[1], b[0] + b[2], b[1] + b[3]]  # noqa: E731
        truth = dets([xyxy(a["bbox"]) + [1.0, cls[a["category_id"]]] for a in anns])
        pred = dets([xyxy(r["bbox"]) + [r["score"], cls[r["category_id"]]] for r in res])
        m.update(pred, truth, image_id=im["id"], truth_iscrowd=[a["iscrowd"] for a in anns],
                 truth_area=[a["area"] for a in anns])
    got = m.compute()
    expected = ref.evaluate(gt, results)
    compare(got.stats.to_array(), expected["stats"], "accumulator stats")
    compare(got.precision, expected["precision"], "accumulator precision")
    assert list(got.class_ids) == list(range(len(cat_ids)))


def coco128_predictions(gt, seed):
    rng = np.random.default_rng(seed)
    sizes = {im["id"]: (im["width"], im["height"]) for im in gt["images"]}
    cats = [c["id"] for c in gt["categories"]]
    results = []
    for a in gt["annotations"]:
        if rng.random() < 0.2:
            continue  # missed
        x, y, w, h = a["bbox"]
        for _ in range(1 + int(rng.random() < 0.15)):  # some duplicates
            results.append({"image_id": a["image_id"], "category_id": a["category_id"],
                            "bbox": [x + rng.normal(0, 0.06) * w, y + rng.normal(0, 0.06) * h,
                                     w * rng.uniform(0.8, 1.2), h * rng.uniform(0.8, 1.2)],
                            "score": float(rng.uniform(0.2, 1.0))})
    for im in gt["images"]:
        W, H = sizes[im["id"]]
        for _ in range(int(rng.integers(0, 4))):  # false positives
            w, h = rng.uniform(10, W / 2), rng.uniform(10, H / 2)
            results.append({"image_id": im["id"], "category_id": int(rng.choice(cats)),
                            "bbox": [rng.uniform(0, W - w), rng.uniform(0, H - h), w, h],
                            "score": float(rng.uniform(0.0, 0.9))})
    return results


@pytest.mark.parametrize("seed", range(2))
def test_coco128_matches_reference(seed, tmp_path):
    if not COCO128_GT.exists():
        pytest.skip(f"{COCO128_GT} missing (third-party data under ../shared)")
    gt = json.loads(COCO128_GT.read_text())
    results = coco128_predictions(gt, seed)
    (tmp_path / "results.json").write_text(json.dumps(results))
    expected = ref.evaluate(gt, results)
    got = ad.coco_evaluate_detailed(COCO128_GT, tmp_path / "results.json")
    compare(got.stats.to_array(), expected["stats"], "coco128 stats")
    compare(got.ap_per_class, expected["ap_per_class"], "coco128 AP per class")
    assert 0.1 < got.stats.ap < 0.9  # jittered boxes: neither trivial nor broken


def test_reference_itself_on_hand_worked_cases():
    """The reference must reproduce the hand-worked values too, or agreeing with it proves nothing."""
    gt = {"images": [{"id": 1}], "categories": [{"id": 1}],
          "annotations": [{"id": i + 1, "image_id": 1, "category_id": 1, "bbox": [200.0 * i, 0, 100, 100],
                           "area": 10000.0, "iscrowd": 0} for i in range(3)]}
    res = [{"image_id": 1, "category_id": 1, "bbox": [200.0 * s, 0, 100, 100], "score": sc}
           for s, sc in [(0, 0.9), (3, 0.8), (1, 0.7), (4, 0.6)]]
    assert ref.evaluate(gt, res)["stats"][0] == pytest.approx(56 / 101)
    assert ref.evaluate(gt, res, ap_method="voc")["stats"][1] == pytest.approx(5 / 9)
    assert ref.evaluate(gt, res, ap_method="voc11")["stats"][1] == pytest.approx(6 / 11)
    # An exact IoU tie (.5 with both halves of the prediction): the later truth box wins.
    gt = {"images": [{"id": 1}], "categories": [{"id": 1}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 50], "area": 5000.0,
                           "iscrowd": 0},
                          {"id": 2, "image_id": 1, "category_id": 1, "bbox": [0, 50, 100, 50], "area": 5000.0,
                           "iscrowd": 0}]}
    res = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 100], "score": 0.9},
           {"image_id": 1, "category_id": 1, "bbox": [0, 50, 100, 50], "score": 0.8}]
    assert ref.evaluate(gt, res)["stats"][1] == pytest.approx(51 / 101)
    assert ad.coco_evaluate(gt, res).ap50 == pytest.approx(51 / 101)
    assert ad.coco_evaluate(gt, res).ap == pytest.approx(280.5 / 1010)


# ---- Python surface --------------------------------------------------------------------------
def test_mean_average_precision_accumulator():
    m = ad.MeanAveragePrecision(num_classes=2)
    m.update(dets([[0, 0, 100, 100, 0.9, 0]]), dets([[0, 0, 100, 100, 1, 0]]))
    r = m.compute()
    assert r.map == pytest.approx(1.0) and r.map50 == pytest.approx(1.0)
    assert r.stats.as_dict()["AP"] == r.map
    assert ad.CocoStats.names == ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm",
                                  "ARl"]
    assert r.ap_per_class.tolist() == pytest.approx([1.0, -1.0])
    assert r.precision.shape == (10, 101, 2, 4, 3)
    assert r.recall.shape == (10, 2, 4, 3)
    assert r.ap_method == "coco" and r.iou_thresholds.shape == (10,)
    d = r.as_dict()
    assert d["stats"]["AP50"] == r.map50 and d["ap_per_class"].tolist() == r.ap_per_class.tolist()
    assert d["input"]["images"] == 1
    assert m.num_images == 1
    with pytest.raises(ValueError, match="image_id 0 was already added"):
        m.update(dets([]), dets([]), image_id=0)
    m.reset()
    assert m.num_images == 0 and m.compute().map == -1
    with pytest.raises(ValueError, match="unknown AP method"):
        ad.MeanAveragePrecision(ap_method="voc2012")


def test_bad_input_is_counted_and_logged(caplog):
    m = ad.MeanAveragePrecision(num_classes=2)
    pred = dets([[0, 0, 10, 10, np.nan, 0], [0, 0, 10, 10, 0.5, 4], [0, 0, 10, 10, 0.5, 1]])
    truth = dets([[10, 10, 0, 0, 1, 1]])  # x2 < x1
    m.update(pred, truth)
    with caplog.at_level(logging.WARNING, logger="autodistill_cpp"):
        r = m.compute()
    assert r.input.as_dict()["predictions_nan_score"] == 1
    assert r.input.predictions_bad_class == 1
    assert r.input.truths_invalid_box == 1
    assert r.map == 0.0  # the invalid truth box cannot be matched
    assert any("1 predictions with NaN confidence dropped" in rec.getMessage() for rec in caplog.records)


def test_precision_recall_and_confusion_matrix():
    pr = ad.PrecisionRecall(num_classes=2, confidence_threshold=0.3, iou_threshold=0.5)
    pr.update(dets([[0, 0, 10, 10, 0.9, 0], [0, 0, 10, 10, 0.8, 0], [50, 50, 60, 60, 0.1, 1]]),
              dets([[0, 0, 10, 10, 1, 0], [50, 50, 60, 60, 1, 1]]))
    r = pr.compute()
    assert r.tp.tolist() == [1, 0] and r.fp.tolist() == [1, 0] and r.fn.tolist() == [0, 1]
    assert r.precision[0] == pytest.approx(0.5) and np.isnan(r.precision[1])
    assert r.f1.tolist()[1] == 0.0
    assert r.micro_f1 == pytest.approx(2 / 4)
    assert r.as_dict()["tp"].tolist() == [1, 0] and r.as_dict()["total_fn"] == 1

    cm = ad.ConfusionMatrix(num_classes=2, confidence_threshold=0.3)
    cm.update(dets([[0, 0, 10, 10, 0.9, 1], [20, 20, 30, 30, 0.9, 0]]), dets([[0, 0, 10, 10, 1, 0]]))
    assert cm.compute().tolist() == [[0, 1, 0], [0, 0, 0], [1, 0, 0]]  # rows truth, columns prediction
    assert cm.compute().dtype == np.int64

    assert ad.image_agreement(dets([]), dets([])) == 1.0
    assert ad.image_agreement(dets([[0, 0, 10, 10, 0.9, 0]]), dets([[0, 0, 10, 10, 1, 0]])) == 1.0
    assert ad.image_agreement(dets([[0, 0, 10, 10, 0.9, 1]]), dets([[0, 0, 10, 10, 1, 0]])) == 0.0


def test_coco_evaluate_accepts_paths_text_and_objects(tmp_path):
    gt, results = random_dataset(7)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(results))
    a = ad.coco_evaluate(tmp_path / "gt.json", str(tmp_path / "res.json")).to_array()
    b = ad.coco_evaluate(gt, results).to_array()
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="is not an image of the ground truth"):
        ad.coco_evaluate(gt, [{"image_id": -5, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1.0}])
    with pytest.raises(OSError):
        ad.coco_evaluate(tmp_path / "nope.json", "[]")
    with pytest.raises(TypeError):
        ad.coco_evaluate(3, "[]")
