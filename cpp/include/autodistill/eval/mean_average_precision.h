#pragma once
/// \file
/// COCO-style mean average precision as an accumulator (update / reset / compute).
///
/// Conventions (identical to pycocotools' COCOeval with iouType="bbox"; docs/evaluation.md has more):
///  - IoU thresholds .50:.05:.95 (T = 10, numpy linspace values), recall thresholds 0:.01:1 (R = 101),
///    maxDets {1, 10, 100} by default, area ranges all [0, 1e10], small [0, 32^2], medium [32^2, 96^2],
///    large [96^2, 1e10] (bounds inclusive on both sides, as COCO).
///  - Area of a truth box: the `truth_area` given to update(), else its mask pixel count when the truth
///    has masks, else its box area. Area of a prediction: its box area. (COCO's GT "area" is the
///    segment area, which is why it can be passed in.)
///  - Per image and class: predictions sorted by decreasing confidence (stable: equal scores keep
///    input order) and truncated to the largest maxDets; truth sorted with ignored boxes (crowd, or
///    outside the area range) last. At each IoU threshold t every prediction in turn takes the
///    unmatched, non-ignored truth box with the highest IoU >= t (on an exact IoU tie the later box in
///    that order wins, as in COCOeval); only when none exists may it take an ignored one. A crowd box can be taken any number of times and its
///    IoU is intersection / prediction area. Predictions matched to ignored truth are ignored, as are
///    unmatched predictions whose area is outside the range.
///  - Accumulation over images (in increasing image_id) per class: predictions merged and stably
///    sorted by confidence, cumulative TP/FP, precision made monotone (non-increasing in recall) and
///    sampled at the recall thresholds with searchsorted(side="left"); 0 past the reached recall.
///  - A class with no non-ignored truth box has AP and AR -1 and is left out of every mean (so its
///    false positives cost nothing). A summary with nothing to average is -1.
///  - Crowd boxes only exist where the format has them (COCO "iscrowd"); pass `truth_iscrowd`.
/// Bad input: see eval/input_report.h.
/// Thread-safety: none; use one accumulator per thread.

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "autodistill/core/detections.h"
#include "autodistill/eval/input_report.h"

namespace autodistill {

/// The twelve numbers pycocotools' COCOeval.summarize() prints, in its order. -1 = undefined.
struct CocoStats {
  double ap = -1;         ///< AP @[.50:.95], area all, maxDets 100 (the "mAP")
  double ap50 = -1;       ///< AP @.50
  double ap75 = -1;       ///< AP @.75
  double ap_small = -1;   ///< AP @[.50:.95], area < 32^2
  double ap_medium = -1;  ///< AP @[.50:.95], 32^2 <= area <= 96^2
  double ap_large = -1;   ///< AP @[.50:.95], area > 96^2
  double ar1 = -1;        ///< AR @[.50:.95], maxDets 1
  double ar10 = -1;       ///< AR, maxDets 10
  double ar100 = -1;      ///< AR, maxDets 100
  double ar_small = -1;   ///< AR, maxDets 100, small
  double ar_medium = -1;  ///< AR, maxDets 100, medium
  double ar_large = -1;   ///< AR, maxDets 100, large

  std::array<double, 12> to_array() const;
  static CocoStats from_array(const std::array<double, 12>& v);
  /// "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl".
  static const std::array<const char*, 12>& names();
};

/// How a precision/recall curve becomes one AP number. The matching is the same for all three.
enum class ApMethod {
  Coco101,      ///< mean of the monotone precision at recall 0, .01, ..., 1 (COCO)
  VocAllPoint,  ///< area under the monotone precision envelope, every recall step (VOC 2010+)
  Voc11Point,   ///< mean over recall 0, .1, ..., 1 of the max precision at recall >= r (VOC 2007)
};
/// "coco", "voc", "voc11" (and back).
ApMethod parse_ap_method(const std::string& name);
std::string ap_method_name(ApMethod method);

struct MeanAveragePrecisionOptions {
  /// Class ids must lie in [0, num_classes); 0 accepts any id >= 0 (classes are those seen).
  int64_t num_classes = 0;
  ApMethod ap_method = ApMethod::Coco101;
  /// Three increasing maxDets values (COCO: 1, 10, 100); AR1/AR10/AR100 use them in order and every
  /// AP uses the last.
  std::array<int64_t, 3> max_detections{1, 10, 100};
  /// Throws InvalidArgument when a value is out of range.
  void check() const;
};

/// Area ranges, in this order in every array below.
enum AreaRangeIndex : int { kAreaAll = 0, kAreaSmall = 1, kAreaMedium = 2, kAreaLarge = 3 };

struct MeanAveragePrecisionResult {
  CocoStats stats;
  ApMethod ap_method = ApMethod::Coco101;
  std::vector<double> iou_thresholds;     ///< (T) .50 ... .95
  std::vector<double> recall_thresholds;  ///< (R) 0 ... 1
  std::vector<int64_t> max_detections;    ///< (M)
  std::vector<int64_t> class_ids;         ///< (K) evaluated classes, increasing
  std::vector<int64_t> num_truth;         ///< (K) non-crowd truth boxes per class (area all)
  std::vector<int64_t> num_predictions;   ///< (K) predictions per class (before maxDets)
  /// Per class (K), -1 where the class has no non-ignored truth. All use the last maxDets.
  std::vector<double> ap_per_class;         ///< AP @[.50:.95], area all
  std::vector<double> ap50_per_class;       ///< AP @.50
  std::vector<double> ap75_per_class;       ///< AP @.75
  std::vector<double> ap_small_per_class;   ///< AP @[.50:.95], small
  std::vector<double> ap_medium_per_class;  ///< AP @[.50:.95], medium
  std::vector<double> ap_large_per_class;   ///< AP @[.50:.95], large
  std::vector<double> ar_per_class;         ///< AR @[.50:.95], area all
  /// (T, R, K, A, M) row-major: interpolated precision (COCO's eval["precision"]), -1 without truth.
  std::vector<double> precision;
  /// (T, K, A, M) row-major: recall reached (COCO's eval["recall"]), -1 without truth.
  std::vector<double> recall;
  /// (T, K, A, M) row-major: AP by `ap_method`, -1 without truth.
  std::vector<double> average_precision;
  EvalInputReport input;

  int64_t num_iou() const noexcept { return static_cast<int64_t>(iou_thresholds.size()); }
  int64_t num_classes() const noexcept { return static_cast<int64_t>(class_ids.size()); }
};

class MeanAveragePrecision {
 public:
  explicit MeanAveragePrecision(MeanAveragePrecisionOptions options = {});

  /// Adds one image. `predictions`: xyxy pixels, confidence, class_id. `truth`: xyxy, class_id (its
  /// confidence is ignored). `image_id` orders images in the accumulation (ties between equal scores
  /// in different images go to the smaller id); -1 assigns the next unused id (1 + the largest so far).
  /// A repeated image_id throws InvalidArgument. `truth_iscrowd` (empty, or one flag per truth row)
  /// marks COCO crowd regions; `truth_area` (empty, or one value per truth row) overrides the area used
  /// for the size ranges. Bad rows follow eval/input_report.h.
  void update(const Detections& predictions, const Detections& truth, int64_t image_id = -1,
              const std::vector<bool>& truth_iscrowd = {}, const std::vector<double>& truth_area = {});
  /// Forgets every image.
  void reset();
  /// Evaluates everything added so far (the accumulator is unchanged; call again after more updates).
  MeanAveragePrecisionResult compute() const;

  const MeanAveragePrecisionOptions& options() const noexcept { return options_; }
  int64_t num_images() const noexcept { return static_cast<int64_t>(images_.size()); }

  struct Box {  // internal storage, one per kept row
    double x, y, w, h, area, score;
    int64_t class_id;
    bool crowd;
  };
  struct Image {
    int64_t image_id;
    std::vector<Box> predictions, truth;
  };

 private:
  MeanAveragePrecisionOptions options_;
  std::vector<Image> images_;
  std::set<int64_t> image_ids_;
  EvalInputReport input_;
};

}  // namespace autodistill
