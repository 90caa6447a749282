#pragma once
/// \file
/// `DetectionDataset`: images with their boxes, read from and written to the YOLO (ultralytics),
/// COCO json and Pascal VOC xml layouts. Boxes are xyxy float32 pixels of the image (see core/boxes.h);
/// confidences are kept when known (scored AI labels) and are 1.0 for human labels.
///
/// Every image carries a `relative_path` (generic '/' separators): its name inside the dataset. The
/// split and the shard of an image are functions of that name only (`path_hash`), so a resumed or
/// sharded labelling run puts every image where a single run would. Writers order images by
/// relative path, so two equal datasets produce identical files.
/// Not thread-safe for concurrent mutation.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "autodistill/core/detections.h"

namespace autodistill {

/// One image of a dataset.
struct DatasetImage {
  std::filesystem::path path;  ///< where the image file is (absolute or relative to the working dir)
  std::string relative_path;   ///< name inside the dataset, '/'-separated, e.g. "street/a.jpg"
  int width = 0;               ///< pixels
  int height = 0;              ///< pixels
  Detections detections;       ///< xyxy pixels of this image
  std::string split;           ///< "train", "valid", "test", or "" when unassigned
};

/// Counts reported by DetectionDataset::stats().
struct DatasetStats {
  int64_t images = 0;
  int64_t boxes = 0;
  int64_t empty_images = 0;                  ///< images without any box
  std::vector<int64_t> boxes_per_class;      ///< index = class id
  std::map<std::string, int64_t> images_per_split;  ///< key "" for unassigned
};

/// How images reach a written dataset.
enum class ImageTransfer {
  Copy,      ///< byte-for-byte copy
  Hardlink,  ///< a hard link (falls back to a copy across file systems)
};

/// 64-bit hash of a relative path mixed with `seed` (FNV-1a then splitmix64). The one function
/// behind splits and shards; stable across platforms and versions (changing it re-splits datasets).
uint64_t path_hash(const std::string& relative_path, uint64_t seed);

/// "train" when the path's hash falls in the first `train_ratio` of the range, else "valid".
/// `train_ratio` in [0, 1].
std::string split_for_path(const std::string& relative_path, double train_ratio, uint64_t seed);

/// Shard index in [0, count) of a path; independent of the split seed.
int shard_for_path(const std::string& relative_path, int count);

class DetectionDataset {
 public:
  DetectionDataset() = default;
  DetectionDataset(std::vector<std::string> classes, std::vector<DatasetImage> images);

  /// Reads an ultralytics layout: `yaml_or_folder` is a data.yaml, or a folder holding one. The yaml
  /// has `names` (a list, or a {id: name} map) and `train` / `val` / `test` entries (a folder of
  /// images, a .txt list of images, or a list of those), relative to its `path` key or its own folder.
  /// Labels are found by replacing the last "/images/" of an image path with "/labels/" and the
  /// extension with ".txt"; an image without a label file has no objects. Image sizes are read from
  /// the files. IOError naming the file and line for malformed rows or class ids >= nc.
  static DetectionDataset from_yolo(const std::filesystem::path& yaml_or_folder);

  /// Reads a COCO json. `images_dir` is where the `file_name`s are. Category ids are remapped to
  /// contiguous class ids in the order of the `categories` list (`coco_category_ids` keeps the
  /// original ids); `iscrowd` becomes the int64 data column "iscrowd"; a "score" becomes the confidence.
  static DetectionDataset from_coco(const std::filesystem::path& images_dir, const std::filesystem::path& json_path);

  /// Predictions in COCO's interchange format: a results list `[{image_id, category_id, bbox, score}]`
  /// read against the ground-truth json that defines its images and categories (what pycocotools'
  /// loadRes does). Every image of the ground truth is in the dataset (with no rows when it has no
  /// result); classes and ids are those from_coco(images_dir, ground_truth_json) gives. IOError naming
  /// the file and index for a result without a score, an unknown image_id or category_id.
  static DetectionDataset from_coco_results(const std::filesystem::path& images_dir,
                                            const std::filesystem::path& ground_truth_json,
                                            const std::filesystem::path& results_json);

  /// Reads Pascal VOC xml files (recursively) from `annotations_dir`; images are `images_dir`/<filename>.
  /// Classes are `classes` when given (an unknown name is an error), else names in order of first
  /// appearance over the files sorted by name. `difficult` becomes the int64 data column "difficult".
  static DetectionDataset from_pascal_voc(const std::filesystem::path& images_dir,
                                          const std::filesystem::path& annotations_dir,
                                          std::vector<std::string> classes = {});

  /// Writes the ultralytics layout: `out_dir`/data.yaml (train/val/nc/names, relative paths) and
  /// `out_dir`/<split>/{images,labels}/<relative_path>; unassigned images go to "train". Rows are
  /// `class cx cy w h` normalised with 6 decimals; an image without boxes gets an empty .txt.
  void as_yolo(const std::filesystem::path& out_dir, ImageTransfer transfer = ImageTransfer::Copy) const;

  /// Writes a COCO json (images sorted by relative path, ids from 1; category id = original id when
  /// read from COCO, else the class id). "score" is written when `has_scores()`. When `images_dir` is
  /// given, images are copied there under their relative paths.
  void as_coco(const std::filesystem::path& json_path, const std::filesystem::path& images_dir = {},
               ImageTransfer transfer = ImageTransfer::Copy) const;

  /// Writes one VOC xml per image to `annotations_dir`/<relative path with .xml>; copies images to
  /// `images_dir` when given. Coordinates are written as given (no +1 convention).
  void as_pascal_voc(const std::filesystem::path& annotations_dir, const std::filesystem::path& images_dir = {},
                     ImageTransfer transfer = ImageTransfer::Copy) const;

  /// Assigns every image "train" or "valid" with split_for_path().
  void split(double train_ratio, uint64_t seed = 0);

  DatasetStats stats() const;

  /// Orders images by relative path (the writers do it on a copy anyway).
  void sort();

  size_t size() const noexcept { return images_.size(); }
  const std::vector<std::string>& classes() const noexcept { return classes_; }
  const std::vector<DatasetImage>& images() const noexcept { return images_; }
  std::vector<DatasetImage>& mutable_images() noexcept { return images_; }
  /// Original COCO category id per class id (empty unless read from COCO).
  const std::vector<int64_t>& coco_category_ids() const noexcept { return coco_category_ids_; }
  void set_coco_category_ids(std::vector<int64_t> ids);
  /// True when confidences are model scores (written to COCO as "score"). The constructor sets it when
  /// any confidence differs from 1 (human labels read from files have confidence 1).
  bool has_scores() const noexcept { return has_scores_; }
  void set_has_scores(bool v) noexcept { has_scores_ = v; }

  /// Throws InvalidArgument when a class id is outside [0, classes) or an image has no relative path.
  void validate() const;

 private:
  std::vector<std::string> classes_;
  std::vector<DatasetImage> images_;
  std::vector<int64_t> coco_category_ids_;
  bool has_scores_ = false;
};

/// Places `source` at `target` (copy or hard link) through a temporary name and a rename, creating
/// parent folders. IOError naming both paths on failure.
void transfer_file(const std::filesystem::path& source, const std::filesystem::path& target, ImageTransfer transfer);

/// Width and height of an image file: from the header for JPEG, PNG, BMP, GIF and WebP, else by
/// decoding. IOError naming the file when it cannot be read.
std::pair<int, int> image_size(const std::filesystem::path& path);

/// Width and height from encoded bytes' header (JPEG, PNG, BMP, GIF, WebP); {0, 0} when unknown.
std::pair<int, int> image_size_from_header(const uint8_t* data, size_t size);

}  // namespace autodistill
