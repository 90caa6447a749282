#include "autodistill/eval/compare.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/core/logging.h"
#include "autodistill/core/progress.h"
#include "autodistill/viz/plot.h"

namespace autodistill {
namespace {

const ClassEvaluation* find_class(const EvaluationReport& r, const std::string& name) {
  for (int64_t c = 0; c < r.num_truth_classes; ++c)
    if (r.per_class[static_cast<size_t>(c)].name == name) return &r.per_class[static_cast<size_t>(c)];
  return nullptr;
}

std::string cell(double v, bool ap) {
  if (ap ? v < 0 : !std::isfinite(v)) return "-";
  return fmt::format("{:.3f}", v);
}

nlohmann::json number_or_null(double v, bool ap) {
  if (ap ? v < 0 : !std::isfinite(v)) return nullptr;
  return v;
}

}  // namespace

cv::Mat compare(const std::vector<std::shared_ptr<BaseModel>>& models, const std::vector<cv::Mat>& images,
                const CompareOptions& options) {
  AD_CHECK(!models.empty(), "compare: no models given");
  AD_CHECK(!images.empty(), "compare: no images given");
  std::vector<cv::Mat> cells;
  std::vector<std::string> titles;
  for (size_t m = 0; m < models.size(); ++m) {
    AD_CHECK(models[m] != nullptr, "compare: model {} is null", m);
    BaseModel& model = *models[m];
    const std::vector<Detections> detections = model.predict_batch(images);
    AD_CHECK(detections.size() == images.size(), "compare: model '{}' returned {} results for {} images", model.name(),
             detections.size(), images.size());
    const std::string row = m < options.row_titles.size() ? options.row_titles[m] : model.name();
    for (size_t i = 0; i < images.size(); ++i) {
      throw_if_interrupted();
      const Detections& d = detections[i];
      std::vector<bool> keep(static_cast<size_t>(d.size()));
      for (Eigen::Index k = 0; k < d.size(); ++k) keep[static_cast<size_t>(k)] = d.confidence()(k) >= options.min_confidence;
      cells.push_back(plot(images[i], d.select(keep), model.ontology().classes()));
      titles.push_back(i == 0 ? row : std::string());
    }
  }
  GridOptions g;
  g.titles = std::move(titles);
  return grid(cells, static_cast<int>(images.size()), options.cell_size, g);
}

DetectionDataset predict_dataset(const BatchPredictor& predict_batch, std::vector<std::string> classes,
                                 const DetectionDataset& images, const std::string& split, int64_t batch_size,
                                 ProgressReporter* progress) {
  AD_CHECK(batch_size >= 1, "predict_dataset: batch_size must be >= 1, got {}", batch_size);
  std::vector<const DatasetImage*> todo;
  for (const DatasetImage& im : images.images())
    if (split.empty() || im.split == split) todo.push_back(&im);
  if (progress) progress->start("predicting", static_cast<int64_t>(todo.size()));
  std::vector<DatasetImage> out;
  int64_t unreadable = 0;
  for (size_t start = 0; start < todo.size(); start += static_cast<size_t>(batch_size)) {
    throw_if_interrupted();
    std::vector<cv::Mat> pixels;
    std::vector<const DatasetImage*> batch;
    const size_t end = std::min(todo.size(), start + static_cast<size_t>(batch_size));
    for (size_t i = start; i < end; ++i) {
      try {
        pixels.push_back(load_image(todo[i]->path));
        batch.push_back(todo[i]);
      } catch (const Error& e) {
        ++unreadable;
        log_warning("predict_dataset: {} is left out: {}", todo[i]->path.string(), e.message());
      }
    }
    if (pixels.empty()) continue;
    std::vector<Detections> detections = predict_batch(pixels);
    AD_CHECK(detections.size() == pixels.size(), "predict_dataset: the predictor returned {} results for {} images",
             detections.size(), pixels.size());
    for (size_t k = 0; k < batch.size(); ++k) {
      DatasetImage im;
      im.path = batch[k]->path;
      im.relative_path = batch[k]->relative_path;
      im.width = pixels[k].cols;
      im.height = pixels[k].rows;
      im.split = batch[k]->split;
      im.detections = std::move(detections[k]);
      out.push_back(std::move(im));
    }
    if (progress) progress->advance(static_cast<int64_t>(end - start));
  }
  if (progress) progress->finish(unreadable ? fmt::format("{} unreadable images", unreadable) : std::string());
  DetectionDataset ds(std::move(classes), std::move(out));
  ds.set_has_scores(true);
  return ds;
}

EvaluationReport evaluate_model(BaseModel& model, const DetectionDataset& ground_truth, const EvaluateOptions& options,
                                const std::string& split, ProgressReporter* progress) {
  options.check();
  DetectionDataset truth = ground_truth;
  if (!split.empty()) {
    auto& ims = truth.mutable_images();
    ims.erase(std::remove_if(ims.begin(), ims.end(), [&](const DatasetImage& im) { return im.split != split; }),
              ims.end());
  }
  const DetectionDataset predictions = predict_dataset(
      [&model](const std::vector<cv::Mat>& images) { return model.predict_batch(images); },
      model.ontology().classes(), truth, "", 8, progress);
  return evaluate(predictions, truth, options);
}

OntologyComparison compare_ontologies(const ModelFactory& factory,
                                      const std::vector<std::pair<std::string, CaptionOntology>>& ontologies,
                                      const DetectionDataset& ground_truth, const EvaluateOptions& options,
                                      ProgressReporter* progress) {
  AD_CHECK(!ontologies.empty(), "compare_ontologies: no ontologies given");
  AD_CHECK(static_cast<bool>(factory), "compare_ontologies: no model factory given");
  std::set<std::string> seen;
  for (const auto& [name, ontology] : ontologies)
    AD_CHECK(seen.insert(name).second, "compare_ontologies: ontology name '{}' is given twice", name);
  options.check();

  // Images are decoded once and shared by every ontology's model.
  const auto& truth_images = ground_truth.images();
  std::vector<cv::Mat> pixels(truth_images.size());
  std::vector<bool> readable(truth_images.size(), false);
  int64_t unreadable = 0;
  for (size_t i = 0; i < truth_images.size(); ++i) {
    try {
      pixels[i] = load_image(truth_images[i].path);
      readable[i] = true;
    } catch (const Error& e) {
      ++unreadable;
      log_warning("compare_ontologies: {} is left out: {}", truth_images[i].path.string(), e.message());
    }
  }
  if (progress) progress->start("comparing ontologies", static_cast<int64_t>(ontologies.size() * truth_images.size()));

  OntologyComparison out;
  for (const auto& [name, ontology] : ontologies) {
    std::shared_ptr<BaseModel> model = factory(ontology);
    AD_CHECK(model != nullptr, "compare_ontologies: the factory returned no model for ontology '{}'", name);
    std::vector<DatasetImage> predicted;
    for (size_t i = 0; i < truth_images.size(); ++i) {
      throw_if_interrupted();
      if (readable[i]) {
        DatasetImage im;
        im.path = truth_images[i].path;
        im.relative_path = truth_images[i].relative_path;
        im.detections = model->predict(pixels[i]);
        predicted.push_back(std::move(im));
      }
      if (progress) progress->advance(1, name);
    }
    DetectionDataset predictions(model->ontology().classes(), std::move(predicted));
    out.names.push_back(name);
    out.reports.push_back(evaluate(predictions, ground_truth, options));
  }
  if (progress) progress->finish(unreadable ? fmt::format("{} unreadable images", unreadable) : std::string());

  const EvaluationReport& first = out.reports.front();
  for (int64_t c = 0; c < first.num_truth_classes; ++c) {
    const ClassEvaluation& ce = first.per_class[static_cast<size_t>(c)];
    if (ce.num_truth == 0) continue;
    bool found = false;
    for (const auto& r : out.reports)
      if (const ClassEvaluation* x = find_class(r, ce.name); x && x->tp > 0) found = true;
    if (!found) out.never_found.push_back(ce.name);
  }
  size_t best = 0;
  for (size_t k = 1; k < out.reports.size(); ++k)
    if (out.reports[k].coco_stats.ap50 > out.reports[best].coco_stats.ap50) best = k;
  out.best = out.names[best];
  return out;
}

std::string OntologyComparison::to_table() const {
  if (reports.empty()) return "no ontologies\n";
  const EvaluationReport& first = reports.front();
  size_t w = std::string("mAP@[.5:.95]").size();
  for (int64_t c = 0; c < first.num_truth_classes; ++c)
    w = std::max(w, first.per_class[static_cast<size_t>(c)].name.size());
  size_t col = 13;
  for (const auto& n : names) col = std::max(col, n.size());
  std::string s = fmt::format("{:<{}}", "class", w);
  for (const auto& n : names) s += fmt::format("  {:>{}}", n, col);
  s += fmt::format("\n{:<{}}", "", w);
  for (size_t k = 0; k < names.size(); ++k) s += fmt::format("  {:>{}}", "AP50 / R", col);
  s += "\n";
  for (int64_t c = 0; c < first.num_truth_classes; ++c) {
    const std::string& name = first.per_class[static_cast<size_t>(c)].name;
    s += fmt::format("{:<{}}", name, w);
    for (const auto& r : reports) {
      const ClassEvaluation* x = find_class(r, name);
      s += fmt::format("  {:>{}}", x ? cell(x->ap50, true) + " / " + cell(x->recall, false) : std::string("-"), col);
    }
    s += "\n";
  }
  s += fmt::format("{:<{}}", "mAP@.5", w);
  for (const auto& r : reports) s += fmt::format("  {:>{}}", cell(r.coco_stats.ap50, true), col);
  s += fmt::format("\n{:<{}}", "mAP@[.5:.95]", w);
  for (const auto& r : reports) s += fmt::format("  {:>{}}", cell(r.coco_stats.ap, true), col);
  s += fmt::format("\nbest: {}\n", best);
  if (!never_found.empty()) s += fmt::format("found by no ontology: {}\n", fmt::join(never_found, ", "));
  return s;
}

std::string OntologyComparison::to_json(int indent) const {
  nlohmann::json j;
  j["names"] = names;
  j["best"] = best;
  j["never_found"] = never_found;
  nlohmann::json classes = nlohmann::json::object();
  if (!reports.empty()) {
    const EvaluationReport& first = reports.front();
    for (int64_t c = 0; c < first.num_truth_classes; ++c) {
      const std::string& name = first.per_class[static_cast<size_t>(c)].name;
      nlohmann::json row = nlohmann::json::object();
      for (size_t k = 0; k < reports.size(); ++k) {
        const ClassEvaluation* x = find_class(reports[k], name);
        row[names[k]] = x ? nlohmann::json{{"ap50", number_or_null(x->ap50, true)},
                                           {"ap", number_or_null(x->ap, true)},
                                           {"recall", number_or_null(x->recall, false)}}
                          : nlohmann::json(nullptr);
      }
      classes[name] = row;
    }
  }
  j["classes"] = classes;
  nlohmann::json rs = nlohmann::json::object();
  for (size_t k = 0; k < reports.size(); ++k) rs[names[k]] = nlohmann::json::parse(reports[k].to_json(-1));
  j["reports"] = rs;
  return j.dump(indent);
}

}  // namespace autodistill
