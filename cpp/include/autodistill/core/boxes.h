#pragma once
/// \file
/// Axis-aligned box utilities. Every box array is (N, 4) float32, one box per row, in pixels.
/// Formats: xyxy = (x1, y1, x2, y2) with x1 <= x2, y1 <= y2 for a valid box;
///          xywh = (x1, y1, width, height); cxcywh = (centre x, centre y, width, height).
/// Boxes use continuous coordinates: a box from 0 to 10 has width 10 (no "+1" convention).

#include <Eigen/Core>

namespace autodistill {

/// (N, 4) float32 boxes, row-major so that a row is one box and the memory matches numpy's (N, 4).
using BoxArray = Eigen::Matrix<float, Eigen::Dynamic, 4, Eigen::RowMajor>;

/// (N) areas of xyxy boxes; a box with x2 < x1 or y2 < y1 has area 0.
Eigen::VectorXf box_area(const BoxArray& xyxy);

/// (N, M) intersection over union of every box in `a` with every box in `b` (both xyxy).
/// Pairs whose union is 0 (two degenerate boxes) have IoU 0.
Eigen::MatrixXf box_iou(const BoxArray& a, const BoxArray& b);

/// Clips xyxy boxes to the image rectangle [0, width] x [0, height].
BoxArray box_clip(const BoxArray& xyxy, float width, float height);

/// Multiplies x coordinates by `sx` and y coordinates by `sy` (any of the three formats).
BoxArray box_scale(const BoxArray& boxes, float sx, float sy);

BoxArray xyxy_to_xywh(const BoxArray& xyxy);
BoxArray xywh_to_xyxy(const BoxArray& xywh);
BoxArray xyxy_to_cxcywh(const BoxArray& xyxy);
BoxArray cxcywh_to_xyxy(const BoxArray& cxcywh);

}  // namespace autodistill
