// Evidence that the YOLO network learns: synthetic coloured shapes with exact boxes, trained on CPU
// for a bounded number of steps, evaluated on held-out images.
#include <ATen/ATen.h>

#include <random>

#include <opencv2/imgproc.hpp>

#include "../catch_torch.h"
#include "../test_paths.h"
#include "../../../cpp/src/models/yolo/yolo_train.h"
#include "autodistill/core/image.h"
#include "autodistill/core/threads.h"

using namespace autodistill;
using namespace autodistill::yolo;

namespace {

// 96x96 images on a noisy textured background with one or two shapes: class 0 = red filled
// square, class 1 = blue filled circle (boxes are their exact extents).
DetectionDataset make_shapes(const std::filesystem::path& dir, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> side(18, 36), count(1, 2), cls(0, 1), noise(0, 60);
  std::vector<DatasetImage> images;
  for (int i = 0; i < n; ++i) {
    cv::Mat img(96, 96, CV_8UC3);
    for (int y = 0; y < 96; ++y)
      for (int x = 0; x < 96; ++x) {
        const int base = 90 + ((x / 8 + y / 8) % 2) * 30;  // checker texture
        img.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(base + noise(rng)), uchar(base + noise(rng)), uchar(base + noise(rng)));
      }
    const int k = count(rng);
    BoxArray b(k, 4);
    ScoreArray s = ScoreArray::Ones(k);
    ClassIdArray c(k);
    for (int j = 0; j < k; ++j) {
      const int w = side(rng);
      // Left half for the first shape, right half for the second: they never overlap.
      const int x0 = std::uniform_int_distribution<int>(j * 48, j * 48 + 48 - w)(rng);
      const int y0 = std::uniform_int_distribution<int>(0, 96 - w)(rng);
      c(j) = cls(rng);
      if (c(j) == 0)
        cv::rectangle(img, cv::Rect(x0, y0, w, w), cv::Scalar(30, 30, 230), cv::FILLED);
      else
        cv::circle(img, cv::Point(x0 + w / 2, y0 + w / 2), w / 2, cv::Scalar(230, 60, 30), cv::FILLED, cv::LINE_8);
      b.row(j) << float(x0), float(y0), float(x0 + w), float(y0 + w);
    }
    DatasetImage im;
    im.relative_path = "s" + std::to_string(i) + ".png";
    im.path = dir / im.relative_path;
    save_image(im.path, img);
    im.width = im.height = 96;
    im.detections = Detections(b, s, c);
    images.push_back(std::move(im));
  }
  return DetectionDataset({"square", "circle"}, std::move(images));
}

}  // namespace

TEST_CASE("yolo: learns synthetic shapes to mAP@0.5 >= 0.8 on held-out images", "[yolo][train]") {
  configure_threads(0);
  test::TempDir dir("yolo_shapes");
  std::filesystem::create_directories(dir / "train");
  std::filesystem::create_directories(dir / "val");
  const DetectionDataset train_ds = make_shapes(dir / "train", 160, 1);
  const DetectionDataset val_ds = make_shapes(dir / "val", 40, 2);
  YoloNet net(scale_from_name("n"), 2);
  TrainOptions o;
  o.imgsz = 96;
  o.batch = 16;
  o.epochs = 30;
  o.lr = 4e-3;
  o.warmup_steps = 30;
  const std::vector<EpochStats> h = train(net, train_ds, val_ds, o);
  REQUIRE(h.size() == 30);
  const double first = h.front().box + h.front().cls + h.front().dfl, last = h.back().box + h.back().cls + h.back().dfl;
  WARN("loss " << first << " -> " << last << "; mAP@0.5 " << h.back().map50 << ", mAP " << h.back().map);
  CHECK(last < 0.5 * first);
  CHECK(h.back().map50 >= 0.8);
  // predict() maps boxes back to each image's own pixels.
  const std::vector<Detections> d = predict(net, {load_image(val_ds.images()[0].path)}, 96, 0.5f);
  REQUIRE(d.size() == 1);
  CHECK(d[0].size() >= 1);
}
