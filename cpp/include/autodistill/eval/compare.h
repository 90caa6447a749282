#pragma once
/// \file
/// Comparing models and prompt sets on the same images: `compare()` draws one row per model,
/// `compare_ontologies()` evaluates one labelling per ontology against human labels and tabulates
/// per-class AP / recall side by side, so a user sees which prompt set works and which classes no
/// prompt finds.
/// Thread-safety: both call the models from the calling thread only.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "autodistill/eval/evaluate.h"
#include "autodistill/models/base_model.h"

namespace autodistill {

class ProgressReporter;

struct CompareOptions {
  int cell_size = 320;           ///< pixels per side of each cell
  float min_confidence = 0.5f;   ///< detections below are not drawn
  /// Caption of each row's first cell; default: each model's name().
  std::vector<std::string> row_titles;
};

/// One row per model, one column per image: each model's detections drawn on each image with its own
/// ontology's class names. InvalidArgument for no models, a null model or no images.
cv::Mat compare(const std::vector<std::shared_ptr<BaseModel>>& models, const std::vector<cv::Mat>& images,
                const CompareOptions& options = {});

/// Detections for a batch of 8-bit BGR images, one per image in order (a model's predict_batch).
using BatchPredictor = std::function<std::vector<Detections>(const std::vector<cv::Mat>&)>;

/// Runs `predict_batch` over the images of `images` (those whose split is `split`; "" = all) in
/// batches of `batch_size` and returns the predictions as a dataset with `classes`, paired with
/// `images` by relative path. Unreadable images are logged and left out. `progress` may be null.
/// InvalidArgument for batch_size < 1 or a predictor that returns the wrong number of results.
DetectionDataset predict_dataset(const BatchPredictor& predict_batch, std::vector<std::string> classes,
                                 const DetectionDataset& images, const std::string& split = "",
                                 int64_t batch_size = 8, ProgressReporter* progress = nullptr);

/// predict_dataset() with `model`, then evaluate() against `ground_truth` (its `split` images):
/// how good a model is on human labels, or how close it is to another model's labels.
EvaluationReport evaluate_model(BaseModel& model, const DetectionDataset& ground_truth,
                                const EvaluateOptions& options = {}, const std::string& split = "",
                                ProgressReporter* progress = nullptr);

/// Makes a model for an ontology (e.g. `[](auto& o) { return std::make_shared<OwlVit>(o, ...); }`).
using ModelFactory = std::function<std::shared_ptr<BaseModel>(const CaptionOntology&)>;

struct OntologyComparison {
  std::vector<std::string> names;         ///< ontology names, in the order given
  std::vector<EvaluationReport> reports;  ///< one per ontology, against the same truth
  /// Truth classes with truth boxes that no ontology finds (no true positive at the report's
  /// confidence and IoU in any report).
  std::vector<std::string> never_found;
  /// The ontology with the highest mAP@.5 (the first on ties); empty without ontologies.
  std::string best;

  /// Rows = truth classes, then "mAP@.5" and "mAP@[.5:.95]"; per ontology the columns AP50 and R
  /// (recall at the report's confidence). "-" where undefined.
  std::string to_table() const;
  /// {"names", "best", "never_found", "classes": {class: {ontology: {ap50, ap, recall}}}, "reports": {...}}
  std::string to_json(int indent = 2) const;
};

/// For each (name, ontology): builds a model with `factory`, predicts every image of `ground_truth`
/// (the human-labelled sample), and evaluates the predictions against it with `options` (the
/// ontology's class names must be truth class names, or be mapped by options.class_map; names that
/// match neither are "invented" as in evaluate()). Unreadable images are logged and left out of that
/// ontology's predictions (so they count as truth images without predictions). `progress` may be null.
/// InvalidArgument for no ontologies, duplicate names or a factory that returns null.
OntologyComparison compare_ontologies(const ModelFactory& factory,
                                      const std::vector<std::pair<std::string, CaptionOntology>>& ontologies,
                                      const DetectionDataset& ground_truth, const EvaluateOptions& options = {},
                                      ProgressReporter* progress = nullptr);

}  // namespace autodistill
