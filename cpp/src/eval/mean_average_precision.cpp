#include "autodistill/eval/mean_average_precision.h"

#include <algorithm>
#include <cctype>

#include "autodistill/core/error.h"
#include "autodistill/core/logging.h"
#include "coco_engine.h"

namespace autodistill {

std::array<double, 12> CocoStats::to_array() const {
  return {ap, ap50, ap75, ap_small, ap_medium, ap_large, ar1, ar10, ar100, ar_small, ar_medium, ar_large};
}

CocoStats CocoStats::from_array(const std::array<double, 12>& v) {
  return CocoStats{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]};
}

const std::array<const char*, 12>& CocoStats::names() {
  static const std::array<const char*, 12> kNames{"AP",  "AP50", "AP75", "APs",   "APm", "APl",
                                                  "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
  return kNames;
}

ApMethod parse_ap_method(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n == "coco" || n == "coco101") return ApMethod::Coco101;
  if (n == "voc" || n == "voc_all_point") return ApMethod::VocAllPoint;
  if (n == "voc11" || n == "voc_11_point") return ApMethod::Voc11Point;
  AD_THROW(InvalidArgument, "unknown AP method '{}': expected 'coco', 'voc' or 'voc11'", name);
}

std::string ap_method_name(ApMethod method) {
  switch (method) {
    case ApMethod::Coco101: return "coco";
    case ApMethod::VocAllPoint: return "voc";
    case ApMethod::Voc11Point: return "voc11";
  }
  return "coco";
}

void MeanAveragePrecisionOptions::check() const {
  AD_CHECK(num_classes >= 0, "MeanAveragePrecisionOptions.num_classes must be >= 0 (0 = any), got {}", num_classes);
  AD_CHECK(max_detections[0] > 0 && max_detections[0] <= max_detections[1] && max_detections[1] <= max_detections[2],
           "MeanAveragePrecisionOptions.max_detections must be three increasing positive values, got [{}, {}, {}]",
           max_detections[0], max_detections[1], max_detections[2]);
}

MeanAveragePrecision::MeanAveragePrecision(MeanAveragePrecisionOptions options) : options_(options) {
  options_.check();
}

void MeanAveragePrecision::reset() {
  images_.clear();
  image_ids_.clear();
  input_ = EvalInputReport{};
}

void MeanAveragePrecision::update(const Detections& predictions, const Detections& truth, int64_t image_id,
                                  const std::vector<bool>& truth_iscrowd, const std::vector<double>& truth_area) {
  AD_CHECK(image_id >= -1, "MeanAveragePrecision.update: image_id must be >= 0 (or -1 for automatic), got {}",
           image_id);
  if (image_id == -1) image_id = image_ids_.empty() ? 0 : *image_ids_.rbegin() + 1;
  AD_CHECK(!image_ids_.count(image_id),
           "MeanAveragePrecision.update: image_id {} was already added (each image is added once)", image_id);
  // Validate before counting anything, so a throwing call leaves the accumulator unchanged.
  EvalInputReport report = input_;
  std::vector<int64_t> pred_class, truth_class;
  const auto preds = eval_detail::sanitize_predictions(predictions, options_.num_classes, report, pred_class);
  const auto gts =
      eval_detail::sanitize_truth(truth, options_.num_classes, truth_iscrowd, truth_area, report, truth_class);
  Image img{image_id, {}, {}};
  for (size_t i = 0; i < preds.size(); ++i) {
    const auto& p = preds[i];
    img.predictions.push_back(Box{p.x, p.y, p.w, p.h, p.area, p.score, pred_class[i], false});
  }
  for (size_t i = 0; i < gts.size(); ++i) {
    const auto& t = gts[i];
    img.truth.push_back(Box{t.x, t.y, t.w, t.h, t.area, 0.0, truth_class[i], t.crowd});
  }
  ++report.images;
  report.images_without_truth += img.truth.empty();
  report.images_without_predictions += img.predictions.empty();
  input_ = report;
  image_ids_.insert(image_id);
  images_.push_back(std::move(img));
}

MeanAveragePrecisionResult MeanAveragePrecision::compute() const {
  eval_detail::EngineInput in;
  std::set<int64_t> classes;
  if (options_.num_classes > 0)
    for (int64_t c = 0; c < options_.num_classes; ++c) classes.insert(c);
  for (const Image& img : images_) {
    in.image_ids.push_back(img.image_id);
    for (const Box& b : img.predictions) {
      classes.insert(b.class_id);
      in.cells[{img.image_id, b.class_id}].preds.push_back(
          eval_detail::PredBox{b.x, b.y, b.w, b.h, b.area, b.score});
    }
    for (const Box& b : img.truth) {
      classes.insert(b.class_id);
      in.cells[{img.image_id, b.class_id}].truth.push_back(
          eval_detail::TruthBox{b.x, b.y, b.w, b.h, b.area, b.crowd, false});
    }
  }
  std::sort(in.image_ids.begin(), in.image_ids.end());
  in.category_ids.assign(classes.begin(), classes.end());
  if (input_.has_problems()) log_warning("MeanAveragePrecision: {}", input_.problems());
  MeanAveragePrecisionResult res = eval_detail::run_engine(in, options_.ap_method, options_.max_detections);
  res.input = input_;
  return res;
}

}  // namespace autodistill
