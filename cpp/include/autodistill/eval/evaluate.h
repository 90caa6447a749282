#pragma once
/// \file
/// `evaluate()`: AI labels (a DetectionDataset with scores) against human labels (another
/// DetectionDataset), with the metrics of eval/ plus per-image agreement and a review queue.
///
/// Conventions (docs/evaluation.md, "Dataset evaluation", has the full list):
///  - Images are paired by name: the relative path without its extension ("street/a.jpg" pairs with
///    "street/a.png"); a prediction image with no such truth image is then paired by its file-name
///    stem when exactly one truth image has that stem. Images present on one side only are NOT
///    evaluated (the model never saw them, or nobody labelled them; an image present with no boxes
///    is evaluated as "nothing there"); they are counted in `EvaluationReport` and logged as one warning.
///  - Classes: the evaluation class space is the truth classes (ids as in the truth dataset) followed by
///    the "invented" classes: prediction classes whose name (after `class_map`) is not a truth class,
///    in prediction-class order. Their predictions count as false positives (PR, agreement, confusion's
///    background row) and their AP is -1 (no truth), so they leave mAP unchanged. A truth class with
///    truth boxes but no prediction at all is "missed". Several prediction classes may map to one truth
///    class. A `class_map` key that is not a prediction class, or a value that is not a truth class,
///    is InvalidArgument (a typo would silently turn a class into "invented").
///  - A prediction row whose class id is outside the prediction classes is dropped and counted
///    (eval/input_report.h); crowd truth (COCO "iscrowd" data column) is passed to every metric.
///  - Per image: TP/FP/FN with PrecisionRecall's matching at `confidence` and `iou`; agreement =
///    2TP / (2TP + FP + FN), 1.0 when both sides are empty (image_agreement()).
///  - Review score of an image (higher = look first), in [0, 1.75]:
///      (1 - agreement) + 0.5 * missed_class_share + 0.25 * (1 - mean_confidence)
///    where missed_class_share = truth classes present in the image with no prediction of that class
///    (at `confidence`) / truth classes present, and mean_confidence is the mean confidence of the
///    image's predictions at `confidence` (the last term is 0 when there are none). The queue holds the
///    images with a score > 0, highest first (ties by relative path), at most `review_queue_size`.
/// Thread-safety: evaluate() is reentrant; a report is a plain value.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "autodistill/eval/confusion_matrix.h"
#include "autodistill/eval/input_report.h"
#include "autodistill/eval/mean_average_precision.h"
#include "autodistill/io/dataset.h"

namespace autodistill {

struct EvaluateOptions {
  /// Prediction class name -> truth class name, for names that differ ("cone" -> "traffic_cone").
  std::map<std::string, std::string> class_map;
  /// A predicted and a truth box match when IoU >= iou (precision/recall, agreement, confusion).
  double iou = 0.5;
  /// Predictions with confidence >= this count for precision/recall, agreement and confusion
  /// (mAP uses every prediction, as COCO).
  double confidence = 0.5;
  /// An image "agrees" when its agreement F1 >= this.
  double agreement_f1_threshold = 0.8;
  /// Longest review queue; 0 keeps every image with a score > 0.
  int64_t review_queue_size = 20;
  /// InvalidArgument for values outside [0, 1] or a negative queue size.
  void check() const;
};

/// One row of the per-class table (evaluation class space: truth classes, then invented ones).
struct ClassEvaluation {
  std::string name;
  bool invented = false;        ///< a prediction class with no truth counterpart
  int64_t num_truth = 0;        ///< non-crowd truth boxes
  int64_t num_predictions = 0;  ///< every prediction (any confidence)
  double ap = -1;               ///< COCO AP @[.50:.95]; -1 without truth
  double ap50 = -1;             ///< AP @.50; -1 without truth
  int64_t tp = 0, fp = 0, fn = 0;           ///< at options.confidence / options.iou
  double precision = 0, recall = 0, f1 = 0;  ///< NaN where undefined (precision_recall.h)
};

/// One evaluated image.
struct ImageEvaluation {
  std::string relative_path;             ///< the truth image's relative path
  std::filesystem::path image_path;      ///< the truth image's file
  std::string prediction_relative_path;  ///< the paired prediction image's relative path
  int64_t num_truth = 0;                 ///< truth boxes (non-crowd)
  int64_t num_predictions = 0;           ///< predictions at options.confidence
  int64_t tp = 0, fp = 0, fn = 0;
  double agreement = 1.0;                ///< F1 in [0, 1]
  double mean_confidence = 0;            ///< of predictions at options.confidence; NaN when none
  std::vector<std::string> missed_classes;  ///< truth classes in the image that no prediction names
  double review_score = 0;               ///< see the file comment
  std::string reason;                    ///< why it is in the review queue ("" when score is 0)
};

struct EvaluationReport {
  EvaluateOptions options;
  std::vector<std::string> classes;    ///< evaluation class space: truth classes, then invented ones
  int64_t num_truth_classes = 0;       ///< classes[0, num_truth_classes) are the truth classes
  /// Evaluation class id of each prediction class id (index = prediction class id).
  std::vector<int64_t> prediction_class_to_eval;
  CocoStats coco_stats;                ///< over the matched images, every prediction
  std::vector<ClassEvaluation> per_class;  ///< one per entry of `classes`
  double micro_precision = 0, micro_recall = 0, micro_f1 = 0;  ///< over all classes, NaN where undefined
  /// (K + 1, K + 1) with K = classes.size(); rows truth, columns prediction, last = background.
  CountMatrix confusion;
  std::vector<ImageEvaluation> images;  ///< every matched image, by relative path
  double mean_agreement = 1.0;          ///< mean of images[].agreement (1 when no image)
  double agreement_share = 0;           ///< share of images with agreement >= threshold (0 when no image)
  std::vector<std::string> missed_classes;    ///< truth classes with truth boxes and no prediction
  std::vector<std::string> invented_classes;  ///< prediction classes (names as predicted) with no truth class
  /// Indices into `images`, the review queue (highest score first).
  std::vector<int64_t> review_queue;
  std::vector<std::string> prediction_images_without_truth;  ///< relative paths (not evaluated)
  std::vector<std::string> truth_images_without_predictions; ///< relative paths (not evaluated)
  EvalInputReport input;  ///< bad rows seen by the metrics (eval/input_report.h)

  /// The report as JSON (NaN written as null).
  std::string to_json(int indent = 2) const;
  /// Writes to_json() atomically; IOError naming the path on failure.
  void save_json(const std::filesystem::path& path) const;
  /// A plain-text summary for terminals: headline numbers, per-class table, top of the review queue.
  std::string to_table(int max_queue_rows = 10) const;
};

/// Evaluates `predictions` against `ground_truth` (see the file comment). InvalidArgument for bad
/// options or class map entries.
EvaluationReport evaluate(const DetectionDataset& predictions, const DetectionDataset& ground_truth,
                          const EvaluateOptions& options = {});

/// COCO interchange, as pycocotools takes it: a ground-truth json and a results list
/// `[{image_id, category_id, bbox, score}]`. The predictions are read with
/// DetectionDataset::from_coco_results and evaluated like evaluate(); `report.coco_stats` are then
/// replaced by coco_evaluate(ground_truth_json, results_json), the twelve standard numbers computed
/// exactly as pycocotools (size ranges from the annotations' "area", COCO's segment area, where the
/// dataset evaluation can only use box areas). `images_dir` (where the file_names are; default the
/// json's folder, or its images/ subfolder when present) is needed only to draw an HTML report.
EvaluationReport evaluate_coco(const std::filesystem::path& ground_truth_json,
                               const std::filesystem::path& results_json, const EvaluateOptions& options = {},
                               const std::filesystem::path& images_dir = {});

/// `predictions` with class ids moved to the report's evaluation class space (rows of unknown
/// classes get -1): what evaluate() compared against the truth. Used to draw the AI side of a report.
Detections to_eval_classes(const EvaluationReport& report, const Detections& predictions);

struct HtmlReportOptions {
  int64_t max_images = 8;  ///< review-queue images drawn (human vs AI), highest score first
  int thumbnail_size = 360;  ///< pixels per side of each drawn image (letterboxed)
  std::string title = "autodistill evaluation";
};

/// Writes one self-contained HTML file (no external resources; images are embedded base64 PNGs):
/// headline numbers, the per-class table, the review queue and, for its top images, the human labels
/// next to the AI labels. `predictions` and `ground_truth` must be the datasets given to evaluate().
/// Images that cannot be read are listed as such. IOError naming `path` when it cannot be written.
void report_html(const EvaluationReport& report, const DetectionDataset& predictions,
                 const DetectionDataset& ground_truth, const std::filesystem::path& path,
                 const HtmlReportOptions& options = {});

/// Standard base64 (RFC 4648, with '=' padding) of `size` bytes.
std::string base64_encode(const uint8_t* data, size_t size);

}  // namespace autodistill
