#pragma once
/// \file
/// Precision, recall and F1 at one confidence threshold and one IoU threshold, per class, as an
/// accumulator (update / reset / compute), and the per-image agreement score built on it.
///
/// Matching (per image and class): predictions with confidence >= confidence_threshold, in decreasing
/// confidence (stable), each take the unmatched non-crowd truth box of the same class with the highest
/// IoU >= iou_threshold (COCO's rule at one threshold; see mean_average_precision.h); a truth box is
/// matched at most once. A prediction that matches nothing but a crowd box (IoU = intersection /
/// prediction area) is neither TP nor FP. TP = matched predictions, FP = other predictions,
/// FN = unmatched non-crowd truth boxes.
/// Ratios: precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2TP / (2TP + FP + FN); each is NaN
/// when its denominator is 0 (no predictions / no truth / neither).
/// Bad input: see eval/input_report.h. Thread-safety: none.

#include <cstdint>
#include <vector>

#include "autodistill/core/detections.h"
#include "autodistill/eval/input_report.h"

namespace autodistill {

struct PrecisionRecallOptions {
  /// Class ids must lie in [0, num_classes); 0 accepts any id >= 0.
  int64_t num_classes = 0;
  /// A prediction counts when confidence >= this.
  double confidence_threshold = 0.25;
  /// A pair matches when IoU >= this.
  double iou_threshold = 0.5;
  void check() const;
};

struct PrecisionRecallResult {
  std::vector<int64_t> class_ids;  ///< (K) classes seen (in truth or kept predictions), increasing;
                                   ///< all of [0, num_classes) when num_classes > 0
  std::vector<int64_t> tp, fp, fn;  ///< (K)
  std::vector<double> precision, recall, f1;  ///< (K), NaN where undefined
  int64_t total_tp = 0, total_fp = 0, total_fn = 0;
  double micro_precision = 0, micro_recall = 0, micro_f1 = 0;  ///< from the totals, NaN where undefined
  EvalInputReport input;
};

class PrecisionRecall {
 public:
  explicit PrecisionRecall(PrecisionRecallOptions options = {});
  /// Adds one image; `truth_iscrowd` is empty or one flag per truth row.
  void update(const Detections& predictions, const Detections& truth, const std::vector<bool>& truth_iscrowd = {});
  void reset();
  PrecisionRecallResult compute() const;
  const PrecisionRecallOptions& options() const noexcept { return options_; }

 private:
  PrecisionRecallOptions options_;
  std::vector<int64_t> class_ids_seen_;  // sorted unique
  std::vector<int64_t> tp_, fp_, fn_;    // parallel to class_ids_seen_
  EvalInputReport input_;
};

/// F1 of `predictions` against `truth` in one image: class-aware matching as PrecisionRecall with
/// confidence >= min_confidence and IoU >= iou, F1 = 2TP / (2TP + FP + FN). Both empty (after the
/// confidence filter) is 1.0: the model agrees that there is nothing. Negative class ids and NaN
/// confidences are dropped; invalid boxes overlap nothing (eval/input_report.h).
double image_agreement(const Detections& predictions, const Detections& truth, double iou = 0.5,
                       double min_confidence = 0.0);

}  // namespace autodistill
