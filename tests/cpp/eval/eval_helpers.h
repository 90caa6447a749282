#pragma once
// Small builders for the eval tests.
#include <string>
#include <utility>
#include <vector>

#include "autodistill/core/detections.h"
#include "autodistill/core/logging.h"

namespace autodistill::test {

struct Row {
  float x1, y1, x2, y2;
  float score;
  int64_t cls;
};

inline Detections dets(const std::vector<Row>& rows) {
  const auto n = static_cast<Eigen::Index>(rows.size());
  BoxArray b(n, 4);
  ScoreArray s(n);
  ClassIdArray c(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Row& r = rows[static_cast<size_t>(i)];
    b.row(i) << r.x1, r.y1, r.x2, r.y2;
    s(i) = r.score;
    c(i) = r.cls;
  }
  return Detections(b, s, c);
}

/// Captures warnings while alive.
struct LogCapture {
  std::vector<std::string> warnings;
  LogCapture() {
    set_log_sink([this](LogLevel l, const std::string& m) {
      if (l >= LogLevel::Warning) warnings.push_back(m);
    });
  }
  ~LogCapture() { set_log_sink(nullptr); }
  std::string all() const {
    std::string s;
    for (const auto& w : warnings) s += w + "\n";
    return s;
  }
};

}  // namespace autodistill::test
