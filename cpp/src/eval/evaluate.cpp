#include "autodistill/eval/evaluate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/core/logging.h"
#include "autodistill/eval/coco_evaluate.h"
#include "autodistill/eval/precision_recall.h"
#include "autodistill/io/file_io.h"

namespace autodistill {
namespace {
namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string without_extension(const std::string& relative_path) {
  fs::path p(relative_path);
  return p.replace_extension().generic_string();
}

std::string file_stem(const std::string& relative_path) { return fs::path(relative_path).stem().string(); }

std::vector<bool> crowd_flags(const Detections& d) {
  auto it = d.data().find("iscrowd");
  if (it == d.data().end()) return {};
  std::vector<bool> out(static_cast<size_t>(d.size()), false);
  if (auto* v = std::get_if<std::vector<int64_t>>(&it->second))
    for (size_t i = 0; i < v->size() && i < out.size(); ++i) out[i] = (*v)[i] != 0;
  else if (auto* v = std::get_if<std::vector<double>>(&it->second))
    for (size_t i = 0; i < v->size() && i < out.size(); ++i) out[i] = (*v)[i] != 0;
  return out;
}

// The rows the metrics keep, with invalid boxes made empty: what they evaluate, without the counting
// and warning (the dataset-wide accumulators already count and warn once).
Detections clean_rows(const Detections& d, bool predictions) {
  std::vector<bool> keep(static_cast<size_t>(d.size()));
  for (Eigen::Index i = 0; i < d.size(); ++i)
    keep[static_cast<size_t>(i)] = d.class_id()(i) >= 0 && !(predictions && std::isnan(d.confidence()(i)));
  Detections out = d.select(keep);
  auto& b = out.mutable_xyxy();
  for (Eigen::Index i = 0; i < b.rows(); ++i)
    if (!b.row(i).allFinite() || b(i, 2) < b(i, 0) || b(i, 3) < b(i, 1)) b.row(i).setZero();
  return out;
}

// A json number, or null for NaN / infinity (JSON has neither).
nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string fmt_ratio(double v) { return std::isfinite(v) ? fmt::format("{:.3f}", v) : std::string("-"); }
std::string fmt_ap(double v) { return v < 0 ? std::string("-") : fmt::format("{:.3f}", v); }

}  // namespace

void EvaluateOptions::check() const {
  AD_CHECK(iou >= 0 && iou <= 1, "EvaluateOptions.iou must be in [0, 1], got {}", iou);
  AD_CHECK(confidence >= 0 && confidence <= 1, "EvaluateOptions.confidence must be in [0, 1], got {}", confidence);
  AD_CHECK(agreement_f1_threshold >= 0 && agreement_f1_threshold <= 1,
           "EvaluateOptions.agreement_f1_threshold must be in [0, 1], got {}", agreement_f1_threshold);
  AD_CHECK(review_queue_size >= 0, "EvaluateOptions.review_queue_size must be >= 0, got {}", review_queue_size);
}

Detections to_eval_classes(const EvaluationReport& report, const Detections& predictions) {
  Detections out = predictions;
  auto& ids = out.mutable_class_id();
  const auto n = static_cast<int64_t>(report.prediction_class_to_eval.size());
  for (Eigen::Index i = 0; i < ids.size(); ++i)
    ids(i) = (ids(i) >= 0 && ids(i) < n) ? report.prediction_class_to_eval[static_cast<size_t>(ids(i))] : -1;
  return out;
}

EvaluationReport evaluate(const DetectionDataset& predictions, const DetectionDataset& ground_truth,
                          const EvaluateOptions& options) {
  options.check();
  EvaluationReport r;
  r.options = options;

  // --- classes: truth classes, then invented prediction classes.
  const auto& truth_classes = ground_truth.classes();
  const auto& pred_classes = predictions.classes();
  std::unordered_map<std::string, int64_t> truth_index;
  for (size_t i = 0; i < truth_classes.size(); ++i) truth_index.emplace(truth_classes[i], static_cast<int64_t>(i));
  for (const auto& [from, to] : options.class_map) {
    AD_CHECK(std::find(pred_classes.begin(), pred_classes.end(), from) != pred_classes.end(),
             "class_map key '{}' is not a prediction class (prediction classes: {})", from,
             fmt::join(pred_classes, ", "));
    AD_CHECK(truth_index.count(to), "class_map value '{}' (for '{}') is not a truth class (truth classes: {})", to, from,
             fmt::join(truth_classes, ", "));
  }
  r.classes = truth_classes;
  r.num_truth_classes = static_cast<int64_t>(truth_classes.size());
  for (const std::string& name : pred_classes) {
    auto m = options.class_map.find(name);
    const std::string& target = m == options.class_map.end() ? name : m->second;
    auto t = truth_index.find(target);
    if (t != truth_index.end()) {
      r.prediction_class_to_eval.push_back(t->second);
    } else {
      r.prediction_class_to_eval.push_back(static_cast<int64_t>(r.classes.size()));
      r.classes.push_back(name);
      r.invented_classes.push_back(name);
    }
  }
  const auto num_classes = static_cast<int64_t>(r.classes.size());

  // --- pair images by relative path without extension, then by unique file stem.
  const auto& truth_images = ground_truth.images();
  std::unordered_map<std::string, size_t> by_path;
  std::unordered_map<std::string, std::vector<size_t>> by_stem;
  for (size_t i = 0; i < truth_images.size(); ++i) {
    by_path.emplace(without_extension(truth_images[i].relative_path), i);
    by_stem[file_stem(truth_images[i].relative_path)].push_back(i);
  }
  std::vector<std::pair<size_t, size_t>> pairs;  // (truth index, prediction index)
  std::vector<bool> truth_used(truth_images.size(), false);
  const auto& pred_images = predictions.images();
  for (size_t p = 0; p < pred_images.size(); ++p) {
    size_t t = truth_images.size();
    if (auto it = by_path.find(without_extension(pred_images[p].relative_path)); it != by_path.end()) {
      t = it->second;
    } else if (auto s = by_stem.find(file_stem(pred_images[p].relative_path)); s != by_stem.end() && s->second.size() == 1) {
      t = s->second.front();
    }
    if (t == truth_images.size() || truth_used[t]) {
      r.prediction_images_without_truth.push_back(pred_images[p].relative_path);
      continue;
    }
    truth_used[t] = true;
    pairs.emplace_back(t, p);
  }
  for (size_t t = 0; t < truth_images.size(); ++t)
    if (!truth_used[t]) r.truth_images_without_predictions.push_back(truth_images[t].relative_path);
  std::sort(pairs.begin(), pairs.end(), [&](const auto& a, const auto& b) {
    return truth_images[a.first].relative_path < truth_images[b.first].relative_path;
  });
  if (!r.prediction_images_without_truth.empty() || !r.truth_images_without_predictions.empty())
    log_warning("evaluate: {} prediction images have no truth image and {} truth images have no predictions; they "
                "are not evaluated ({} images paired)",
                r.prediction_images_without_truth.size(), r.truth_images_without_predictions.size(), pairs.size());

  // --- metrics.
  MeanAveragePrecisionOptions map_options;
  map_options.num_classes = num_classes;
  MeanAveragePrecision map(map_options);
  PrecisionRecallOptions pr_options;
  pr_options.num_classes = num_classes;
  pr_options.confidence_threshold = options.confidence;
  pr_options.iou_threshold = options.iou;
  PrecisionRecall pr(pr_options);
  ConfusionMatrixOptions cm_options;
  cm_options.num_classes = std::max<int64_t>(num_classes, 1);
  cm_options.confidence_threshold = options.confidence;
  cm_options.iou_threshold = options.iou;
  ConfusionMatrix cm(cm_options);
  std::vector<int64_t> predictions_per_class(static_cast<size_t>(num_classes), 0);
  int64_t agreeing = 0;
  double agreement_sum = 0;

  int64_t image_id = 0;
  for (const auto& [t, p] : pairs) {
    throw_if_interrupted();
    const DatasetImage& ti = truth_images[t];
    const Detections pred = to_eval_classes(r, pred_images[p].detections);
    Detections truth = ti.detections;
    for (Eigen::Index i = 0; i < truth.size(); ++i)  // an id past the truth classes must not land on an invented one
      if (truth.class_id()(i) >= r.num_truth_classes) truth.mutable_class_id()(i) = -1;
    const std::vector<bool> crowd = crowd_flags(truth);
    map.update(pred, truth, ++image_id, crowd);
    pr.update(pred, truth, crowd);
    cm.update(pred, truth, crowd);
    for (Eigen::Index i = 0; i < pred.size(); ++i)
      if (pred.class_id()(i) >= 0 && pred.class_id()(i) < num_classes && !std::isnan(pred.confidence()(i)))
        ++predictions_per_class[static_cast<size_t>(pred.class_id()(i))];

    ImageEvaluation im;
    im.relative_path = ti.relative_path;
    im.image_path = ti.path;
    im.prediction_relative_path = pred_images[p].relative_path;
    PrecisionRecall one(pr_options);
    {
      std::vector<bool> keep(static_cast<size_t>(truth.size()));
      for (Eigen::Index i = 0; i < truth.size(); ++i) keep[static_cast<size_t>(i)] = truth.class_id()(i) >= 0;
      std::vector<bool> kept_crowd;
      for (size_t i = 0; i < crowd.size(); ++i)
        if (keep[i]) kept_crowd.push_back(crowd[i]);
      one.update(clean_rows(pred, true), clean_rows(truth.select(keep), false), kept_crowd);
    }
    const PrecisionRecallResult res = one.compute();
    im.tp = res.total_tp;
    im.fp = res.total_fp;
    im.fn = res.total_fn;
    im.num_truth = res.total_tp + res.total_fn;
    const int64_t denom = 2 * im.tp + im.fp + im.fn;
    im.agreement = denom == 0 ? 1.0 : 2.0 * static_cast<double>(im.tp) / static_cast<double>(denom);

    std::set<int64_t> truth_present, predicted;
    double conf_sum = 0;
    for (Eigen::Index i = 0; i < pred.size(); ++i) {
      const float c = pred.confidence()(i);
      if (std::isnan(c) || c < options.confidence || pred.class_id()(i) < 0) continue;
      ++im.num_predictions;
      conf_sum += c;
      predicted.insert(pred.class_id()(i));
    }
    im.mean_confidence = im.num_predictions ? conf_sum / static_cast<double>(im.num_predictions) : kNaN;
    for (Eigen::Index i = 0; i < truth.size(); ++i) {
      const int64_t c = truth.class_id()(i);
      if (c < 0 || c >= r.num_truth_classes) continue;
      if (!crowd.empty() && crowd[static_cast<size_t>(i)]) continue;
      truth_present.insert(c);
    }
    for (int64_t c : truth_present)
      if (!predicted.count(c)) im.missed_classes.push_back(r.classes[static_cast<size_t>(c)]);
    const double missed_share =
        truth_present.empty() ? 0.0 : static_cast<double>(im.missed_classes.size()) / static_cast<double>(truth_present.size());
    const double low_conf = im.num_predictions ? 1.0 - im.mean_confidence : 0.0;
    im.review_score = (1.0 - im.agreement) + 0.5 * missed_share + 0.25 * low_conf;

    std::vector<std::string> why;
    if (im.fn) why.push_back(fmt::format("{} missed box{}", im.fn, im.fn == 1 ? "" : "es"));
    if (im.fp) why.push_back(fmt::format("{} extra box{}", im.fp, im.fp == 1 ? "" : "es"));
    if (!im.missed_classes.empty()) why.push_back(fmt::format("missed class {}", fmt::join(im.missed_classes, ", ")));
    // Confidence is named only when it is low: below the midpoint between the threshold and 1.
    if (im.num_predictions && im.mean_confidence < (1.0 + options.confidence) / 2)
      why.push_back(fmt::format("low confidence (mean {:.2f})", im.mean_confidence));
    if (why.empty() && im.review_score > 0) why.push_back(fmt::format("mean confidence {:.2f}", im.mean_confidence));
    im.reason = fmt::format("{}", fmt::join(why, "; "));

    agreement_sum += im.agreement;
    if (im.agreement >= options.agreement_f1_threshold) ++agreeing;
    r.images.push_back(std::move(im));
  }

  // --- summaries.
  const MeanAveragePrecisionResult m = map.compute();
  const PrecisionRecallResult prr = pr.compute();
  r.coco_stats = m.stats;
  r.confusion = cm.compute();
  if (num_classes == 0) r.confusion = CountMatrix::Zero(1, 1);
  r.input = m.input;
  r.micro_precision = prr.micro_precision;
  r.micro_recall = prr.micro_recall;
  r.micro_f1 = prr.micro_f1;
  for (int64_t c = 0; c < num_classes; ++c) {
    ClassEvaluation ce;
    ce.name = r.classes[static_cast<size_t>(c)];
    ce.invented = c >= r.num_truth_classes;
    ce.num_predictions = predictions_per_class[static_cast<size_t>(c)];
    const auto mk = std::find(m.class_ids.begin(), m.class_ids.end(), c);
    if (mk != m.class_ids.end()) {
      const auto k = static_cast<size_t>(mk - m.class_ids.begin());
      ce.num_truth = m.num_truth[k];
      ce.ap = m.ap_per_class[k];
      ce.ap50 = m.ap50_per_class[k];
    }
    const auto pk = std::find(prr.class_ids.begin(), prr.class_ids.end(), c);
    if (pk != prr.class_ids.end()) {
      const auto k = static_cast<size_t>(pk - prr.class_ids.begin());
      ce.tp = prr.tp[k];
      ce.fp = prr.fp[k];
      ce.fn = prr.fn[k];
      ce.precision = prr.precision[k];
      ce.recall = prr.recall[k];
      ce.f1 = prr.f1[k];
    } else {
      ce.precision = ce.recall = ce.f1 = kNaN;
    }
    if (!ce.invented && ce.num_truth > 0 && ce.num_predictions == 0) r.missed_classes.push_back(ce.name);
    r.per_class.push_back(std::move(ce));
  }
  const auto n_images = static_cast<int64_t>(r.images.size());
  r.mean_agreement = n_images ? agreement_sum / static_cast<double>(n_images) : 1.0;
  r.agreement_share = n_images ? static_cast<double>(agreeing) / static_cast<double>(n_images) : 0.0;

  for (int64_t i = 0; i < n_images; ++i)
    if (r.images[static_cast<size_t>(i)].review_score > 0) r.review_queue.push_back(i);
  std::stable_sort(r.review_queue.begin(), r.review_queue.end(), [&](int64_t a, int64_t b) {
    return r.images[static_cast<size_t>(a)].review_score > r.images[static_cast<size_t>(b)].review_score;
  });
  if (options.review_queue_size > 0 && static_cast<int64_t>(r.review_queue.size()) > options.review_queue_size)
    r.review_queue.resize(static_cast<size_t>(options.review_queue_size));
  return r;
}

EvaluationReport evaluate_coco(const fs::path& ground_truth_json, const fs::path& results_json,
                               const EvaluateOptions& options, const fs::path& images_dir) {
  fs::path dir = images_dir;
  if (dir.empty()) {
    std::error_code ec;
    const fs::path parent = ground_truth_json.parent_path().empty() ? fs::path(".") : ground_truth_json.parent_path();
    dir = fs::is_directory(parent / "images", ec) ? parent / "images" : parent;
  }
  const DetectionDataset truth = DetectionDataset::from_coco(dir, ground_truth_json);
  const DetectionDataset predictions = DetectionDataset::from_coco_results(dir, ground_truth_json, results_json);
  EvaluationReport r = evaluate(predictions, truth, options);
  r.coco_stats = coco_evaluate(ground_truth_json.string(), results_json.string());
  return r;
}

std::string EvaluationReport::to_json(int indent) const {
  using nlohmann::json;
  json j;
  j["options"] = {{"class_map", options.class_map},
                  {"iou", options.iou},
                  {"confidence", options.confidence},
                  {"agreement_f1_threshold", options.agreement_f1_threshold},
                  {"review_queue_size", options.review_queue_size}};
  j["classes"] = classes;
  j["num_truth_classes"] = num_truth_classes;
  json stats = json::object();
  const auto sv = coco_stats.to_array();
  for (size_t i = 0; i < sv.size(); ++i) stats[CocoStats::names()[i]] = sv[i];
  j["coco_stats"] = stats;
  j["micro"] = {{"precision", num(micro_precision)}, {"recall", num(micro_recall)}, {"f1", num(micro_f1)}};
  json pc = json::array();
  for (const auto& c : per_class)
    pc.push_back({{"name", c.name}, {"invented", c.invented}, {"num_truth", c.num_truth},
                  {"num_predictions", c.num_predictions}, {"ap", c.ap}, {"ap50", c.ap50}, {"tp", c.tp},
                  {"fp", c.fp}, {"fn", c.fn}, {"precision", num(c.precision)}, {"recall", num(c.recall)},
                  {"f1", num(c.f1)}});
  j["per_class"] = pc;
  json cmj = json::array();
  for (Eigen::Index i = 0; i < confusion.rows(); ++i) {
    json row = json::array();
    for (Eigen::Index k = 0; k < confusion.cols(); ++k) row.push_back(confusion(i, k));
    cmj.push_back(row);
  }
  j["confusion_matrix"] = cmj;
  j["mean_agreement"] = mean_agreement;
  j["agreement_share"] = agreement_share;
  j["missed_classes"] = missed_classes;
  j["invented_classes"] = invented_classes;
  auto image_json = [](const ImageEvaluation& im) {
    return json{{"relative_path", im.relative_path}, {"image_path", im.image_path.generic_string()},
                {"prediction_relative_path", im.prediction_relative_path},
                {"num_truth", im.num_truth}, {"num_predictions", im.num_predictions}, {"tp", im.tp},
                {"fp", im.fp}, {"fn", im.fn}, {"agreement", im.agreement},
                {"mean_confidence", num(im.mean_confidence)}, {"missed_classes", im.missed_classes},
                {"review_score", im.review_score}, {"reason", im.reason}};
  };
  json ims = json::array();
  for (const auto& im : images) ims.push_back(image_json(im));
  j["images"] = ims;
  json queue = json::array();
  for (int64_t i : review_queue) queue.push_back(image_json(images[static_cast<size_t>(i)]));
  j["review_queue"] = queue;
  j["prediction_images_without_truth"] = prediction_images_without_truth;
  j["truth_images_without_predictions"] = truth_images_without_predictions;
  j["input"] = {{"images", input.images},
                {"predictions", input.predictions},
                {"truths", input.truths},
                {"predictions_bad_class", input.predictions_bad_class},
                {"truths_bad_class", input.truths_bad_class},
                {"predictions_nan_score", input.predictions_nan_score},
                {"predictions_invalid_box", input.predictions_invalid_box},
                {"truths_invalid_box", input.truths_invalid_box}};
  return j.dump(indent);
}

void EvaluationReport::save_json(const std::filesystem::path& path) const { write_file_atomic(path, to_json() + "\n"); }

std::string EvaluationReport::to_table(int max_queue_rows) const {
  std::string s;
  s += fmt::format("images evaluated {}  (prediction images without truth {}, truth images without predictions {})\n",
                   images.size(), prediction_images_without_truth.size(), truth_images_without_predictions.size());
  s += fmt::format("mAP@[.5:.95] {}  mAP@.5 {}  mAP@.75 {}\n", fmt_ap(coco_stats.ap), fmt_ap(coco_stats.ap50),
                   fmt_ap(coco_stats.ap75));
  s += fmt::format("at confidence >= {:.2f}, IoU >= {:.2f}: precision {}  recall {}  F1 {}\n", options.confidence,
                   options.iou, fmt_ratio(micro_precision), fmt_ratio(micro_recall), fmt_ratio(micro_f1));
  s += fmt::format("agreement: mean F1 {:.3f}; {:.1f}% of images have F1 >= {:.2f}\n", mean_agreement,
                   100.0 * agreement_share, options.agreement_f1_threshold);
  if (!missed_classes.empty()) s += fmt::format("missed classes: {}\n", fmt::join(missed_classes, ", "));
  if (!invented_classes.empty()) s += fmt::format("invented classes: {}\n", fmt::join(invented_classes, ", "));
  size_t w = 5;
  for (const auto& c : per_class) w = std::max(w, c.name.size() + (c.invented ? 2 : 0));
  s += fmt::format("\n{:<{}}  {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}\n", "class", w, "truth", "pred", "AP", "AP50",
                   "P", "R", "F1");
  for (const auto& c : per_class)
    s += fmt::format("{:<{}}  {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}\n", c.invented ? c.name + " *" : c.name, w,
                     c.num_truth, c.num_predictions, fmt_ap(c.ap), fmt_ap(c.ap50), fmt_ratio(c.precision),
                     fmt_ratio(c.recall), fmt_ratio(c.f1));
  if (!invented_classes.empty()) s += "(* invented: no truth class)\n";
  if (!review_queue.empty()) {
    s += fmt::format("\nreview queue ({} images, top {}):\n", review_queue.size(),
                     std::min<size_t>(review_queue.size(), static_cast<size_t>(std::max(0, max_queue_rows))));
    for (size_t q = 0; q < review_queue.size() && static_cast<int>(q) < max_queue_rows; ++q) {
      const auto& im = images[static_cast<size_t>(review_queue[q])];
      s += fmt::format("  {:>2}. {:.3f}  F1 {:.2f}  {}  {}\n", q + 1, im.review_score, im.agreement, im.relative_path,
                       im.reason);
    }
  }
  return s;
}

}  // namespace autodistill
