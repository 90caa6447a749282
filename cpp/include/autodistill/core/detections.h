#pragma once
/// \file
/// `Detections`: the value every base model returns and every writer, metric and plot consumes.
/// Parallel arrays with one row per object, validated on construction:
///   xyxy        (N, 4) float32, pixels of the source image, (x1, y1, x2, y2)
///   confidence  (N)    float32, in [0, 1] for the bundled models
///   class_id    (N)    int64, index into the ontology's classes()
///   mask        optional (N, H, W) bool (stored one byte per pixel, row-major)
///   data        optional named columns of length N (numbers or strings)
/// Not thread-safe for concurrent mutation; concurrent reads are fine.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "autodistill/core/boxes.h"

namespace autodistill {

using ScoreArray = Eigen::VectorXf;
using ClassIdArray = Eigen::Matrix<int64_t, Eigen::Dynamic, 1>;

/// (N, H, W) binary masks, one byte per pixel (0 or 1), row-major.
struct MaskArray {
  int64_t count = 0;
  int64_t height = 0;
  int64_t width = 0;
  std::vector<uint8_t> data;  ///< count * height * width bytes
};

/// A named per-detection column.
using DataColumn = std::variant<std::vector<double>, std::vector<int64_t>, std::vector<std::string>>;
using DataColumns = std::map<std::string, DataColumn>;

class Detections {
 public:
  /// No detections.
  Detections() = default;
  /// Validates that every array has N rows; throws InvalidArgument naming the array otherwise.
  Detections(BoxArray xyxy, ScoreArray confidence, ClassIdArray class_id,
             std::optional<MaskArray> mask = std::nullopt, DataColumns data = {});

  static Detections empty() { return Detections(); }
  /// Concatenates in order. Masks must all be present with one H x W, or all absent; data columns
  /// must have the same names and kinds in every part. Empty parts are skipped.
  static Detections merge(const std::vector<Detections>& parts);

  int64_t size() const noexcept { return xyxy_.rows(); }
  bool is_empty() const noexcept { return size() == 0; }

  const BoxArray& xyxy() const noexcept { return xyxy_; }
  const ScoreArray& confidence() const noexcept { return confidence_; }
  const ClassIdArray& class_id() const noexcept { return class_id_; }
  const std::optional<MaskArray>& mask() const noexcept { return mask_; }
  const DataColumns& data() const noexcept { return data_; }

  /// In-place element access. The arrays must not be resized (call `validate()` if unsure).
  BoxArray& mutable_xyxy() noexcept { return xyxy_; }
  ScoreArray& mutable_confidence() noexcept { return confidence_; }
  ClassIdArray& mutable_class_id() noexcept { return class_id_; }
  std::optional<MaskArray>& mutable_mask() noexcept { return mask_; }

  /// Adds or replaces a column; its length must be size().
  void set_data(const std::string& name, DataColumn column);

  /// Throws InvalidArgument if the arrays disagree in length or a mask is malformed.
  void validate() const;

  /// Rows where `keep[i]` is true; `keep` must have size() entries.
  Detections select(const std::vector<bool>& keep) const;
  /// Rows at `indices` (0 <= index < size(), repeats allowed), in that order.
  Detections select(const std::vector<int64_t>& indices) const;

  /// (N) box areas in pixels^2.
  Eigen::VectorXf box_area() const;
  /// (N) mask pixel counts when masks are present, else box areas.
  Eigen::VectorXf area() const;

  /// Non-maximum suppression (see nms.h); class-aware unless `class_agnostic`.
  /// The result is ordered by decreasing confidence.
  Detections with_nms(float iou_threshold = 0.5f, bool class_agnostic = false) const;

 private:
  BoxArray xyxy_{0, 4};
  ScoreArray confidence_{0};
  ClassIdArray class_id_{0};
  std::optional<MaskArray> mask_;
  DataColumns data_;
};

}  // namespace autodistill
