#!/usr/bin/env bash
# Installs what is missing (Debian packages), builds the C++ library, the command line, the tests
# and the Python extension into build/, and installs the Python package into .venv/.
# Safe to re-run: it only installs missing packages and rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git
  libtorch-dev libopenblas0-openmp
  libopencv-dev opencv-data libeigen3-dev libfmt-dev nlohmann-json3-dev libcli11-dev catch2
  libyaml-cpp-dev libpugixml-dev
  pybind11-dev python3-pybind11 python3-dev python3-venv python3-pip python3-setuptools python3-wheel
  python3-numpy python3-pytest python3-torch python3-torchvision python3-opencv python3-matplotlib
  python3-distributed python3-nbclient python3-nbformat python3-ipykernel python3-skimage
  chromium
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "==> installing Debian packages: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's python3 sees the python3-* packages; a pyenv/conda python3 earlier on PATH would not.
if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv (Debian's /usr/bin/python3, system site-packages)"
  /usr/bin/python3 -m venv --system-site-packages .venv
fi

JOBS=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
echo "==> building (build/, $JOBS jobs)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE="$PWD/.venv/bin/python" >/dev/null
cmake --build build -j"$JOBS"

echo "==> installing the Python package into .venv"
# --no-build-isolation: build with Debian's setuptools/pybind11 (no PyPI here); setup.py reuses build/.
CMAKE_BUILD_PARALLEL_LEVEL=$JOBS .venv/bin/pip install -q --no-build-isolation --no-deps .
