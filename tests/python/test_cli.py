import subprocess
import sys
from pathlib import Path

import pytest

import autodistill_cpp as ad


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "autodistill_cpp.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_version(tmp_path):
    r = cli("--version", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"autodistill-cpp {ad.__version__}"


def test_info(tmp_path):
    r = cli("info", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "LibTorch" in r.stdout and ad.build_info()["opencv_version"] in r.stdout


def test_bad_usage_exit_code(tmp_path):
    r = cli("no-such-command", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr or r.stdout


def test_console_script(tmp_path):
    script = Path(sys.executable).parent / "autodistill-cpp"
    if not script.exists():
        pytest.skip("the console script is installed by pip next to the interpreter")
    r = subprocess.run([str(script), "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == f"autodistill-cpp {ad.__version__}"
