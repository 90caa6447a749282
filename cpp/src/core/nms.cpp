#include "autodistill/core/nms.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "autodistill/core/error.h"

namespace autodistill {
namespace {

// Greedy suppression over boxes already sorted by decreasing score, stored as separate
// coordinate arrays so the inner loop is branch-free and vectorises.
// Returns positions (into the sorted arrays) of the kept boxes.
std::vector<int64_t> greedy_sorted(const float* __restrict x1, const float* __restrict y1, const float* __restrict x2,
                                   const float* __restrict y2,
                                   const float* __restrict area, int64_t n, float iou_threshold) {
  std::vector<uint8_t> suppressed(static_cast<size_t>(n), 0);
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < n; ++i) {
    if (suppressed[i]) continue;
    keep.push_back(i);
    const float ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], ia = area[i];
    uint8_t* __restrict sup = suppressed.data();
    for (int64_t j = i + 1; j < n; ++j) {
      const float w = std::max(0.f, std::min(ix2, x2[j]) - std::max(ix1, x1[j]));
      const float h = std::max(0.f, std::min(iy2, y2[j]) - std::max(iy1, y1[j]));
      const float inter = w * h;
      // torchvision's test: inter / (area_i + area_j - inter) > threshold. A zero union only happens with
      // inter == 0, so dividing by max(union, FLT_MIN) keeps the result exact and the loop branch-free.
      const float uni = ia + area[j] - inter;
      const float iou = inter / std::max(uni, std::numeric_limits<float>::min());
      sup[j] |= static_cast<uint8_t>(iou > iou_threshold);
    }
  }
  return keep;
}

// Runs greedy NMS independently on each group of `order` (indices sorted by decreasing score,
// grouped by `group` when given) and returns kept original indices in decreasing score order.
std::vector<int64_t> nms_impl(const BoxArray& b, const Eigen::VectorXf& scores, const int64_t* group, float thr) {
  const int64_t n = b.rows();
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  // Stable: equal scores keep input order, so results do not depend on the sort implementation.
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t c) { return scores[a] > scores[c]; });
  if (group) {
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t c) { return group[a] < group[c]; });
  }
  std::vector<float> x1(n), y1(n), x2(n), y2(n), area(n);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t i = order[static_cast<size_t>(k)];
    x1[k] = b(i, 0);
    y1[k] = b(i, 1);
    x2[k] = b(i, 2);
    y2[k] = b(i, 3);
    area[k] = std::max(0.f, x2[k] - x1[k]) * std::max(0.f, y2[k] - y1[k]);
  }
  std::vector<int64_t> keep;
  for (int64_t start = 0; start < n;) {
    int64_t end = start + 1;
    if (group)
      while (end < n && group[order[end]] == group[order[start]]) ++end;
    else
      end = n;
    for (int64_t k : greedy_sorted(x1.data() + start, y1.data() + start, x2.data() + start, y2.data() + start,
                                   area.data() + start, end - start, thr))
      keep.push_back(order[static_cast<size_t>(start + k)]);
    start = end;
  }
  if (group) {
    std::stable_sort(keep.begin(), keep.end(), [&](int64_t a, int64_t c) {
      return scores[a] > scores[c] || (scores[a] == scores[c] && a < c);
    });
  }
  return keep;
}

}  // namespace

std::vector<int64_t> nms(const BoxArray& xyxy, const Eigen::VectorXf& scores, float iou_threshold) {
  AD_CHECK(scores.size() == xyxy.rows(), "nms: {} boxes but {} scores", xyxy.rows(), scores.size());
  return nms_impl(xyxy, scores, nullptr, iou_threshold);
}

std::vector<int64_t> batched_nms(const BoxArray& xyxy, const Eigen::VectorXf& scores,
                                 const Eigen::Matrix<int64_t, Eigen::Dynamic, 1>& class_ids, float iou_threshold) {
  AD_CHECK(scores.size() == xyxy.rows(), "batched_nms: {} boxes but {} scores", xyxy.rows(), scores.size());
  AD_CHECK(class_ids.size() == xyxy.rows(), "batched_nms: {} boxes but {} class ids", xyxy.rows(), class_ids.size());
  return nms_impl(xyxy, scores, class_ids.data(), iou_threshold);
}

}  // namespace autodistill
