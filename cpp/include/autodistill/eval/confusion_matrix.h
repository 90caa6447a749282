#pragma once
/// \file
/// Detection confusion matrix with a background row and column, as an accumulator.
///
/// Layout (supervision's convention; ultralytics stores the transpose): matrix(i, j) counts truth
/// class i (ROW) paired with predicted class j (COLUMN); shape (num_classes + 1, num_classes + 1).
/// The last column, j = num_classes, holds truth boxes no prediction matched (missed, FN); the last
/// row, i = num_classes, holds predictions that matched no truth box (invented, FP). The
/// background/background cell stays 0. The diagonal is correct detections.
/// Matching per image, class-agnostic: predictions with confidence >= confidence_threshold; every
/// (truth, prediction) pair with IoU >= iou_threshold is a candidate; candidates are taken in decreasing
/// IoU (ties: lower truth index, then lower prediction index) when neither side is taken yet, so each
/// box is paired at most once. (supervision and ultralytics use IoU > threshold and an approximation of
/// this one-to-one greedy step.) Crowd truth (iscrowd) is not counted anywhere; an unpaired prediction
/// overlapping a crowd box by intersection / prediction area >= iou_threshold is not counted either.
/// Bad input: see eval/input_report.h. Thread-safety: none.

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "autodistill/core/detections.h"
#include "autodistill/eval/input_report.h"

namespace autodistill {

struct ConfusionMatrixOptions {
  int64_t num_classes = 0;              ///< required, > 0
  double confidence_threshold = 0.25;  ///< a prediction counts when confidence >= this
  double iou_threshold = 0.5;          ///< a pair is a candidate when IoU >= this
  void check() const;
};

using CountMatrix = Eigen::Matrix<int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(ConfusionMatrixOptions options);
  void update(const Detections& predictions, const Detections& truth, const std::vector<bool>& truth_iscrowd = {});
  void reset();
  /// (num_classes + 1, num_classes + 1), rows = truth, columns = prediction, last = background.
  const CountMatrix& compute() const;
  const EvalInputReport& input() const noexcept { return input_; }
  const ConfusionMatrixOptions& options() const noexcept { return options_; }

 private:
  ConfusionMatrixOptions options_;
  CountMatrix matrix_;
  EvalInputReport input_;
};

}  // namespace autodistill
