"""Runs examples/notebooks/evaluate_coco128.ipynb end to end (nbclient) and checks its outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "notebooks" / "evaluate_coco128.ipynb"
COCO128 = ROOT.parent / "shared" / "data" / "coco128"


def test_evaluate_coco128_notebook_runs(tmp_path, monkeypatch):
    if not (COCO128 / "images").is_dir():
        pytest.skip(f"coco128 missing ({COCO128})")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # Kernel "python3" must be this interpreter (the one with autodistill_cpp installed), not the
    # system's: a kernelspec of that name in a JUPYTER_PATH dir of our own comes first.
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("COCO128", str(COCO128))
    monkeypatch.setenv("EVAL_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.delenv("MPLBACKEND", raising=False)

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=900,
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()

    def text(cell):
        return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")

    def has_png(cell):
        return any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))

    codes = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in codes for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert str(COCO128.resolve()) in text(codes[0])
    grid_cell = next(c for c in codes if "show_grid" in c.source)
    assert has_png(grid_cell), "the grid is displayed"
    table = text(next(c for c in codes if "to_table" in c.source))
    assert "images evaluated 128" in table and "mAP@[.5:.95]" in table and "person" in table
    queue = text(next(c for c in codes if "for rank, item" in c.source))
    assert queue.strip().startswith("1.") and "score" in queue
    assert has_png(next(c for c in codes if "side_by_side" in c.source)), "human vs AI is displayed"
    cmp = text(next(c for c in codes if "compare_ontologies" in c.source))
    assert "full body" in cmp and "upper body" in cmp and "AP50 / R" in cmp and "best:" in cmp
    report = json.loads((tmp_path / "work" / "report.json").read_text())
    assert len(report["images"]) == 128 and 0 <= report["coco_stats"]["AP50"] <= 1
    html = (tmp_path / "work" / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 6
