#include <algorithm>
#include <cmath>

#include "autodistill/core/error.h"
#include "autodistill/label/label.h"

namespace autodistill {

NmsMode parse_nms_mode(const std::string& name) {
  if (name == "none" || name.empty()) return NmsMode::None;
  if (name == "class_specific") return NmsMode::ClassSpecific;
  if (name == "class_agnostic") return NmsMode::ClassAgnostic;
  AD_THROW(InvalidArgument, "nms must be none, class_specific or class_agnostic, got '{}'", name);
}

std::string to_string(NmsMode mode) {
  switch (mode) {
    case NmsMode::None: return "none";
    case NmsMode::ClassSpecific: return "class_specific";
    case NmsMode::ClassAgnostic: return "class_agnostic";
  }
  return "none";
}

void SliceOptions::validate() const {
  AD_CHECK(tile_width >= 1 && tile_height >= 1, "sahi tile size must be at least 1x1, got {}x{}", tile_width,
           tile_height);
  AD_CHECK(overlap >= 0.0 && overlap < 1.0, "sahi overlap must be in [0, 1), got {}", overlap);
  AD_CHECK(merge_iou > 0.f && merge_iou <= 1.f, "sahi merge_iou must be in (0, 1], got {}", merge_iou);
}

namespace {
// Starts of tiles of length `tile` covering [0, size): a stride of tile * (1 - overlap), the last
// tile moved inwards to end at `size`.
std::vector<int> tile_starts(int size, int tile, double overlap) {
  if (size <= tile) return {0};
  const int stride = std::max(1, static_cast<int>(std::floor(tile * (1.0 - overlap))));
  std::vector<int> out;
  for (int s = 0;; s += stride) {
    if (s + tile >= size) {
      out.push_back(size - tile);
      break;
    }
    out.push_back(s);
  }
  return out;
}
}  // namespace

std::vector<std::array<int, 4>> SliceOptions::tiles(int width, int height) const {
  validate();
  std::vector<std::array<int, 4>> out;
  const int tw = std::min(tile_width, width), th = std::min(tile_height, height);
  for (int y : tile_starts(height, tile_height, overlap))
    for (int x : tile_starts(width, tile_width, overlap)) out.push_back({x, y, tw, th});
  return out;
}

void LabelOptions::validate() const {
  AD_CHECK(!extensions.empty(), "extensions must not be empty");
  for (const std::string& e : extensions)
    AD_CHECK(e.size() >= 2 && e[0] == '.', "extension '{}' must start with a dot, e.g. '.jpg'", e);
  AD_CHECK(confidence >= 0.f && confidence <= 1.f, "confidence must be in [0, 1], got {}", confidence);
  AD_CHECK(nms_iou > 0.f && nms_iou <= 1.f, "nms_iou must be in (0, 1], got {}", nms_iou);
  AD_CHECK(split >= 0.0 && split <= 1.0, "split must be in [0, 1], got {}", split);
  AD_CHECK(batch_size >= 1, "batch_size must be >= 1, got {}", batch_size);
  AD_CHECK(workers >= 0, "workers must be >= 0, got {}", workers);
  AD_CHECK(shard.count >= 1 && shard.index >= 0 && shard.index < shard.count,
           "shard must be (index, count) with 0 <= index < count, got ({}, {})", shard.index, shard.count);
  AD_CHECK(max_pixels >= 1, "max_pixels must be >= 1, got {}", max_pixels);
  if (sahi) sahi->validate();
}

}  // namespace autodistill
