// The YOLO training batch loader: batch layout, determinism across worker counts, epochs, errors and
// shutdown. Tiny PNGs in a temp dir.
#include <ATen/ATen.h>

#include <chrono>
#include <fstream>
#include <set>

#include <opencv2/imgproc.hpp>

#include "../catch_torch.h"
#include "../test_paths.h"
#include "../../../cpp/src/models/yolo/yolo_loader.h"
#include "autodistill/core/error.h"
#include "autodistill/core/image.h"

using namespace autodistill;
using namespace autodistill::yolo;

namespace {

// `n` images of 80 x 60 with i % 3 boxes each (so some are negatives), written as PNG.
std::vector<TrainSample> write_samples(const test::TempDir& dir, int n) {
  std::vector<TrainSample> out;
  for (int i = 0; i < n; ++i) {
    cv::Mat img(60, 80, CV_8UC3, cv::Scalar(20 * (i % 10), 100, 200 - 15 * (i % 10)));
    const int k = i % 3;
    TrainSample s;
    s.path = dir / ("img" + std::to_string(i) + ".png");
    s.boxes.resize(k, 4);
    s.labels.resize(k);
    for (int j = 0; j < k; ++j) {
      const int x = 5 + 35 * j;
      cv::rectangle(img, cv::Rect(x, 10, 30, 40), cv::Scalar(255, 255, 255), cv::FILLED);
      s.boxes.row(j) << float(x), 10.f, float(x + 30), 50.f;
      s.labels(j) = j;
    }
    save_image(s.path, img);
    out.push_back(std::move(s));
  }
  return out;
}

LoaderOptions small_options(int workers) {
  LoaderOptions o;
  o.imgsz = 64;
  o.batch = 4;
  o.workers = workers;
  o.seed = 11;
  return o;
}

std::vector<Batch> drain(BatchLoader& loader) {
  std::vector<Batch> out;
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

}  // namespace

TEST_CASE("BatchLoader: batch count, shapes, the partial last batch and padding", "[yolo]") {
  test::TempDir dir("yolo_loader_shapes");
  auto samples = write_samples(dir, 10);
  LoaderOptions o = small_options(2);
  o.augment = false;
  o.shuffle = false;
  BatchLoader loader(samples, o);
  CHECK(loader.size() == 10);
  CHECK(loader.batches_per_epoch() == 3);
  CHECK_FALSE(loader.next());  // nothing before start_epoch
  loader.start_epoch(0, true);
  const std::vector<Batch> batches = drain(loader);
  REQUIRE(batches.size() == 3);
  CHECK_FALSE(loader.next());  // and nothing after the end
  CHECK(batches[0].images.sizes() == at::IntArrayRef({4, 3, 64, 64}));
  CHECK(batches[2].images.sizes() == at::IntArrayRef({2, 3, 64, 64}));
  CHECK(batches[2].indices == std::vector<size_t>{8, 9});
  for (const Batch& b : batches) {
    CHECK(b.images.dtype() == at::kFloat);
    CHECK(b.images.min().item<float>() >= 0.f);
    CHECK(b.images.max().item<float>() <= 1.f);
    CHECK(b.labels.dtype() == at::kLong);
    CHECK(b.mask.dtype() == at::kBool);
    // M is the largest box count in the batch; masked-out rows are zero.
    int64_t most = 1;
    for (size_t j = 0; j < b.indices.size(); ++j) most = std::max<int64_t>(most, samples[b.indices[j]].boxes.rows());
    CHECK(b.boxes.size(1) == most);
    for (size_t j = 0; j < b.indices.size(); ++j) {
      const TrainSample& s = samples[b.indices[j]];
      CHECK(b.mask[int64_t(j)].sum().item<int64_t>() == s.boxes.rows());
      // Letterbox only: boxes equal the letterbox transform of the source boxes.
      const LetterboxTransform t = letterbox(load_image(s.path), 64, 64).transform;
      const BoxArray expected = t.to_canvas(s.boxes);
      for (int64_t m = 0; m < s.boxes.rows(); ++m) {
        for (int c = 0; c < 4; ++c)
          CHECK(b.boxes[int64_t(j)][m][c].item<float>() == Approx(expected(m, c)).margin(1e-4));
        CHECK(b.labels[int64_t(j)][m].item<int64_t>() == s.labels(m));
      }
      for (int64_t m = s.boxes.rows(); m < b.boxes.size(1); ++m) CHECK(b.boxes[int64_t(j)][m].abs().sum().item<float>() == 0);
    }
  }
  // RGB order: sample 0's background is BGR (0, 100, 200), letterboxed 80 x 60 -> 64 x 48 under 8 rows of padding.
  CHECK(batches[0].images[0][0][30][2].item<float>() == Approx(200 / 255.f).margin(1e-6));
  CHECK(batches[0].images[0][2][30][2].item<float>() == Approx(0.f).margin(1e-6));
  CHECK(batches[0].images[0][1][2][2].item<float>() == Approx(114 / 255.f).margin(1e-6));

  // A batch of negatives only still has M = 1, all masked out.
  std::vector<TrainSample> negatives = {samples[0], samples[3]};
  LoaderOptions on = o;
  on.batch = 2;
  BatchLoader neg(negatives, on);
  neg.start_epoch(0, true);
  const auto nb = neg.next();
  REQUIRE(nb);
  CHECK(nb->boxes.sizes() == at::IntArrayRef({2, 1, 4}));
  CHECK(nb->mask.sum().item<int64_t>() == 0);
}

TEST_CASE("BatchLoader: identical batches for 1 and 3 workers, a new order each epoch", "[yolo]") {
  test::TempDir dir("yolo_loader_det");
  const auto samples = write_samples(dir, 10);
  LoaderOptions cached = small_options(3);
  cached.cache_bytes = 64 * 48 * 3 * 6;  // 6 of the 10 images (64 x 48 once resized): hits and misses
  BatchLoader one(samples, small_options(1)), three(samples, cached);
  std::vector<std::vector<size_t>> orders;
  for (int64_t epoch : {0, 1}) {
    const bool mosaic = epoch == 0;
    one.start_epoch(epoch, mosaic);
    three.start_epoch(epoch, mosaic);
    const auto a = drain(one), b = drain(three);
    REQUIRE(a.size() == 3);
    REQUIRE(b.size() == 3);
    std::vector<size_t> order;
    for (size_t k = 0; k < a.size(); ++k) {
      CHECK(a[k].indices == b[k].indices);
      CHECK(at::equal(a[k].images, b[k].images));
      CHECK(at::equal(a[k].boxes, b[k].boxes));
      CHECK(at::equal(a[k].labels, b[k].labels));
      CHECK(at::equal(a[k].mask, b[k].mask));
      order.insert(order.end(), a[k].indices.begin(), a[k].indices.end());
    }
    CHECK(std::set<size_t>(order.begin(), order.end()).size() == 10);  // every sample once
    CHECK(order == one.epoch_order(epoch));
    orders.push_back(order);
  }
  CHECK(orders[0] != orders[1]);

  // Restarting an epoch reproduces it, even after abandoning one half-way.
  one.start_epoch(0, true);
  const auto first = one.next();
  one.start_epoch(0, true);
  const auto again = one.next();
  REQUIRE(first);
  REQUIRE(again);
  CHECK(at::equal(first->images, again->images));
  CHECK(at::equal(first->images, one.make_batch(0, true, 0, one.epoch_order(0)).images));
}

TEST_CASE("BatchLoader: recycled image buffers never overwrite a batch (or a view of one) still held", "[yolo]") {
  test::TempDir dir("yolo_loader_pool");
  const auto samples = write_samples(dir, 10);
  BatchLoader loader(samples, small_options(2));
  loader.start_epoch(0, true);
  const auto held = loader.next();
  at::Tensor view;
  {
    const auto dropped = loader.next();
    REQUIRE(dropped);
    view = dropped->images.narrow(0, 1, 2);  // the batch goes, a view of its storage stays
  }
  REQUIRE(held);
  const at::Tensor held_copy = held->images.clone(), view_copy = view.clone();
  for (int64_t epoch = 1; epoch <= 3; ++epoch) {
    loader.start_epoch(epoch, true);
    drain(loader);
  }
  CHECK(at::equal(held->images, held_copy));
  CHECK(at::equal(view, view_copy));
}

TEST_CASE("BatchLoader: an unreadable image is an IOError naming it, from next()", "[yolo]") {
  test::TempDir dir("yolo_loader_bad");
  auto samples = write_samples(dir, 6);
  const std::filesystem::path bad = dir / "broken.jpg";
  std::ofstream(bad) << "not an image";
  samples[5].path = bad;
  LoaderOptions o = small_options(2);
  o.augment = false;
  o.shuffle = false;
  BatchLoader loader(samples, o);
  loader.start_epoch(0, true);
  CHECK(loader.next());  // batch 0 (samples 0-3) is fine
  try {
    loader.next();
    FAIL("expected an IOError");
  } catch (const IOError& e) {
    CHECK_THAT(e.message(), Catch::Contains("broken.jpg"));
  }
  CHECK_FALSE(loader.next());
}

TEST_CASE("BatchLoader: destroying a loader mid-epoch returns promptly", "[yolo]") {
  test::TempDir dir("yolo_loader_stop");
  const auto base = write_samples(dir, 4);
  std::vector<TrainSample> many;
  for (int i = 0; i < 2000; ++i) many.push_back(base[size_t(i % 4)]);
  LoaderOptions o;
  o.imgsz = 320;
  o.batch = 16;
  o.workers = 2;
  auto t0 = std::chrono::steady_clock::now();
  {
    BatchLoader loader(many, o);
    loader.start_epoch(0, true);
    REQUIRE(loader.next());
    t0 = std::chrono::steady_clock::now();
  }  // about 125 batches left (minutes of work): the destructor must not wait for them
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(seconds < 2.0);
  // A loader that never started an epoch stops too.
  { BatchLoader idle(many, o); }
}
