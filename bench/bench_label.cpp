// Labelling pipeline benchmarks (figures printed, nothing asserted):
//  (a) overhead: label() with a model that returns nothing on 500 JPEGs (640x480) vs decoding those JPEGs
//      alone on the same number of threads; target ratio >= 0.8.
//  (b) memory: peak RSS while labelling 5,000 JPEGs vs the RSS after the first 100; target within 100 MB.
// Usage: bench_label [workers] [n_a] [n_b]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "autodistill/core/image.h"
#include "autodistill/core/progress.h"
#include "autodistill/core/threads.h"
#include "autodistill/io/file_io.h"
#include "autodistill/label/label.h"

namespace fs = std::filesystem;
using namespace autodistill;
using Clock = std::chrono::steady_clock;

namespace {

class NullModel : public BaseModel {
 public:
  NullModel() : BaseModel(CaptionOntology({{"thing", "thing"}})) {}
  std::string name() const override { return "null"; }
  Detections predict(const cv::Mat&) override { return Detections(); }
};

void generate(const fs::path& dir, int n, int w, int h) {
  fs::create_directories(dir);
  cv::RNG rng(12345);
  for (int i = 0; i < n; ++i) {
    const fs::path p = dir / ("img_" + std::to_string(100000 + i) + ".jpg");
    if (fs::exists(p)) continue;
    cv::Mat im(h, w, CV_8UC3);
    rng.fill(im, cv::RNG::UNIFORM, 0, 255);
    cv::GaussianBlur(im, im, cv::Size(7, 7), 0);
    for (int k = 0; k < 5; ++k)
      cv::rectangle(im, cv::Rect(rng.uniform(0, w - 60), rng.uniform(0, h - 60), 50, 50),
                    cv::Scalar(rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)), cv::FILLED);
    cv::imwrite(p.string(), im, {cv::IMWRITE_JPEG_QUALITY, 90});
  }
}

double rss_mb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  return 0;
}

double decode_only(const std::vector<fs::path>& files, int threads) {
  std::atomic<size_t> next{0};
  std::atomic<int64_t> pixels{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < files.size();) {
        const std::vector<uint8_t> bytes = read_binary_file(files[i]);
        pixels += decode_image(bytes.data(), bytes.size(), files[i].string()).total();
      }
    });
  for (auto& t : pool) t.join();
  return files.size() / std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int workers = argc > 1 ? std::atoi(argv[1]) : available_cpus();
  const int n_a = argc > 2 ? std::atoi(argv[2]) : 500;
  const int n_b = argc > 3 ? std::atoi(argv[3]) : 5000;
  const fs::path root = fs::temp_directory_path() / "autodistill_bench_label";
  std::printf("workers %d; images in %s\n", workers, root.c_str());
  NullModel model;

  // (a) overhead
  generate(root / "a_in", n_a, 640, 480);
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(root / "a_in")) files.push_back(e.path());
  // Best of three of each (the machine may be shared); the previous output is removed outside the timing.
  decode_only(files, workers);  // warm the page cache
  double decode_rate = 0;
  for (int r = 0; r < 3; ++r) decode_rate = std::max(decode_rate, decode_only(files, workers));
  for (ImageTransfer transfer : {ImageTransfer::Copy, ImageTransfer::Hardlink}) {
    double rate = 0;
    for (int r = 0; r < 3; ++r) {
      fs::remove_all(root / "a_out");
      LabelOptions o;
      o.workers = workers;
      o.batch_size = 16;
      o.images = transfer;
      const auto t0 = Clock::now();
      const LabelSummary s = label(model, root / "a_in", root / "a_out", o);
      rate = std::max(rate, s.labelled / std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::printf("(a) %d JPEGs 640x480, best of 3: decode alone %.1f images/s, label() %s %.1f images/s, ratio %.2f\n",
                n_a, decode_rate, transfer == ImageTransfer::Copy ? "copying images" : "hard-linking images", rate,
                rate / decode_rate);
  }

  // (b) memory
  generate(root / "b_in", n_b, 320, 240);
  std::atomic<double> rss_at_100{0}, peak{0};
  std::atomic<bool> running{true};
  CallbackProgress progress([&](const ProgressState& st) {
    if (st.done >= 100 && rss_at_100.load() == 0) rss_at_100 = rss_mb();
  });
  std::thread sampler([&] {
    while (running) {
      const double r = rss_mb();
      if (r > peak) peak = r;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  LabelOptions o;
  o.workers = workers;
  o.batch_size = 16;
  o.progress = &progress;
  fs::remove_all(root / "b_out");
  const double before = rss_mb();
  const LabelSummary s = label(model, root / "b_in", root / "b_out", o);
  running = false;
  sampler.join();
  std::printf("(b) %lld JPEGs 320x240 at %.1f images/s: RSS before %.1f MB, after the first 100 %.1f MB, peak %.1f MB "
              "(peak - after 100 = %.1f MB)\n",
              (long long)s.labelled, s.images_per_s, before, rss_at_100.load(), peak.load(),
              peak.load() - rss_at_100.load());
  return 0;
}
