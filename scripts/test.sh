#!/usr/bin/env bash
# Sets everything up (scripts/bootstrap.sh), then runs every test: Catch2 through CTest, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

echo "==> C++ tests (ctest)"
ctest --test-dir build -j2 --output-on-failure

echo "==> Python tests (pytest)"
.venv/bin/python -m pytest tests/python -q -p no:cacheprovider
