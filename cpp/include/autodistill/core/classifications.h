#pragma once
/// \file
/// `Classifications`: what a classifier says about one whole image (or one crop): a confidence per
/// class, kept sorted from the most to the least likely (ties by class id). Value type.

#include <cstdint>
#include <utility>
#include <vector>

#include "autodistill/core/detections.h"

namespace autodistill {

class Classifications {
 public:
  Classifications() = default;
  /// `class_id` and `confidence` of the same length (InvalidArgument otherwise, or for a negative id
  /// or a NaN confidence); stored sorted by confidence, highest first.
  Classifications(ClassIdArray class_id, ScoreArray confidence);
  /// One entry per class: `scores[k]` is the confidence of class k.
  static Classifications from_scores(const std::vector<float>& scores);

  Eigen::Index size() const noexcept { return class_id_.size(); }
  bool empty() const noexcept { return size() == 0; }
  const ClassIdArray& class_id() const noexcept { return class_id_; }
  const ScoreArray& confidence() const noexcept { return confidence_; }
  /// The most likely class and its confidence; InvalidArgument when empty.
  std::pair<int64_t, float> top() const;
  /// The `k` most likely entries (all of them when k >= size()).
  Classifications top_k(Eigen::Index k) const;
  /// Confidence of `class_id`, or 0 when it is not listed.
  float confidence_of(int64_t class_id) const;

 private:
  ClassIdArray class_id_;
  ScoreArray confidence_;
};

}  // namespace autodistill
