"""evaluate / EvaluationReport / report_html / plot / grid and the matplotlib helpers."""

from __future__ import annotations

import json

import numpy as np
import pytest

import autodistill_cpp as ad
from autodistill_cpp import plotting


def box(slot, score=0.9, cls=0):
    x = 200.0 * slot
    return [x, 0.0, x + 100.0, 100.0], score, cls


def dets(*rows):
    if not rows:
        return ad.Detections.empty()
    return ad.Detections([r[0] for r in rows], confidence=[r[1] for r in rows], class_id=[r[2] for r in rows])


def image(tmp_path, name, detections):
    path = tmp_path / name
    ad.save_image(str(path), np.full((200, 1000, 3), 128, np.uint8))
    im = ad.DatasetImage()
    im.path, im.relative_path, im.width, im.height = str(path), name, 1000, 200
    im.detections = detections
    return im


@pytest.fixture
def pair(tmp_path):
    truth = ad.DetectionDataset(["cat", "dog"], [image(tmp_path, "a.png", dets(box(0, 1, 0))),
                                                 image(tmp_path, "b.png", dets(box(0, 1, 0), box(1, 1, 1))),
                                                 image(tmp_path, "t_only.png", dets(box(0, 1, 0)))])
    pred = ad.DetectionDataset(["kitty", "dog"], [image(tmp_path, "a.png", dets(box(0, 1.0, 0))),
                                                  image(tmp_path, "b.png", dets(box(0, 0.9, 0))),
                                                  image(tmp_path, "p_only.png", dets())])
    return pred, truth


def test_evaluate_class_map_queue_and_unmatched(pair):
    pred, truth = pair
    r = ad.evaluate(pred, truth, class_map={"kitty": "cat"})
    assert r.classes == ["cat", "dog"]
    assert r.invented_classes == []
    assert r.missed_classes == ["dog"]
    assert r.prediction_images_without_truth == ["p_only.png"]
    assert r.truth_images_without_predictions == ["t_only.png"]
    assert [im["relative_path"] for im in r.images] == ["a.png", "b.png"]
    # b.png: TP 1, FN 1 -> F1 2/3; score 1/3 + 0.5 * 1/2 + 0.25 * 0.1.
    q = r.review_queue
    assert len(q) == 1 and q[0]["relative_path"] == "b.png"
    assert q[0]["review_score"] == pytest.approx(1 / 3 + 0.25 + 0.025)
    assert "1 missed box" in q[0]["reason"] and "missed class dog" in q[0]["reason"]
    assert r.agreement_share == pytest.approx(0.5)
    assert r.coco_stats["AP50"] == pytest.approx(0.5)  # cat 1.0, dog 0.0
    assert r.confusion_matrix.shape == (3, 3) and r.confusion_matrix[1, 2] == 1
    per = {c["name"]: c for c in r.per_class}
    assert per["dog"]["precision"] is None and per["dog"]["recall"] == 0.0
    assert json.loads(r.to_json())["review_queue"][0]["relative_path"] == "b.png"
    assert "b.png" in r.to_table()
    assert repr(r).startswith("EvaluationReport(images=2, mAP=")


def test_evaluate_without_map_invents(pair):
    pred, truth = pair
    r = ad.evaluate(pred, truth)
    assert r.invented_classes == ["kitty"]
    assert r.classes == ["cat", "dog", "kitty"]
    assert set(r.missed_classes) == {"cat", "dog"}
    with pytest.raises(ValueError, match="'kity' is not a prediction class"):
        ad.evaluate(pred, truth, class_map={"kity": "cat"})
    with pytest.raises(ValueError, match="iou"):
        ad.evaluate(pred, truth, iou=2.0)


def test_report_html_is_self_contained(pair, tmp_path):
    pred, truth = pair
    r = ad.evaluate(pred, truth, class_map={"kitty": "cat"})
    out = tmp_path / "report.html"
    ad.report_html(r, pred, truth, out, title="t <1>")
    html = out.read_text()
    assert "t &lt;1&gt;" in html
    assert html.count("data:image/png;base64,") == 1
    assert "b.png" in html and "http://" not in html and "https://" not in html


def test_plot_and_grid_shapes():
    img = np.zeros((100, 200, 3), np.uint8)
    drawn = ad.plot(img, dets(box(0, 0.5, 0)), ["cat"])
    assert drawn.shape == img.shape and drawn.any() and not img.any()
    g = ad.grid([img, img, img], columns=2, cell_size=64)
    assert g.shape == (2 * 64 + 3 * 4, 2 * 64 + 3 * 4, 3)
    g2 = ad.grid([img, img], [dets(box(0)), dets()], ["cat"], columns=2, cell_size=64, titles=["a", "b"])
    assert g2.shape == (64 + 2 * 4, 2 * 64 + 3 * 4, 3)
    with pytest.raises(ValueError):
        ad.grid([], columns=2)


def test_show_and_show_grid_headless(pair, tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    pred, truth = pair
    fig = plotting.show(np.zeros((50, 100, 3), np.uint8), title="x", save=str(tmp_path / "one.png"))
    assert (tmp_path / "one.png").stat().st_size > 0
    w, h = fig.get_size_inches()
    assert h == pytest.approx(w / 2)
    fig2 = plotting.show_grid(truth, n=2, seed=1, save=str(tmp_path / "grid.png"))
    assert fig2.axes and (tmp_path / "grid.png").stat().st_size > 0
    # Same seed, same sample; the grid is n cells of 320 px with 4 px gaps (2 columns for n = 2).
    a = plotting.sample_grid(truth, n=2, seed=1)
    b = plotting.sample_grid(truth, n=2, seed=1)
    assert np.array_equal(a, b) and a.shape == (320 + 8, 2 * 320 + 12, 3)
    assert plotting.sample_grid(truth, n=99).shape == (2 * 320 + 12, 2 * 320 + 12, 3)  # 3 images -> 2x2


class PromptColors(ad.BaseModel):
    """A Python model whose prompts work or not: "red thing" finds pure red squares, nothing else works."""

    def __init__(self, ontology):
        super().__init__(ontology)
        self.tag = "alive"  # Python-side state: must survive while C++ holds the model

    def name(self):
        return "prompt_colors_" + self.tag

    def predict(self, image):
        rows = []
        for prompt, cls in zip(self.ontology.prompts(), self.ontology.prompt_class_ids()):
            if prompt != "red thing":
                continue
            ys, xs = np.nonzero((image[:, :, 2] == 255) & (image[:, :, 1] == 0) & (image[:, :, 0] == 0))
            if len(xs):
                rows.append(([float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)], 0.9, cls))
        return dets(*rows)


@pytest.fixture
def colour_truth(tmp_path):
    images = []
    for k in range(2):
        pixels = np.full((100, 200, 3), 40, np.uint8)
        pixels[10:50, 10 + k * 20:60 + k * 20] = (0, 0, 255)   # red
        pixels[20:80, 120:180] = (0, 255, 0)                   # green
        path = tmp_path / f"c{k}.png"
        ad.save_image(str(path), pixels)
        im = ad.DatasetImage()
        im.path, im.relative_path, im.width, im.height = str(path), path.name, 200, 100
        im.detections = dets(([10.0 + k * 20, 10.0, 60.0 + k * 20, 50.0], 1.0, 0), ([120.0, 20.0, 180.0, 80.0], 1.0, 1))
        images.append(im)
    return ad.DetectionDataset(["red", "green"], images)


def test_compare_ontologies_with_a_python_model_factory(colour_truth):
    calls = []

    def factory(ontology):
        calls.append(ontology.prompts())
        return PromptColors(ontology)  # only C++ holds it after this returns

    progress = []
    cmp = ad.compare_ontologies(factory, {"words": {"red thing": "red", "green thing": "green"},
                                          "red only": ad.CaptionOntology({"red thing": "red"})},
                                colour_truth, progress=lambda done, total: progress.append((done, total)))
    assert calls == [["red thing", "green thing"], ["red thing"]]
    assert cmp.names == ["words", "red only"]
    # Both find red exactly and never green: AP50 red 1, green 0 -> mAP@.5 0.5; the first wins ties.
    assert [r.coco_stats["AP50"] for r in cmp.reports] == [pytest.approx(0.5), pytest.approx(0.5)]
    assert cmp.best == "words"
    assert cmp.never_found == ["green"]
    d = cmp.to_dict()
    assert d["classes"]["red"]["red only"]["recall"] == 1.0
    assert d["classes"]["green"]["words"]["recall"] == 0.0
    assert "found by no ontology: green" in cmp.to_table()
    assert progress[-1] == (4, 4)
    with pytest.raises(ValueError, match="no model for ontology 'x'"):
        ad.compare_ontologies(lambda o: None, {"x": {"red thing": "red"}}, colour_truth)
    with pytest.raises(ZeroDivisionError):
        ad.compare_ontologies(lambda o: 1 / 0, {"x": {"red thing": "red"}}, colour_truth)


def test_compare_and_side_by_side(colour_truth):
    pixels = ad.load_image(colour_truth.images[0].path)
    models = [PromptColors(ad.CaptionOntology({"red thing": "red"})),
              PromptColors(ad.CaptionOntology({"green thing": "green"}))]
    out = ad.compare(models, [pixels, pixels, pixels], cell_size=64)
    assert out.shape == (2 * 64 + 3 * 4, 3 * 64 + 4 * 4, 3)
    truth = colour_truth.images[0].detections
    pair = ad.side_by_side(pixels, truth, models[0].predict(pixels), ["red", "green"], cell_size=100)
    assert pair.shape == (100 + 2 * 4, 2 * 100 + 3 * 4, 3)
    # The left cell draws both truth boxes (class 1's colour appears), the right only the red prediction.
    green_colour = np.array([14, 127, 255], np.uint8)  # class_palette()[1], BGR
    left, right = pair[:, :104], pair[:, 104:]
    assert (left == green_colour).all(axis=2).any()
    assert not (right == green_colour).all(axis=2).any()


def test_html_report_renders_in_headless_chromium(pair, tmp_path):
    """The report opens in a real browser: a headless chromium screenshot shows the drawn images
    (their box colour) and the tables (the header background)."""
    import shutil
    import subprocess

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium missing (Debian package 'chromium')")
    pred, truth = pair
    r = ad.evaluate(pred, truth, class_map={"kitty": "cat"})
    html = tmp_path / "report.html"
    ad.report_html(r, pred, truth, html)
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--force-device-scale-factor=1", f"--user-data-dir={tmp_path / 'profile'}",
                    "--window-size=1200,1400", f"--screenshot={shot}", html.as_uri()],
                   check=True, capture_output=True, timeout=120)
    img = ad.load_image(str(shot))
    assert img.shape[:2] == (1400, 1200)
    cat_colour = np.array([180, 119, 31], np.uint8)  # class_palette()[0], BGR: the drawn boxes
    header_grey = np.array([240, 240, 240], np.uint8)  # th { background: #f0f0f0 }
    assert (img == cat_colour).all(axis=2).sum() > 100, "the human-vs-AI images are rendered"
    assert (img == header_grey).all(axis=2).sum() > 1000, "the tables are rendered"


def _formats_fixture(tmp_path):
    """A 3-image truth (2 classes) and predictions with scores, as DetectionDatasets with image files."""
    images_dir = tmp_path / "src"
    images_dir.mkdir()
    truth_images, pred_images = [], []
    rows_truth = [[([20.0, 10.0, 60.0, 50.0], 1.0, 0), ([100.0, 20.0, 180.0, 90.0], 1.0, 1)],
                  [([40.0, 40.0, 80.0, 80.0], 1.0, 0)],
                  []]
    rows_pred = [[([22.0, 10.0, 60.0, 52.0], 0.9, 0), ([0.0, 0.0, 40.0, 40.0], 0.6, 1)],
                 [([40.0, 40.0, 80.0, 80.0], 0.8, 1)],
                 [([10.0, 10.0, 30.0, 30.0], 0.3, 0)]]
    for k in range(3):
        path = images_dir / f"im{k}.jpg"
        ad.save_image(str(path), np.full((100, 200, 3), 60 + 40 * k, np.uint8))
        for rows, out in ((rows_truth[k], truth_images), (rows_pred[k], pred_images)):
            im = ad.DatasetImage()
            im.path, im.relative_path, im.width, im.height = str(path), path.name, 200, 100
            im.detections = dets(*rows)
            out.append(im)
    return ad.DetectionDataset(["cat", "dog"], pred_images), ad.DetectionDataset(["cat", "dog"], truth_images)


def test_evaluate_reads_yolo_coco_and_voc_alike(tmp_path):
    pred, truth = _formats_fixture(tmp_path)
    expected = ad.evaluate(pred, truth, confidence=0.5)
    truth.as_yolo(tmp_path / "yolo")
    truth.as_coco(tmp_path / "coco" / "annotations.coco.json", tmp_path / "coco" / "images")
    truth.as_pascal_voc(tmp_path / "voc" / "Annotations", tmp_path / "voc" / "JPEGImages")
    pred.as_coco(tmp_path / "pred.json", tmp_path / "pred_images")
    assert ad.detect_dataset_format(tmp_path / "voc") == "voc"
    for fmt in ("yolo", "coco", "voc"):
        assert ad.detect_dataset_format(tmp_path / fmt) == fmt
        r = ad.evaluate(tmp_path / "pred.json", tmp_path / fmt, confidence=0.5)
        assert r.coco_stats == pytest.approx(expected.coco_stats, abs=1e-9), fmt
        assert [(i["relative_path"], i["tp"], i["fp"], i["fn"]) for i in r.images] == \
            [(i["relative_path"], i["tp"], i["fp"], i["fn"]) for i in expected.images], fmt
    with pytest.raises(ValueError, match="does not exist"):
        ad.evaluate(tmp_path / "pred.json", tmp_path / "nowhere")


def test_evaluate_coco_interchange_matches_coco_evaluate(tmp_path):
    pred, truth = _formats_fixture(tmp_path)
    gt_json = tmp_path / "gt.json"
    truth.as_coco(gt_json)
    gt = json.loads(gt_json.read_text())
    ids = {im["file_name"]: im["id"] for im in gt["images"]}
    results = []
    for im in pred.images:
        d = im.detections
        for (x1, y1, x2, y2), score, cls in zip(np.asarray(d.xyxy), np.asarray(d.confidence), np.asarray(d.class_id)):
            results.append({"image_id": ids[im.relative_path], "category_id": int(cls),
                            "bbox": [float(x1), float(y1), float(x2 - x1), float(y2 - y1)], "score": float(score)})
    results.append({"image_id": ids["im0.jpg"], "category_id": 77, "bbox": [0, 0, 5, 5], "score": 0.99})
    res_json = tmp_path / "results.json"
    res_json.write_text(json.dumps(results))
    r = ad.evaluate_coco(gt_json, res_json, confidence=0.5)
    stats = ad.coco_evaluate(str(gt_json), str(res_json))
    assert r.coco_stats == pytest.approx(stats.as_dict(), abs=1e-12)
    # The category pycocotools ignores (77) is not a prediction either: same rows as the dataset route.
    assert r.coco_stats == pytest.approx(ad.evaluate(pred, truth, confidence=0.5).coco_stats, abs=1e-9)
    assert sum(i["num_predictions"] for i in r.images) == 3  # confidence >= 0.5: 0.9, 0.6, 0.8
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"image_id": 1, "category_id": 0, "bbox": [0, 0, 1, 1]}]))
    with pytest.raises(OSError, match=r"bad.json' \[0\]: a result needs a 'score'"):
        ad.evaluate_coco(gt_json, bad)


def test_dataset_route_agrees_with_pycocotools_numbers_on_coco128(tmp_path):
    """On real COCO labels with jittered predictions, the dataset evaluation (box areas) gives the same
    all-area numbers as the pycocotools re-implementation (segment areas): only the size ranges differ."""
    from pathlib import Path

    coco128 = Path(__file__).resolve().parents[3] / "shared" / "data" / "coco128"
    gt_json = coco128 / "annotations" / "instances_train2017_coco128.json"
    if not gt_json.exists():
        pytest.skip(f"coco128 missing ({gt_json})")
    gt = json.loads(gt_json.read_text())
    rng = np.random.default_rng(3)
    results = []
    for a in gt["annotations"]:
        if rng.random() < 0.2:
            continue  # a miss
        x, y, w, h = a["bbox"]
        j = rng.normal(0, 0.08, 4) * [w, h, w, h]
        results.append({"image_id": a["image_id"], "category_id": a["category_id"],
                        "bbox": [x + j[0], y + j[1], max(1.0, w + j[2]), max(1.0, h + j[3])],
                        "score": float(rng.random())})
    res_json = tmp_path / "results.json"
    res_json.write_text(json.dumps(results))
    images = coco128 / "images"
    r = ad.evaluate_coco(gt_json, res_json, images_dir=images)
    d = ad.evaluate(ad.DetectionDataset.from_coco_results(images, gt_json, res_json),
                    ad.DetectionDataset.from_coco(images, gt_json))
    for key in ("AP", "AP50", "AP75", "AR1", "AR10", "AR100"):
        assert d.coco_stats[key] == pytest.approx(r.coco_stats[key], abs=1e-12), key
    assert 0.2 < r.coco_stats["AP"] < 0.95


def test_evaluate_model_with_a_python_model(colour_truth):
    model = PromptColors(ad.CaptionOntology({"red thing": "red", "green thing": "green"}))
    r = ad.evaluate_model(model, colour_truth)
    assert len(r.images) == 2 and r.missed_classes == ["green"]
    assert r.coco_stats["AP50"] == pytest.approx(0.5)
