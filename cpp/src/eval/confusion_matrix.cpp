#include "autodistill/eval/confusion_matrix.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "autodistill/core/error.h"
#include "autodistill/core/logging.h"
#include "coco_engine.h"

namespace autodistill {

void ConfusionMatrixOptions::check() const {
  AD_CHECK(num_classes > 0, "ConfusionMatrixOptions.num_classes must be > 0, got {}", num_classes);
  AD_CHECK(iou_threshold > 0 && iou_threshold <= 1, "ConfusionMatrixOptions.iou_threshold must be in (0, 1], got {}",
           iou_threshold);
  AD_CHECK(!std::isnan(confidence_threshold), "ConfusionMatrixOptions.confidence_threshold is NaN");
}

ConfusionMatrix::ConfusionMatrix(ConfusionMatrixOptions options) : options_(options) {
  options_.check();
  reset();
}

void ConfusionMatrix::reset() {
  matrix_ = CountMatrix::Zero(options_.num_classes + 1, options_.num_classes + 1);
  input_ = EvalInputReport{};
}

void ConfusionMatrix::update(const Detections& predictions, const Detections& truth,
                             const std::vector<bool>& truth_iscrowd) {
  using namespace eval_detail;
  EvalInputReport report = input_;
  std::vector<int64_t> pred_class_all, truth_class_all;
  const auto preds_all = sanitize_predictions(predictions, options_.num_classes, report, pred_class_all);
  const auto gts_all = sanitize_truth(truth, options_.num_classes, truth_iscrowd, {}, report, truth_class_all);
  ++report.images;
  report.images_without_truth += gts_all.empty();
  report.images_without_predictions += preds_all.empty();
  input_ = report;

  std::vector<PredBox> preds;
  std::vector<int64_t> pred_class;
  for (size_t i = 0; i < preds_all.size(); ++i)
    if (preds_all[i].score >= options_.confidence_threshold) {
      preds.push_back(preds_all[i]);
      pred_class.push_back(pred_class_all[i]);
    }
  std::vector<TruthBox> gts, crowds;
  std::vector<int64_t> truth_class;
  for (size_t i = 0; i < gts_all.size(); ++i) {
    if (gts_all[i].crowd) {
      crowds.push_back(gts_all[i]);
    } else {
      gts.push_back(gts_all[i]);
      truth_class.push_back(truth_class_all[i]);
    }
  }
  const std::vector<double> ious = box_iou_coco(preds, gts);  // (D, G)
  const size_t D = preds.size(), G = gts.size();
  std::vector<std::tuple<double, size_t, size_t>> cand;  // (iou, g, d)
  for (size_t d = 0; d < D; ++d)
    for (size_t g = 0; g < G; ++g)
      if (ious[d * G + g] >= options_.iou_threshold) cand.emplace_back(ious[d * G + g], g, d);
  std::stable_sort(cand.begin(), cand.end(), [](const auto& a, const auto& b) {
    if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
    if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) < std::get<1>(b);
    return std::get<2>(a) < std::get<2>(b);
  });
  std::vector<uint8_t> g_used(G), d_used(D);
  const int64_t bg = options_.num_classes;
  for (const auto& [v, g, d] : cand) {
    if (g_used[g] || d_used[d]) continue;
    g_used[g] = d_used[d] = 1;
    ++matrix_(truth_class[g], pred_class[d]);
  }
  for (size_t g = 0; g < G; ++g)
    if (!g_used[g]) ++matrix_(truth_class[g], bg);
  const std::vector<double> crowd_ious = box_iou_coco(preds, crowds);
  for (size_t d = 0; d < D; ++d) {
    if (d_used[d]) continue;
    bool in_crowd = false;
    for (size_t c = 0; c < crowds.size(); ++c) in_crowd = in_crowd || crowd_ious[d * crowds.size() + c] >= options_.iou_threshold;
    if (!in_crowd) ++matrix_(bg, pred_class[d]);
  }
}

const CountMatrix& ConfusionMatrix::compute() const {
  if (input_.has_problems()) log_warning("ConfusionMatrix: {}", input_.problems());
  return matrix_;
}

}  // namespace autodistill
