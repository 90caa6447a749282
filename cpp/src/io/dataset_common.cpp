#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <unistd.h>

#include <opencv2/imgcodecs.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/io/dataset.h"
#include "autodistill/io/file_io.h"

namespace autodistill {
namespace fs = std::filesystem;

uint64_t path_hash(const std::string& relative_path, uint64_t seed) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  for (unsigned char c : relative_path) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // splitmix64 of the hash mixed with the seed: FNV alone has weak low bits for short keys.
  uint64_t z = h + (seed + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string split_for_path(const std::string& relative_path, double train_ratio, uint64_t seed) {
  AD_CHECK(train_ratio >= 0.0 && train_ratio <= 1.0, "split ratio must be in [0, 1], got {}", train_ratio);
  // 53 high bits -> [0, 1) exactly representable, so the comparison is the same everywhere.
  const double u = static_cast<double>(path_hash(relative_path, seed) >> 11) * (1.0 / 9007199254740992.0);
  return u < train_ratio ? "train" : "valid";
}

int shard_for_path(const std::string& relative_path, int count) {
  AD_CHECK(count >= 1, "shard count must be >= 1, got {}", count);
  // A fixed seed distinct from any split seed a user would pick, so shards do not follow the split.
  return static_cast<int>(path_hash(relative_path, 0x5A4D5A4D5A4D5A4Dull) % static_cast<uint64_t>(count));
}

DetectionDataset::DetectionDataset(std::vector<std::string> classes, std::vector<DatasetImage> images)
    : classes_(std::move(classes)), images_(std::move(images)) {
  validate();
  // Confidences other than 1 can only be model scores; keep them when the dataset is written as COCO.
  for (const DatasetImage& im : images_)
    if ((im.detections.confidence().array() != 1.0f).any()) has_scores_ = true;
}

void DetectionDataset::validate() const {
  const int64_t nc = static_cast<int64_t>(classes_.size());
  for (const DatasetImage& im : images_) {
    AD_CHECK(!im.relative_path.empty(), "dataset image '{}' has no relative path", im.path.string());
    const auto& ids = im.detections.class_id();
    for (int64_t i = 0; i < ids.size(); ++i)
      AD_CHECK(ids[i] >= 0 && ids[i] < nc, "image '{}': class id {} outside [0, {})", im.relative_path, ids[i], nc);
  }
  AD_CHECK(coco_category_ids_.empty() || coco_category_ids_.size() == classes_.size(),
           "coco_category_ids has {} entries for {} classes", coco_category_ids_.size(), classes_.size());
}

void DetectionDataset::set_coco_category_ids(std::vector<int64_t> ids) {
  coco_category_ids_ = std::move(ids);
  validate();
}

void DetectionDataset::split(double train_ratio, uint64_t seed) {
  for (DatasetImage& im : images_) im.split = split_for_path(im.relative_path, train_ratio, seed);
}

void DetectionDataset::sort() {
  std::stable_sort(images_.begin(), images_.end(),
                   [](const DatasetImage& a, const DatasetImage& b) { return a.relative_path < b.relative_path; });
}

DatasetStats DetectionDataset::stats() const {
  DatasetStats s;
  s.images = static_cast<int64_t>(images_.size());
  s.boxes_per_class.assign(classes_.size(), 0);
  for (const DatasetImage& im : images_) {
    const int64_t n = im.detections.size();
    s.boxes += n;
    if (n == 0) ++s.empty_images;
    ++s.images_per_split[im.split];
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = im.detections.class_id()[i];
      if (c >= 0 && c < static_cast<int64_t>(s.boxes_per_class.size())) ++s.boxes_per_class[c];
    }
  }
  return s;
}

void transfer_file(const fs::path& source, const fs::path& target, ImageTransfer transfer) {
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  const fs::path tmp = target.string() + ".tmp." + std::to_string(::getpid());
  fs::remove(tmp, ec);
  bool linked = false;
  if (transfer == ImageTransfer::Hardlink) {
    fs::create_hard_link(source, tmp, ec);
    linked = !ec;
  }
  if (!linked) {
    fs::copy_file(source, tmp, fs::copy_options::overwrite_existing, ec);
    AD_CHECK_IO(!ec, "cannot copy '{}' to '{}': {}", source.string(), target.string(), ec.message());
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignore;
    fs::remove(tmp, ignore);
    AD_THROW(IOError, "cannot move '{}' into place: {}", target.string(), ec.message());
  }
}

namespace {
uint32_t be16(const uint8_t* p) { return (uint32_t(p[0]) << 8) | p[1]; }
uint32_t be32(const uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }
uint32_t le16(const uint8_t* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8); }
uint32_t le24(const uint8_t* p) { return le16(p) | (uint32_t(p[2]) << 16); }
uint32_t le32(const uint8_t* p) { return le16(p) | (le16(p + 2) << 16); }
}  // namespace

std::pair<int, int> image_size_from_header(const uint8_t* d, size_t n) {
  if (n >= 24 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(d + 12, "IHDR", 4) == 0)
    return {static_cast<int>(be32(d + 16)), static_cast<int>(be32(d + 20))};
  if (n >= 4 && d[0] == 0xFF && d[1] == 0xD8) {
    size_t i = 2;
    while (i + 9 < n) {
      if (d[i] != 0xFF) return {0, 0};
      const uint8_t m = d[i + 1];
      if (m == 0xFF) { ++i; continue; }
      if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { i += 2; continue; }
      const uint32_t len = be16(d + i + 2);
      const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
      if (sof) return {static_cast<int>(be16(d + i + 7)), static_cast<int>(be16(d + i + 5))};
      i += 2 + len;
    }
    return {0, 0};
  }
  if (n >= 26 && d[0] == 'B' && d[1] == 'M') {
    const int32_t h = static_cast<int32_t>(le32(d + 22));
    return {static_cast<int>(le32(d + 18)), h < 0 ? -h : h};
  }
  if (n >= 10 && (std::memcmp(d, "GIF87a", 6) == 0 || std::memcmp(d, "GIF89a", 6) == 0))
    return {static_cast<int>(le16(d + 6)), static_cast<int>(le16(d + 8))};
  if (n >= 30 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) {
    if (std::memcmp(d + 12, "VP8 ", 4) == 0) return {static_cast<int>(le16(d + 26) & 0x3FFF), static_cast<int>(le16(d + 28) & 0x3FFF)};
    if (std::memcmp(d + 12, "VP8L", 4) == 0) {
      const uint32_t b = le32(d + 21);
      return {static_cast<int>((b & 0x3FFF) + 1), static_cast<int>(((b >> 14) & 0x3FFF) + 1)};
    }
    if (std::memcmp(d + 12, "VP8X", 4) == 0) return {static_cast<int>(le24(d + 24) + 1), static_cast<int>(le24(d + 27) + 1)};
  }
  return {0, 0};
}

std::pair<int, int> image_size(const fs::path& path) {
  // The first 64 KiB hold the size for every format above unless a JPEG carries a huge APP segment.
  std::ifstream in(path, std::ios::binary);
  AD_CHECK_IO(in.good(), "cannot open image '{}': {}", path.string(), std::strerror(errno));
  std::vector<uint8_t> head(65536);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  auto wh = image_size_from_header(head.data(), head.size());
  if (wh.first > 0 && wh.second > 0) return wh;
  const cv::Mat m = load_image(path);
  return {m.cols, m.rows};
}

}  // namespace autodistill
