#!/usr/bin/env bash
# The main job on an embedded default: sets everything up (scripts/bootstrap.sh), then detects faces
# in a real photograph with the offline classical base model (no download) and writes an annotated PNG.
# The photo is NASA's public-domain portrait of Eileen Collins, installed by Debian's python3-skimage.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

PHOTOS=/usr/lib/python3/dist-packages/skimage/data
mkdir -p out/demo
echo "==> autodistill-cpp predict (cascade model, ontology {\"face\": \"face\"})"
.venv/bin/autodistill-cpp predict --model cascade --ontology '{"face": "face"}' \
  --image "$PHOTOS/astronaut.png" --out out/demo/astronaut_faces.png 2> >(grep -v "libpng warning" >&2)
echo "==> open out/demo/astronaut_faces.png"
