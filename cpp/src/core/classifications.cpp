#include "autodistill/core/classifications.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "autodistill/core/error.h"

namespace autodistill {

Classifications::Classifications(ClassIdArray class_id, ScoreArray confidence) {
  AD_CHECK(class_id.size() == confidence.size(), "Classifications: {} class ids but {} confidences", class_id.size(),
           confidence.size());
  const Eigen::Index n = class_id.size();
  for (Eigen::Index i = 0; i < n; ++i) {
    AD_CHECK(class_id(i) >= 0, "Classifications: class id {} at {} is negative", class_id(i), i);
    AD_CHECK(!std::isnan(confidence(i)), "Classifications: confidence at {} is NaN", i);
  }
  std::vector<Eigen::Index> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) {
    return confidence(a) != confidence(b) ? confidence(a) > confidence(b) : class_id(a) < class_id(b);
  });
  class_id_.resize(n);
  confidence_.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    class_id_(i) = class_id(order[static_cast<size_t>(i)]);
    confidence_(i) = confidence(order[static_cast<size_t>(i)]);
  }
}

Classifications Classifications::from_scores(const std::vector<float>& scores) {
  const auto n = static_cast<Eigen::Index>(scores.size());
  ClassIdArray ids(n);
  ScoreArray conf(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    ids(i) = i;
    conf(i) = scores[static_cast<size_t>(i)];
  }
  return Classifications(std::move(ids), std::move(conf));
}

std::pair<int64_t, float> Classifications::top() const {
  AD_CHECK(!empty(), "Classifications::top: no classes");
  return {class_id_(0), confidence_(0)};
}

Classifications Classifications::top_k(Eigen::Index k) const {
  const Eigen::Index m = std::clamp<Eigen::Index>(k, 0, size());
  return Classifications(class_id_.head(m), confidence_.head(m));
}

float Classifications::confidence_of(int64_t class_id) const {
  for (Eigen::Index i = 0; i < size(); ++i)
    if (class_id_(i) == class_id) return confidence_(i);
  return 0.0f;
}

}  // namespace autodistill
