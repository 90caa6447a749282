#pragma once
/// \file
/// What the evaluation accumulators do with bad input, and the counts they keep of it.
///
/// Policy (the same for MeanAveragePrecision, PrecisionRecall, ConfusionMatrix, image_agreement):
///  - Class id out of range (negative, or >= num_classes when num_classes > 0): the row is dropped
///    (prediction or truth alike) and counted.
///  - Invalid box (x2 < x1, y2 < y1, or a non-finite coordinate): the row is KEPT as a box of zero
///    width, height and area. It overlaps nothing (IoU 0), so an invalid truth box is a miss and an
///    invalid prediction a false positive; bad labels cost score instead of vanishing. Counted.
///    (A box with x2 == x1 is valid but empty, and behaves the same way; it is not counted.)
///  - NaN confidence on a prediction: the row is dropped and counted. The confidence of truth
///    rows is never read.
///  - An image with predictions but no truth (or the reverse) is a normal case at this level: an
///    empty `Detections` means "this image has no objects". Every prediction on it is a false
///    positive (for AP only in classes that have truth somewhere). Such images are counted, not
///    warned about.
/// `compute()` logs one warning through the library logger (core/logging.h) when anything was
/// dropped or repaired, naming the counts, e.g. "MeanAveragePrecision: 3 predictions with NaN
/// confidence dropped; 1 truth box invalid (x2 < x1 or y2 < y1), kept with zero area".

#include <cstdint>
#include <string>

namespace autodistill {

/// Counts of the input an accumulator saw since its last reset().
struct EvalInputReport {
  int64_t images = 0;                      ///< update() calls
  int64_t images_without_truth = 0;        ///< images whose truth was empty (after dropping rows)
  int64_t images_without_predictions = 0;  ///< images whose predictions were empty (after dropping rows)
  int64_t predictions = 0;                 ///< prediction rows kept
  int64_t truths = 0;                      ///< truth rows kept
  int64_t predictions_bad_class = 0;       ///< dropped: class id out of range
  int64_t truths_bad_class = 0;            ///< dropped: class id out of range
  int64_t predictions_nan_score = 0;       ///< dropped: NaN confidence
  int64_t predictions_invalid_box = 0;     ///< kept with zero area: x2 < x1, y2 < y1 or non-finite
  int64_t truths_invalid_box = 0;          ///< kept with zero area: x2 < x1, y2 < y1 or non-finite

  /// True when some row was dropped or repaired.
  bool has_problems() const noexcept {
    return predictions_bad_class + truths_bad_class + predictions_nan_score + predictions_invalid_box +
               truths_invalid_box > 0;
  }
  /// One line naming every non-zero problem count ("" when none).
  std::string problems() const;
};

}  // namespace autodistill
