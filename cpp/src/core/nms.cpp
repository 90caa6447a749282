#include "autodistill/core/nms.h"

#include <algorithm>
#include <numeric>

#include "autodistill/core/error.h"

namespace autodistill {
namespace {

// Greedy suppression over `order` (indices sorted by decreasing score). Boxes whose
// group differs never suppress each other; group == nullptr means one group.
std::vector<int64_t> greedy_nms(const BoxArray& b, const std::vector<int64_t>& order, const int64_t* group,
                                float iou_threshold) {
  const Eigen::VectorXf area = box_area(b);
  std::vector<char> suppressed(static_cast<size_t>(b.rows()), 0);
  std::vector<int64_t> keep;
  for (size_t oi = 0; oi < order.size(); ++oi) {
    const int64_t i = order[oi];
    if (suppressed[i]) continue;
    keep.push_back(i);
    const float ix1 = b(i, 0), iy1 = b(i, 1), ix2 = b(i, 2), iy2 = b(i, 3);
    for (size_t oj = oi + 1; oj < order.size(); ++oj) {
      const int64_t j = order[oj];
      if (suppressed[j] || (group && group[i] != group[j])) continue;
      const float w = std::min(ix2, b(j, 2)) - std::max(ix1, b(j, 0));
      const float h = std::min(iy2, b(j, 3)) - std::max(iy1, b(j, 1));
      const float inter = std::max(w, 0.f) * std::max(h, 0.f);
      const float uni = area[i] + area[j] - inter;
      // Same arithmetic as torchvision: iou = inter / (area_i + area_j - inter), drop when > threshold.
      if (uni > 0.f && inter / uni > iou_threshold) suppressed[j] = 1;
    }
  }
  return keep;
}

std::vector<int64_t> order_by_score(const Eigen::VectorXf& scores) {
  std::vector<int64_t> order(static_cast<size_t>(scores.size()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  return order;
}

}  // namespace

std::vector<int64_t> nms(const BoxArray& xyxy, const Eigen::VectorXf& scores, float iou_threshold) {
  AD_CHECK(scores.size() == xyxy.rows(), "nms: {} boxes but {} scores", xyxy.rows(), scores.size());
  return greedy_nms(xyxy, order_by_score(scores), nullptr, iou_threshold);
}

std::vector<int64_t> batched_nms(const BoxArray& xyxy, const Eigen::VectorXf& scores,
                                 const Eigen::Matrix<int64_t, Eigen::Dynamic, 1>& class_ids, float iou_threshold) {
  AD_CHECK(scores.size() == xyxy.rows(), "batched_nms: {} boxes but {} scores", xyxy.rows(), scores.size());
  AD_CHECK(class_ids.size() == xyxy.rows(), "batched_nms: {} boxes but {} class ids", xyxy.rows(), class_ids.size());
  return greedy_nms(xyxy, order_by_score(scores), class_ids.data(), iou_threshold);
}

}  // namespace autodistill
