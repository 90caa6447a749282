// MeanAveragePrecision and coco_evaluate throughput on synthetic COCO-like data (80 classes,
// ~7 truth boxes and ~20 predictions per image). Prints figures; asserts nothing.
#include <chrono>
#include <cstdio>
#include <random>

#include "autodistill/core/detections.h"
#include "autodistill/eval/mean_average_precision.h"

using namespace autodistill;

int main() {
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> pos(0.f, 600.f), side(16.f, 300.f), jitter(-6.f, 6.f), score(0.f, 1.f);
  std::printf("%-8s %12s %12s %14s %8s\n", "images", "update ms", "compute ms", "images/s", "AP");
  for (int n_images : {500, 5000}) {
    std::vector<std::pair<Detections, Detections>> data;
    for (int i = 0; i < n_images; ++i) {
      const int nt = 1 + static_cast<int>(rng() % 14), np = nt + static_cast<int>(rng() % 14);
      BoxArray tb(nt, 4), pb(np, 4);
      ClassIdArray tc(nt), pc(np);
      ScoreArray ts = ScoreArray::Ones(nt), ps(np);
      for (int j = 0; j < nt; ++j) {
        const float x = pos(rng), y = pos(rng), w = side(rng), h = side(rng);
        tb.row(j) << x, y, x + w, y + h;
        tc(j) = static_cast<int64_t>(rng() % 80);
      }
      for (int j = 0; j < np; ++j) {
        if (j < nt) {
          pb.row(j) << tb(j, 0) + jitter(rng), tb(j, 1) + jitter(rng), tb(j, 2) + jitter(rng), tb(j, 3) + jitter(rng);
          pc(j) = tc(j);
        } else {
          const float x = pos(rng), y = pos(rng), w = side(rng), h = side(rng);
          pb.row(j) << x, y, x + w, y + h;
          pc(j) = static_cast<int64_t>(rng() % 80);
        }
        ps(j) = score(rng);
      }
      data.emplace_back(Detections(pb, ps, pc), Detections(tb, ts, tc));
    }
    MeanAveragePrecisionOptions o;
    o.num_classes = 80;
    MeanAveragePrecision m(o);
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& [p, t] : data) m.update(p, t);
    const auto t1 = std::chrono::steady_clock::now();
    const auto r = m.compute();
    const auto t2 = std::chrono::steady_clock::now();
    const double up = std::chrono::duration<double>(t1 - t0).count(), co = std::chrono::duration<double>(t2 - t1).count();
    std::printf("%-8d %12.2f %12.2f %14.0f %8.4f\n", n_images, up * 1e3, co * 1e3, n_images / (up + co), r.stats.ap);
  }
  return 0;
}
