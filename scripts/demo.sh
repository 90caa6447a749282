#!/usr/bin/env bash
# The main job on an embedded default: sets everything up (scripts/bootstrap.sh), then labels a folder
# of real photographs with the offline classical base model (OpenCV cascades, no download), prints the
# summary and writes a 4x4 grid PNG of the labelled images.
# The photos are the public-domain / CC0 images Debian's python3-skimage installs; nothing is shipped here.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

SRC=/usr/lib/python3/dist-packages/skimage/data
OUT=out/demo
mkdir -p "$OUT/photos"
for f in astronaut.png camera.png chelsea.png coffee.png motorcycle_left.png motorcycle_right.png rocket.jpg \
         hubble_deep_field.jpg retina.jpg ihc.png moon.png coins.png page.png text.png horse.png brick.png; do
  cp -u "$SRC/$f" "$OUT/photos/"
done

# libpng warns about the ICC profiles of two of these PNGs; the warnings are harmless.
quiet() { "$@" 2> >(grep -v "libpng warning" >&2); }

echo "==> autodistill-cpp label (cascade model: face, upper body)"
# A re-run resumes (nothing left to do) instead of labelling again; --overwrite would start over.
quiet .venv/bin/autodistill-cpp label --model cascade --ontology '{"face": "face", "upper body": "person"}' \
  --input "$OUT/photos" --output "$OUT/dataset" --confidence 0.4
echo "==> autodistill-cpp grid"
quiet .venv/bin/autodistill-cpp grid --dataset "$OUT/dataset" --n 16 --min-confidence 0.4 --out "$OUT/grid.png"
echo "==> dataset in $OUT/dataset (YOLO layout + annotations.coco.json), grid in $OUT/grid.png"
