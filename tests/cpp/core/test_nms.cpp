#include <catch2/catch.hpp>

#include <random>

#include "autodistill/core/nms.h"

using namespace autodistill;

namespace {
// Reference written from the definition, independent of the production loop: repeatedly take the
// best remaining box and delete everything overlapping it by more than the threshold.
std::vector<int64_t> reference_nms(const BoxArray& b, const Eigen::VectorXf& s, float thr,
                                   const std::vector<int64_t>* cls = nullptr) {
  std::vector<int64_t> remaining;
  for (int64_t i = 0; i < b.rows(); ++i) remaining.push_back(i);
  std::vector<int64_t> keep;
  while (!remaining.empty()) {
    auto best = std::max_element(remaining.begin(), remaining.end(), [&](int64_t x, int64_t y) {
      return s[x] < s[y] || (s[x] == s[y] && x > y);
    });
    const int64_t i = *best;
    keep.push_back(i);
    std::vector<int64_t> next;
    for (int64_t j : remaining) {
      if (j == i) continue;
      const bool same_class = !cls || (*cls)[i] == (*cls)[j];
      const float iou = box_iou(b.row(i), b.row(j))(0, 0);
      if (!(same_class && iou > thr)) next.push_back(j);
    }
    remaining = next;
  }
  return keep;
}

BoxArray random_boxes(int n, std::mt19937& rng, float extent = 100.f) {
  std::uniform_real_distribution<float> pos(0.f, extent), size(1.f, extent / 3);
  BoxArray b(n, 4);
  for (int i = 0; i < n; ++i) {
    const float x = pos(rng), y = pos(rng);
    b.row(i) << x, y, x + size(rng), y + size(rng);
  }
  return b;
}
}  // namespace

TEST_CASE("nms keeps the highest-scoring of overlapping boxes", "[core][nms]") {
  BoxArray b(3, 4);
  b << 0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30;
  Eigen::VectorXf s(3);
  s << 0.8f, 0.9f, 0.5f;
  // IoU(box0, box1) = 81 / 119 = 0.68 > 0.5: box0 goes, box2 is disjoint.
  CHECK(nms(b, s, 0.5f) == std::vector<int64_t>{1, 2});
  // At a threshold above 0.68 nothing is suppressed; the order is by score.
  CHECK(nms(b, s, 0.7f) == std::vector<int64_t>{1, 0, 2});
}

TEST_CASE("nms drops only when IoU is strictly above the threshold", "[core][nms]") {
  BoxArray b(2, 4);
  b << 0, 0, 10, 10, 0, 5, 10, 15;  // IoU = 50 / 150 = 1/3 exactly
  Eigen::VectorXf s(2);
  s << 0.9f, 0.8f;
  const float third = box_iou(b.row(0), b.row(1))(0, 0);
  CHECK(nms(b, s, third).size() == 2);
  CHECK(nms(b, s, std::nextafter(third, 0.f)).size() == 1);
}

TEST_CASE("nms handles empty input and equal scores deterministically", "[core][nms]") {
  CHECK(nms(BoxArray(0, 4), Eigen::VectorXf(0), 0.5f).empty());
  BoxArray b(2, 4);
  b << 0, 0, 10, 10, 0, 0, 10, 10;
  Eigen::VectorXf s(2);
  s << 0.5f, 0.5f;
  CHECK(nms(b, s, 0.5f) == std::vector<int64_t>{0});  // ties keep input order
}

TEST_CASE("nms rejects mismatched lengths", "[core][nms]") {
  CHECK_THROWS_WITH(nms(BoxArray(3, 4), Eigen::VectorXf(2), 0.5f), Catch::Contains("3 boxes but 2 scores"));
}

TEST_CASE("nms agrees with a reference on random boxes", "[core][nms]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 5 + trial * 10;
    BoxArray b = random_boxes(n, rng);
    Eigen::VectorXf s = (Eigen::VectorXf::Random(n).array() + 1.f) / 2.f;
    for (float thr : {0.1f, 0.3f, 0.5f, 0.7f}) {
      INFO("n=" << n << " thr=" << thr);
      CHECK(nms(b, s, thr) == reference_nms(b, s, thr));
      std::vector<int64_t> cls(n);
      Eigen::Matrix<int64_t, Eigen::Dynamic, 1> cls_e(n);
      for (int i = 0; i < n; ++i) cls_e[i] = cls[i] = static_cast<int64_t>(rng() % 3);
      CHECK(batched_nms(b, s, cls_e, thr) == reference_nms(b, s, thr, &cls));
    }
  }
}
