#include "autodistill/core/boxes.h"

#include <algorithm>

namespace autodistill {

Eigen::VectorXf box_area(const BoxArray& b) {
  return ((b.col(2) - b.col(0)).cwiseMax(0.f).array() * (b.col(3) - b.col(1)).cwiseMax(0.f).array()).matrix();
}

Eigen::MatrixXf box_iou(const BoxArray& a, const BoxArray& b) {
  const Eigen::VectorXf area_a = box_area(a);
  const Eigen::VectorXf area_b = box_area(b);
  Eigen::MatrixXf iou(a.rows(), b.rows());
  for (Eigen::Index j = 0; j < b.rows(); ++j) {
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
      const float w = std::min(a(i, 2), b(j, 2)) - std::max(a(i, 0), b(j, 0));
      const float h = std::min(a(i, 3), b(j, 3)) - std::max(a(i, 1), b(j, 1));
      const float inter = std::max(w, 0.f) * std::max(h, 0.f);
      const float uni = area_a[i] + area_b[j] - inter;
      iou(i, j) = uni > 0.f ? inter / uni : 0.f;
    }
  }
  return iou;
}

BoxArray box_clip(const BoxArray& xyxy, float width, float height) {
  BoxArray out(xyxy.rows(), 4);
  out.col(0) = xyxy.col(0).cwiseMax(0.f).cwiseMin(width);
  out.col(1) = xyxy.col(1).cwiseMax(0.f).cwiseMin(height);
  out.col(2) = xyxy.col(2).cwiseMax(0.f).cwiseMin(width);
  out.col(3) = xyxy.col(3).cwiseMax(0.f).cwiseMin(height);
  return out;
}

BoxArray box_scale(const BoxArray& boxes, float sx, float sy) {
  BoxArray out = boxes;
  out.col(0) *= sx;
  out.col(2) *= sx;
  out.col(1) *= sy;
  out.col(3) *= sy;
  return out;
}

BoxArray xyxy_to_xywh(const BoxArray& b) {
  BoxArray out = b;
  out.col(2) = b.col(2) - b.col(0);
  out.col(3) = b.col(3) - b.col(1);
  return out;
}

BoxArray xywh_to_xyxy(const BoxArray& b) {
  BoxArray out = b;
  out.col(2) = b.col(0) + b.col(2);
  out.col(3) = b.col(1) + b.col(3);
  return out;
}

BoxArray xyxy_to_cxcywh(const BoxArray& b) {
  BoxArray out(b.rows(), 4);
  out.col(0) = (b.col(0) + b.col(2)) * 0.5f;
  out.col(1) = (b.col(1) + b.col(3)) * 0.5f;
  out.col(2) = b.col(2) - b.col(0);
  out.col(3) = b.col(3) - b.col(1);
  return out;
}

BoxArray cxcywh_to_xyxy(const BoxArray& b) {
  BoxArray out(b.rows(), 4);
  out.col(0) = b.col(0) - b.col(2) * 0.5f;
  out.col(1) = b.col(1) - b.col(3) * 0.5f;
  out.col(2) = b.col(0) + b.col(2) * 0.5f;
  out.col(3) = b.col(1) + b.col(3) * 0.5f;
  return out;
}

}  // namespace autodistill
