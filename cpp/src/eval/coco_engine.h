#pragma once
// Private: COCOeval's per-image matching and accumulation, shared by MeanAveragePrecision,
// coco_evaluate, PrecisionRecall and image_agreement.
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "autodistill/core/detections.h"
#include "autodistill/eval/mean_average_precision.h"

namespace autodistill::eval_detail {

struct TruthBox {
  double x, y, w, h;  // COCO bbox
  double area;        // for the size ranges
  bool crowd;
  bool id_is_zero;    // pycocotools reads a match to annotation id 0 as no match (coco_evaluate only)
};
struct PredBox {
  double x, y, w, h, area, score;
};

// One (image, category) cell: rows in input order.
struct Cell {
  std::vector<TruthBox> truth;
  std::vector<PredBox> preds;
};

// Indices of `preds` by decreasing score, stable (numpy argsort(-score, kind="mergesort")).
std::vector<size_t> order_by_score(const std::vector<PredBox>& preds);

// (D, G) row-major IoU as pycocotools' bbox iou: crowd columns use intersection / prediction area.
std::vector<double> box_iou_coco(const std::vector<PredBox>& preds, const std::vector<TruthBox>& truth);

struct CellMatch {
  std::vector<double> scores;      // (D) sorted, truncated
  std::vector<uint8_t> matched;    // (T, D): matched (to an annotation whose id is not 0)
  std::vector<uint8_t> ignored;    // (T, D)
  std::vector<int64_t> match_of;   // (T, D): index into `truth` (input order) or -1
  int64_t num_truth_counted = 0;   // non-ignored truth
};

// COCOeval.evaluateImg for one cell and one area range. `sorted_preds` is already ordered by
// order_by_score and truncated; `ious` is box_iou_coco(sorted_preds, truth).
CellMatch match_cell(const std::vector<PredBox>& sorted_preds, const std::vector<TruthBox>& truth,
                     const std::vector<double>& ious, const std::vector<double>& iou_thresholds, double area_lo,
                     double area_hi);

struct EngineInput {
  std::vector<int64_t> image_ids;     // increasing, unique
  std::vector<int64_t> category_ids;  // increasing, unique
  std::map<std::pair<int64_t, int64_t>, Cell> cells;  // (image_id, category_id)
};

MeanAveragePrecisionResult run_engine(const EngineInput& input, ApMethod method, std::array<int64_t, 3> max_dets);

std::vector<double> coco_iou_thresholds();
std::vector<double> coco_recall_thresholds();

// Input policy (eval/input_report.h): converts rows of `d` to boxes, counting problems in `report`.
// Rows whose class is out of range (or NaN score, predictions only) are dropped: `class_of` gets the
// kept rows' class ids.
std::vector<PredBox> sanitize_predictions(const Detections& d, int64_t num_classes, EvalInputReport& report,
                                          std::vector<int64_t>& class_of);
std::vector<TruthBox> sanitize_truth(const Detections& d, int64_t num_classes, const std::vector<bool>& iscrowd,
                                     const std::vector<double>& area, EvalInputReport& report,
                                     std::vector<int64_t>& class_of);

// Single-threshold matching used by PrecisionRecall/image_agreement: counts for one image and class.
struct Counts {
  int64_t tp = 0, fp = 0, fn = 0;
};
Counts match_counts(const std::vector<PredBox>& preds, const std::vector<TruthBox>& truth, double iou_threshold);

}  // namespace autodistill::eval_detail
