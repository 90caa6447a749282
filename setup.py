"""Builds autodistill_cpp._core with CMake (configuration lives in pyproject.toml).

The CMake build directory is <source>/build, the same one a developer build uses
(`cmake -S . -B build -G Ninja ...`), so `pip install --no-build-isolation .` after such a build only
relinks what changed. Environment: CMAKE_ARGS (extra configure arguments, split like a shell),
CMAKE_BUILD_PARALLEL_LEVEL (default 2), AUTODISTILL_BUILD_DIR (another build directory).

The wheel's autodistill_cpp/ gets _core*.so (RPATH $ORIGIN, set by `cmake --install`), the real
libautodistill.so.X.Y named by its SONAME, and the generated _build_config.py.
"""

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        build_dir = Path(os.environ.get("AUTODISTILL_BUILD_DIR", ROOT / "build")).resolve()
        cache = build_dir / "CMakeCache.txt"
        configure = ["cmake", "-S", str(ROOT), "-B", str(build_dir), f"-DPython3_EXECUTABLE={sys.executable}",
                     "-DAUTODISTILL_BUILD_PYTHON=ON", "-DAUTODISTILL_BUILD_CLI=ON"]
        if not cache.exists():  # a fresh tree: pick the generator; an existing one keeps its own
            if shutil.which("ninja"):
                configure += ["-G", "Ninja"]
            configure.append("-DCMAKE_BUILD_TYPE=" + os.environ.get("CMAKE_BUILD_TYPE", "Release"))
        configure += shlex.split(os.environ.get("CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)

        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        subprocess.run(["cmake", "--build", str(build_dir), "-j", jobs, "--target", "_core", "autodistill-cpp"],
                       check=True)

        # Install the python component into a staging folder: CMake rewrites _core's RPATH to $ORIGIN there.
        dest = Path(self.get_ext_fullpath(ext.name)).resolve().parent
        dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as stage:
            subprocess.run(["cmake", "--install", str(build_dir), "--component", "python", "--prefix", stage],
                           check=True)
            pkg = Path(stage) / "autodistill_cpp"
            cores = list(pkg.glob("_core*.so"))
            if len(cores) != 1:
                raise RuntimeError(f"expected one _core*.so in {pkg}, found {cores}")
            shutil.copy2(cores[0], self.get_ext_fullpath(ext.name))
            shutil.copy2(pkg / "_build_config.py", dest / "_build_config.py")
            libs = [p for p in pkg.glob("libautodistill.so*") if p.is_file() and not p.is_symlink()]
            if len(libs) != 1:
                raise RuntimeError(f"expected one libautodistill.so.* file in {pkg}, found {libs}")
            soname = _soname(libs[0])
            for old in dest.glob("libautodistill.so*"):
                old.unlink()
            shutil.copy2(libs[0], dest / soname)


def _soname(lib: Path) -> str:
    out = subprocess.run(["objdump", "-p", str(lib)], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "SONAME":
            return parts[1]
    raise RuntimeError(f"{lib} has no SONAME")


setup(ext_modules=[CMakeExtension("autodistill_cpp._core")], cmdclass={"build_ext": CMakeBuild})
