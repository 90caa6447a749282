// YOLO training loader throughput (images/s) with the default augmentation (mosaic, affine, HSV, flip)
// on 64 synthetic 640 x 480 JPEGs, for imgsz 320 and 640, 1 and 2 workers, without and with the image
// cache (which spares the mosaic its three extra decodes per image; it fills during the first of the
// three epochs timed). Prints figures; asserts nothing.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <random>

#include "../cpp/src/models/yolo/yolo_loader.h"
#include "autodistill/core/image.h"

using namespace autodistill;
using namespace autodistill::yolo;

int main() {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "autodistill_bench_yolo_loader";
  std::filesystem::create_directories(dir);
  std::mt19937 rng(0);
  std::uniform_int_distribution<int> colour(0, 255), pos(0, 500), side(40, 140);
  std::vector<TrainSample> samples;
  for (int i = 0; i < 64; ++i) {
    cv::Mat img(480, 640, CV_8UC3);
    cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(255));  // noise: a worst case for JPEG decoding
    TrainSample s;
    s.boxes.resize(4, 4);
    s.labels.resize(4);
    for (int j = 0; j < 4; ++j) {
      const int x = pos(rng), y = pos(rng) * 340 / 500, w = side(rng), h = side(rng);
      cv::rectangle(img, cv::Rect(x, y, w, h), cv::Scalar(colour(rng), colour(rng), colour(rng)), cv::FILLED);
      s.boxes.row(j) << float(x), float(y), float(x + w), float(y + h);
      s.labels(j) = j % 3;
    }
    s.path = dir / ("img" + std::to_string(i) + ".jpg");
    save_image(s.path, img);
    samples.push_back(std::move(s));
  }
  std::printf("%-7s %-8s %-6s %-7s %10s %12s\n", "imgsz", "workers", "cache", "epochs", "seconds", "images/s");
  for (int64_t imgsz : {320, 640})
    for (int workers : {1, 2})
      for (bool cache : {false, true}) {
        LoaderOptions o;
        o.cache_bytes = cache ? size_t(1) << 30 : 0;
        o.imgsz = imgsz;
        o.batch = 16;
        o.workers = workers;
        BatchLoader loader(samples, o);
        const int epochs = 3;
        const auto t0 = std::chrono::steady_clock::now();
        size_t images = 0;
        for (int e = 0; e < epochs; ++e) {
          loader.start_epoch(e, true);
          while (auto b = loader.next()) images += b->indices.size();
        }
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("%-7lld %-8d %-6s %-7d %10.2f %12.1f\n", (long long)imgsz, workers, cache ? "yes" : "no", epochs,
                    sec, images / sec);
      }
  std::filesystem::remove_all(dir);
  return 0;
}
