#include "autodistill/eval/precision_recall.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "autodistill/core/error.h"
#include "autodistill/core/logging.h"
#include "coco_engine.h"

namespace autodistill {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(int64_t num, int64_t den) { return den > 0 ? static_cast<double>(num) / static_cast<double>(den) : kNaN; }

// Per-class counts for one image, after the confidence filter.
std::map<int64_t, eval_detail::Counts> image_counts(const Detections& predictions, const Detections& truth,
                                                    const std::vector<bool>& iscrowd, int64_t num_classes,
                                                    double min_confidence, double iou, EvalInputReport& report) {
  std::vector<int64_t> pred_class, truth_class;
  auto preds = eval_detail::sanitize_predictions(predictions, num_classes, report, pred_class);
  auto gts = eval_detail::sanitize_truth(truth, num_classes, iscrowd, {}, report, truth_class);
  std::map<int64_t, std::pair<std::vector<eval_detail::PredBox>, std::vector<eval_detail::TruthBox>>> by_class;
  for (size_t i = 0; i < preds.size(); ++i)
    if (preds[i].score >= min_confidence) by_class[pred_class[i]].first.push_back(preds[i]);
  for (size_t i = 0; i < gts.size(); ++i) by_class[truth_class[i]].second.push_back(gts[i]);
  std::map<int64_t, eval_detail::Counts> out;
  for (const auto& [c, pg] : by_class) out[c] = eval_detail::match_counts(pg.first, pg.second, iou);
  ++report.images;
  report.images_without_truth += gts.empty();
  report.images_without_predictions += preds.empty();
  return out;
}

}  // namespace

void PrecisionRecallOptions::check() const {
  AD_CHECK(num_classes >= 0, "PrecisionRecallOptions.num_classes must be >= 0 (0 = any), got {}", num_classes);
  AD_CHECK(iou_threshold > 0 && iou_threshold <= 1, "PrecisionRecallOptions.iou_threshold must be in (0, 1], got {}",
           iou_threshold);
  AD_CHECK(!std::isnan(confidence_threshold), "PrecisionRecallOptions.confidence_threshold is NaN");
}

PrecisionRecall::PrecisionRecall(PrecisionRecallOptions options) : options_(options) {
  options_.check();
  reset();
}

void PrecisionRecall::reset() {
  class_ids_seen_.clear();
  tp_.clear();
  fp_.clear();
  fn_.clear();
  for (int64_t c = 0; c < options_.num_classes; ++c) {
    class_ids_seen_.push_back(c);
    tp_.push_back(0);
    fp_.push_back(0);
    fn_.push_back(0);
  }
  input_ = EvalInputReport{};
}

void PrecisionRecall::update(const Detections& predictions, const Detections& truth,
                             const std::vector<bool>& truth_iscrowd) {
  EvalInputReport report = input_;
  const auto counts = image_counts(predictions, truth, truth_iscrowd, options_.num_classes,
                                   options_.confidence_threshold, options_.iou_threshold, report);
  input_ = report;
  for (const auto& [c, n] : counts) {
    auto it = std::lower_bound(class_ids_seen_.begin(), class_ids_seen_.end(), c);
    const auto k = static_cast<size_t>(it - class_ids_seen_.begin());
    if (it == class_ids_seen_.end() || *it != c) {
      class_ids_seen_.insert(it, c);
      tp_.insert(tp_.begin() + static_cast<std::ptrdiff_t>(k), 0);
      fp_.insert(fp_.begin() + static_cast<std::ptrdiff_t>(k), 0);
      fn_.insert(fn_.begin() + static_cast<std::ptrdiff_t>(k), 0);
    }
    tp_[k] += n.tp;
    fp_[k] += n.fp;
    fn_[k] += n.fn;
  }
}

PrecisionRecallResult PrecisionRecall::compute() const {
  PrecisionRecallResult r;
  r.class_ids = class_ids_seen_;
  r.tp = tp_;
  r.fp = fp_;
  r.fn = fn_;
  for (size_t k = 0; k < r.class_ids.size(); ++k) {
    r.precision.push_back(ratio(tp_[k], tp_[k] + fp_[k]));
    r.recall.push_back(ratio(tp_[k], tp_[k] + fn_[k]));
    r.f1.push_back(ratio(2 * tp_[k], 2 * tp_[k] + fp_[k] + fn_[k]));
    r.total_tp += tp_[k];
    r.total_fp += fp_[k];
    r.total_fn += fn_[k];
  }
  r.micro_precision = ratio(r.total_tp, r.total_tp + r.total_fp);
  r.micro_recall = ratio(r.total_tp, r.total_tp + r.total_fn);
  r.micro_f1 = ratio(2 * r.total_tp, 2 * r.total_tp + r.total_fp + r.total_fn);
  r.input = input_;
  if (input_.has_problems()) log_warning("PrecisionRecall: {}", input_.problems());
  return r;
}

double image_agreement(const Detections& predictions, const Detections& truth, double iou, double min_confidence) {
  AD_CHECK(iou > 0 && iou <= 1, "image_agreement: iou must be in (0, 1], got {}", iou);
  EvalInputReport report;
  const auto counts = image_counts(predictions, truth, {}, 0, min_confidence, iou, report);
  if (report.has_problems()) log_warning("image_agreement: {}", report.problems());
  int64_t tp = 0, fp = 0, fn = 0;
  for (const auto& [c, n] : counts) {
    tp += n.tp;
    fp += n.fp;
    fn += n.fn;
  }
  if (tp + fp + fn == 0) return 1.0;
  return static_cast<double>(2 * tp) / static_cast<double>(2 * tp + fp + fn);
}

}  // namespace autodistill
