#!/usr/bin/env bash
# The main job on an embedded default: sets everything up (scripts/bootstrap.sh), then distils a folder
# of real photographs: labels them with the offline classical base model (OpenCV cascades, no download),
# trains the YOLO-n target on those labels for a few epochs, evaluates it against them, writes a 4x4
# grid PNG of the labelled images and exports the target as TorchScript.
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

echo "==> autodistill-cpp distill (cascade model: face, upper body -> YOLO-n, 30 epochs at 320 px)"
# A re-run resumes each stage (labels done, training finished) instead of starting over; --overwrite
# would start over.
quiet .venv/bin/autodistill-cpp distill --model cascade --ontology '{"face": "face", "upper body": "person"}' \
  --input "$OUT/photos" --output "$OUT/dataset" --confidence 0.4 --target yolo-n --epochs 30 --imgsz 320 --batch 8
echo "==> autodistill-cpp grid"
quiet .venv/bin/autodistill-cpp grid --dataset "$OUT/dataset" --n 16 --min-confidence 0.4 --out "$OUT/grid.png"
echo "==> autodistill-cpp export"
.venv/bin/autodistill-cpp export "$OUT/dataset/target/yolo-n.safetensors" "$OUT/yolo-n.torchscript.pt"
echo "==> dataset in $OUT/dataset (YOLO layout + annotations.coco.json), grid in $OUT/grid.png,"
echo "    target in $OUT/dataset/target/ (yolo-n.safetensors; training curves yolo-n_run/results.png),"
echo "    TorchScript in $OUT/yolo-n.torchscript.pt"
