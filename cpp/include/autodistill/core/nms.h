#pragma once
/// \file
/// Greedy non-maximum suppression with torchvision's semantics: boxes are visited in decreasing
/// score order (ties keep their input order), and a box is dropped when its IoU with an already
/// kept box is strictly greater than `iou_threshold`.

#include <cstdint>
#include <vector>

#include "autodistill/core/boxes.h"

namespace autodistill {

/// Indices of the kept boxes, in decreasing score order. `xyxy` is (N, 4), `scores` is (N).
std::vector<int64_t> nms(const BoxArray& xyxy, const Eigen::VectorXf& scores, float iou_threshold);

/// Class-aware NMS: boxes of different classes never suppress each other. `class_ids` is (N).
/// Returns kept indices in decreasing score order (as torchvision's `batched_nms`).
std::vector<int64_t> batched_nms(const BoxArray& xyxy, const Eigen::VectorXf& scores,
                                 const Eigen::Matrix<int64_t, Eigen::Dynamic, 1>& class_ids,
                                 float iou_threshold);

}  // namespace autodistill
