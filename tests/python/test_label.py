"""BaseModel.label from Python: a Python subclass labelling through the C++ pipeline (GIL handed back and
forth with workers), layout, progress callback, resume, sharding + merge, SAHI options, errors."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

import autodistill_cpp as ad
from autodistill_cpp.progress import ProgressBar, format_bar

ONTOLOGY = ad.CaptionOntology({"bright thing": "bright"})


class BrightSquares(ad.BaseModel):
    """Boxes around pixels brighter than 200 (one box per image: their bounding rectangle)."""

    def __init__(self):
        super().__init__(ONTOLOGY)
        self.threads = set()
        self.calls = 0

    def name(self):
        return "bright_squares"

    def predict(self, image):
        self.threads.add(threading.get_ident())
        self.calls += 1
        ys, xs = np.nonzero(image[:, :, 0] > 200)
        if len(xs) == 0:
            return ad.Detections.empty()
        return ad.Detections([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], confidence=[0.9], class_id=[0])


def write_images(folder, n):
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n):
        im = np.full((40, 60, 3), 30, np.uint8)
        if i % 2:
            im[5 + i % 10: 15 + i % 10, 10:30] = 255
        name = f"img_{i:03d}.png"
        ad.save_image(folder / name, im)
        names.append(name)
    return names


def test_python_subclass_labels_a_folder_with_workers(tmp_path):
    names = write_images(tmp_path / "in", 24)
    model = BrightSquares()
    states = []
    ds = model.label(tmp_path / "in", tmp_path / "out", workers=2, batch_size=4, progress=states.append)
    assert len(ds) == 24
    assert model.calls == 24
    assert ds.summary["labelled"] == 24 and ds.summary["errors"] == 0
    assert ds.summary["boxes_per_class"] == {"bright": 12}
    assert states and states[-1]["finished"] and states[-1]["done"] == 24
    # Image 1: rows 6..15, columns 10..29 of a 60x40 image.
    rel = "img_001.png"
    split = ad.split_for_path(rel, 0.8, 0)
    row = (tmp_path / "out" / split / "labels" / "img_001.txt").read_text()
    assert row == "0 0.333333 0.275000 0.333333 0.250000\n"
    coco = json.loads((tmp_path / "out" / "annotations.coco.json").read_text())
    assert len(coco["images"]) == 24 and coco["annotations"][0]["score"] == pytest.approx(0.9)
    # Resume: nothing left to do.
    again = model.label(tmp_path / "in", tmp_path / "out", progress=False)
    assert again.summary["skipped"] == 24 and model.calls == 24


def test_default_output_folder_and_mismatch(tmp_path):
    write_images(tmp_path / "photos", 3)
    ds = BrightSquares().label(str(tmp_path / "photos"), progress=False)
    assert (tmp_path / "photos_labeled" / "data.yaml").exists()
    assert ds.summary["output"].endswith("photos_labeled")

    class Other(BrightSquares):
        def name(self):
            return "other"

    with pytest.raises(ValueError, match="overwrite"):
        Other().label(tmp_path / "photos", progress=False)
    assert Other().label(tmp_path / "photos", overwrite=True, progress=False).summary["labelled"] == 3


def test_python_exception_in_predict_propagates_and_resumes(tmp_path):
    write_images(tmp_path / "in", 12)

    class Crashes(BrightSquares):
        def predict(self, image):
            if self.calls >= 5:
                raise ZeroDivisionError("boom")
            return super().predict(image)

    with pytest.raises(ZeroDivisionError, match="boom"):
        Crashes().label(tmp_path / "in", tmp_path / "out", batch_size=2, workers=2, progress=False)
    ds = BrightSquares().label(tmp_path / "in", tmp_path / "out", batch_size=2, progress=False)
    assert ds.summary["skipped"] == 4 and ds.summary["labelled"] == 8 and len(ds) == 12


def test_shards_merge_equal_single_run(tmp_path):
    write_images(tmp_path / "in", 20)
    model = BrightSquares()
    model.label(tmp_path / "in", tmp_path / "single", progress=False)
    outs = []
    for i in range(3):
        outs.append(tmp_path / f"s{i}")
        model.label(tmp_path / "in", outs[-1], shard=(i, 3), progress=False)
    merged = ad.merge_shards(outs, tmp_path / "merged")
    assert len(merged) == 20
    for name in ("data.yaml", "annotations.coco.json"):
        assert (tmp_path / "merged" / name).read_bytes() == (tmp_path / "single" / name).read_bytes()


def test_sahi_options_and_bad_arguments(tmp_path):
    write_images(tmp_path / "in", 2)
    s = ad.SliceOptions(tile_width=32, tile_height=32, overlap=0.25)
    assert s.tiles(60, 40)[0] == (0, 0, 32, 32)
    ds = BrightSquares().label(tmp_path / "in", tmp_path / "o1", sahi=s, progress=False)
    assert len(ds) == 2
    ds = BrightSquares().label(tmp_path / "in", tmp_path / "o2", sahi={"tile_size": 32, "overlap": 0.1}, progress=False)
    assert len(ds) == 2
    with pytest.raises(ValueError, match="unknown key"):
        BrightSquares().label(tmp_path / "in", tmp_path / "o3", sahi={"tile": 3})
    with pytest.raises(ValueError, match="nms must be"):
        BrightSquares().label(tmp_path / "in", tmp_path / "o3", nms="greedy")
    with pytest.raises(ValueError, match="shard"):
        BrightSquares().label(tmp_path / "in", tmp_path / "o3", shard=(2, 2))


def test_bad_images_recorded_and_strict(tmp_path):
    write_images(tmp_path / "in", 2)
    (tmp_path / "in" / "empty.jpg").write_bytes(b"")
    (tmp_path / "in" / "text.png").write_text("hello")
    ds = BrightSquares().label(tmp_path / "in", tmp_path / "out", progress=False)
    assert ds.summary["errors"] == 2 and len(ds) == 2
    lines = (tmp_path / "out" / ".autodistill" / "errors.jsonl").read_text().splitlines()
    assert [json.loads(x)["path"] for x in lines] == ["empty.jpg", "text.png"]
    with pytest.raises(OSError, match="strict"):
        BrightSquares().label(tmp_path / "in", tmp_path / "strict", strict=True, progress=False)


def test_cpp_model_labels_too(tmp_path):
    write_images(tmp_path / "in", 2)
    model = ad.create_base_model("cascade", {"ontology": {"face": "face"}})
    ds = model.label(tmp_path / "in", tmp_path / "out", progress=False)
    assert len(ds) == 2 and ds.summary["labelled"] == 2


def test_progress_bar_formats_and_modes(capsys):
    line = format_bar({"task": "labelling", "done": 42, "total": 100, "elapsed_s": 10, "rate": 4.2, "eta_s": 14})
    assert line.startswith("labelling  42% |##########")
    assert "42/100 [00:10<00:14, 4.2 it/s]" in line
    import io

    out = io.StringIO()
    bar = ProgressBar(stream=out, mode="terminal")
    bar({"task": "t", "done": 1, "total": 2})
    bar({"task": "t", "done": 2, "total": 2, "finished": True})
    assert out.getvalue().count("\r") == 2 and out.getvalue().endswith("\n")
    quiet = io.StringIO()
    final = ProgressBar(stream=quiet)  # not a terminal: only the final line
    final({"task": "t", "done": 1, "total": 2})
    assert quiet.getvalue() == ""
    final({"task": "t", "done": 2, "total": 2, "finished": True})
    assert "2/2" in quiet.getvalue()


def test_ctrl_c_during_label_leaves_a_resumable_output(tmp_path):
    import os
    import signal

    write_images(tmp_path / "in", 16)

    class InterruptedAfterSix(BrightSquares):
        def predict(self, image):
            if self.calls == 6:
                os.kill(os.getpid(), signal.SIGINT)  # as if the user pressed Ctrl-C
            return super().predict(image)

    with pytest.raises(KeyboardInterrupt):
        InterruptedAfterSix().label(tmp_path / "in", tmp_path / "out", batch_size=2, workers=2, progress=False)
    done = len((tmp_path / "out" / ".autodistill" / "done.jsonl").read_text().splitlines())
    assert 0 < done < 16
    model = BrightSquares()
    ds = model.label(tmp_path / "in", tmp_path / "out", batch_size=2, progress=False)
    assert ds.summary["skipped"] == done and model.calls == 16 - done and len(ds) == 16
