"""Shared helpers for the Python tests. They run against the installed package:

    .venv/bin/python -m pytest tests/python -q
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import autodistill_cpp

SOURCE_PACKAGE = Path(__file__).resolve().parents[2] / "python" / "autodistill_cpp"


def pytest_report_header(config):
    return f"autodistill_cpp {autodistill_cpp.__version__} from {Path(autodistill_cpp.__file__).parent}"


@pytest.fixture(scope="session", autouse=True)
def _installed_package_is_used():
    # The source tree has no _core: importing from it would fail; make sure it is the installed copy.
    assert Path(autodistill_cpp.__file__).resolve().parent != SOURCE_PACKAGE


def run_python(code: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs `code` in a fresh interpreter (this one's executable) and returns the finished process."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def python_run(tmp_path):
    return lambda code, **kw: run_python(code, tmp_path, **kw)


def random_boxes(rng: np.random.Generator, n: int, size: float = 100.0) -> np.ndarray:
    """(n, 4) float32 valid xyxy boxes inside [0, size]^2, clustered so that many overlap."""
    xy = rng.uniform(0, size * 0.8, (n, 2))
    wh = rng.uniform(1, size * 0.3, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(np.float32)


def test_image(h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    """An (h, w, 3) uint8 BGR image with structure (a gradient plus noise)."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    img[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    return img


test_image.__test__ = False  # a helper, not a test
