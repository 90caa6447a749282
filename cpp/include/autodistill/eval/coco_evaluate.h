#pragma once
/// \file
/// COCO interchange: evaluates a COCO results list against a COCO ground-truth json exactly as
/// pycocotools does (COCO(gt).loadRes(results) + COCOeval(iouType="bbox") evaluate/accumulate/summarize).
///
///  - Ground truth: "images" (ids evaluated: every listed image), "categories" (ids evaluated: every
///    listed category, by its id as given), "annotations" with image_id, category_id, bbox [x, y, w, h],
///    area (used for the size ranges: COCO's is the segment area), iscrowd. Annotations of unlisted
///    images or categories are not evaluated. Where pycocotools would fail on a missing field we
///    continue: a missing "area" is bbox w * h, a missing "iscrowd" is 0.
///  - Results: a json list of {image_id, category_id, bbox, score}; their area is bbox w * h and they
///    are never crowd. An image_id absent from the ground truth throws InvalidArgument (pycocotools
///    asserts); a category_id absent from the categories is not evaluated (as pycocotools). An empty
///    list is allowed (every AP is 0 where there is truth).
///  - pycocotools records a match as the matched annotation's id, so a match to an annotation whose id
///    is 0 reads as "unmatched" (a false positive). We reproduce that to give identical numbers and
///    log a warning saying how many annotations have id 0.
///  - Ids must be integers. IoU is pycocotools' bbox IoU in double precision.

#include <string>

#include "autodistill/eval/mean_average_precision.h"

namespace autodistill {

/// `ground_truth` and `results` are each either json text (first non-space character '{' or '[') or
/// a path to a json file. Throws IOError when a file cannot be read, InvalidArgument on malformed json
/// or fields (naming the file and the annotation index).
CocoStats coco_evaluate(const std::string& ground_truth, const std::string& results);

/// As coco_evaluate, with everything MeanAveragePrecision reports; class_ids are COCO category ids.
/// `ap_method` and `max_detections` as in MeanAveragePrecisionOptions.
MeanAveragePrecisionResult coco_evaluate_detailed(const std::string& ground_truth, const std::string& results,
                                                  ApMethod ap_method = ApMethod::Coco101,
                                                  std::array<int64_t, 3> max_detections = {1, 10, 100});

}  // namespace autodistill
