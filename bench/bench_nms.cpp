// NMS throughput (boxes/s) for 1k and 10k random boxes, class-agnostic and class-aware.
// Prints figures; asserts nothing.
#include <chrono>
#include <cstdio>
#include <random>

#include "autodistill/core/nms.h"

using namespace autodistill;

int main() {
  std::mt19937 rng(0);
  std::printf("%-8s %-14s %-10s %12s %14s %8s\n", "boxes", "mode", "iou", "ms/call", "boxes/s", "kept");
  for (int n : {1000, 10000}) {
    // Boxes clustered like detector output: many overlapping candidates per object.
    std::uniform_real_distribution<float> centre(0.f, 1280.f), jitter(-8.f, 8.f), size(20.f, 200.f), score(0.f, 1.f);
    BoxArray b(n, 4);
    Eigen::VectorXf s(n);
    Eigen::Matrix<int64_t, Eigen::Dynamic, 1> c(n);
    for (int i = 0; i < n; ++i) {
      const float cx = centre(rng), cy = centre(rng) * 0.6f, w = size(rng), h = size(rng);
      const float jx = jitter(rng), jy = jitter(rng);
      b.row(i) << cx - w / 2 + jx, cy - h / 2 + jy, cx + w / 2 + jx, cy + h / 2 + jy;
      s[i] = score(rng);
      c[i] = static_cast<int64_t>(rng() % 10);
    }
    for (int aware = 0; aware < 2; ++aware) {
      const int reps = n <= 1000 ? 50 : 3;
      size_t kept = 0;
      const auto t0 = std::chrono::steady_clock::now();
      for (int r = 0; r < reps; ++r) kept = (aware ? batched_nms(b, s, c, 0.5f) : nms(b, s, 0.5f)).size();
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
      std::printf("%-8d %-14s %-10.2f %12.3f %14.0f %8zu\n", n, aware ? "class-aware" : "class-agnostic", 0.5,
                  sec * 1e3, n / sec, kept);
    }
  }
  return 0;
}
