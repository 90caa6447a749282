// Evidence that the YOLO network learns: synthetic coloured shapes with exact boxes, trained on CPU
// for a bounded number of steps, evaluated on held-out images.
#include <ATen/ATen.h>

#include <fstream>
#include <random>

#include <opencv2/imgproc.hpp>

#include "../catch_torch.h"
#include "../test_paths.h"
#include "../../../cpp/src/models/yolo/yolo_train.h"
#include "../../../cpp/src/models/yolo/yolo_ema.h"
#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/core/interrupt.h"
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


// Weights of two networks equal within `tol`.
bool same_weights(YoloNet& a, YoloNet& b, double tol) {
  const auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    if (!at::allclose(pa[i], pb[i], 0, tol)) return false;
  return true;
}

int count_lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

CheckpointMeta meta_for(const DetectionDataset& ds) { return {"n", ds.classes(), 64, nullptr}; }

// A new network with the same initial weights each time (as YOLO's constructor makes them).
std::shared_ptr<YoloNet> fresh_net(int64_t nc = 2) {
  at::manual_seed(0);
  return std::make_shared<YoloNet>(scale_from_name("n"), nc);
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
  YoloTrainOptions o;
  o.imgsz = 96;
  o.batch = 16;
  o.epochs = 30;
  o.lr = 4e-3;
  o.device = "cpu";
  o.project = dir / "run";
  const std::vector<YoloEpoch> h = train(net, {"n", train_ds.classes(), 96, nullptr}, train_ds, val_ds, o);
  REQUIRE(h.size() == 30);
  const double first = h.front().box + h.front().cls + h.front().dfl, last = h.back().box + h.back().cls + h.back().dfl;
  double best50 = 0;
  for (const YoloEpoch& e : h) best50 = std::max(best50, e.map50);
  WARN("loss " << first << " -> " << last << "; last mAP@0.5 " << h.back().map50 << ", mAP " << h.back().map
               << "; best mAP@0.5 " << best50);
  CHECK(last < 0.5 * first);
  CHECK(best50 >= 0.8);
  // The run folder: a row per epoch, the plot, both checkpoints.
  CHECK(count_lines(dir / "run" / "results.csv") == 31);
  CHECK(load_image(dir / "run" / "results.png").cols == 1200);
  CHECK(std::filesystem::exists(dir / "run" / "weights" / "best.safetensors"));
  CHECK(read_train_state(dir / "run" / "weights" / "last.safetensors")->progress.at("finished") == true);
  // The network now holds the best epoch's weights, which best.safetensors holds too.
  YoloNet best(scale_from_name("n"), 2);
  load_checkpoint_weights(dir / "run" / "weights" / "best.safetensors", best);
  CHECK(same_weights(net, best, 0));
  // predict() maps boxes back to each image's own pixels.
  const std::vector<Detections> d = predict(net, {load_image(val_ds.images()[0].path)}, 96, 0.5f);
  REQUIRE(d.size() == 1);
  CHECK(d[0].size() >= 1);
}

TEST_CASE("yolo: a run interrupted mid-epoch resumes to the same weights as an uninterrupted one", "[yolo][train]") {
  configure_threads(0);
  test::TempDir dir("yolo_resume");
  std::filesystem::create_directories(dir / "data");
  const DetectionDataset ds = make_shapes(dir / "data", 24, 3);
  YoloTrainOptions o;
  o.imgsz = 64;
  o.batch = 8;
  o.epochs = 3;
  o.close_mosaic = 1;
  o.workers = 2;
  o.device = "cpu";

  o.project = dir / "straight";
  const auto straight_ptr = fresh_net();
  YoloNet& straight = *straight_ptr;
  const std::vector<YoloEpoch> h1 = train(straight, meta_for(ds), ds, ds, o);

  // Ctrl-C (the interrupt checker) at step 2 of epoch 2: last.safetensors is written and usable.
  o.project = dir / "resumed";
  SilentProgress progress;
  o.progress = &progress;
  set_interrupt_checker([&] {
    const ProgressState st = progress.state();
    return st.task == "epoch 2/3" && st.done >= 2;
  });
  CHECK_THROWS_AS(train(*fresh_net(), meta_for(ds), ds, ds, o), Interrupted);
  set_interrupt_checker(nullptr);
  const auto state = read_train_state(dir / "resumed" / "weights" / "last.safetensors");
  REQUIRE(state.has_value());
  CHECK(state->progress.at("epoch") == 1);
  CHECK(state->progress.at("step") == 2);
  CHECK(state->progress.at("finished") == false);
  YoloNet usable(scale_from_name("n"), 2);
  load_checkpoint_weights(dir / "resumed" / "weights" / "last.safetensors", usable);
  CHECK(predict(usable, {load_image(ds.images()[0].path)}, 64, 0.0f).size() == 1);

  o.resume = true;
  const auto second_ptr = fresh_net();
  YoloNet& second = *second_ptr;
  const std::vector<YoloEpoch> h2 = train(second, meta_for(ds), ds, ds, o);
  REQUIRE(h2.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(h2[i].box == Approx(h1[i].box).epsilon(1e-4));
    CHECK(h2[i].map50 == Approx(h1[i].map50).margin(1e-4));
  }
  CHECK(same_weights(straight, second, 1e-5));
  CHECK(count_lines(dir / "resumed" / "results.csv") == 4);

  // A finished run resumes to its history without training.
  const auto third_ptr = fresh_net();
  YoloNet& third = *third_ptr;
  CHECK(train(third, meta_for(ds), ds, ds, o).size() == 3);
  CHECK(same_weights(straight, third, 1e-5));
}

TEST_CASE("yolo: same seed, same weights, whatever the number of loader threads", "[yolo][train]") {
  configure_threads(0);
  test::TempDir dir("yolo_seed");
  std::filesystem::create_directories(dir / "data");
  const DetectionDataset ds = make_shapes(dir / "data", 16, 4);
  YoloTrainOptions o;
  o.imgsz = 64;
  o.batch = 8;
  o.epochs = 1;
  o.device = "cpu";
  o.workers = 1;
  const auto a_ptr = fresh_net(), b_ptr = fresh_net();
  YoloNet &a = *a_ptr, &b = *b_ptr;
  train(a, meta_for(ds), ds, DetectionDataset(ds.classes(), {}), o);
  o.workers = 3;
  train(b, meta_for(ds), ds, DetectionDataset(ds.classes(), {}), o);
  CHECK(same_weights(a, b, 0));
}

TEST_CASE("yolo: bad training input is named", "[yolo][train]") {
  test::TempDir dir("yolo_bad");
  std::filesystem::create_directories(dir / "data");
  DetectionDataset ds = make_shapes(dir / "data", 8, 5);
  const DetectionDataset none(ds.classes(), {});
  YoloNet net(scale_from_name("n"), 2);
  YoloTrainOptions o;
  o.imgsz = 64;
  o.batch = 4;
  o.epochs = 1;
  o.device = "cpu";
  CHECK_THROWS_WITH(train(net, meta_for(ds), none, none, o), Catch::Contains("training split has no images"));
  o.optimizer = "Adam";
  CHECK_THROWS_WITH(train(net, meta_for(ds), ds, none, o), Catch::Contains("'auto', 'SGD' or 'AdamW'"));
  o.optimizer = "auto";
  o.imgsz = 70;
  CHECK_THROWS_WITH(train(net, meta_for(ds), ds, none, o), Catch::Contains("multiple of 32"));
  o.imgsz = 64;

  // A label id beyond the class list cannot even make a dataset (the image is named).
  std::vector<DatasetImage> images = ds.images();
  images[1].detections = Detections(images[1].detections.xyxy(), images[1].detections.confidence(),
                                    ClassIdArray::Constant(images[1].detections.size(), 7));
  CHECK_THROWS_WITH(DetectionDataset(ds.classes(), images), Catch::Contains("s1.png") && Catch::Contains("class id 7"));

  // Images without labels are negatives: they train.
  images = ds.images();
  for (size_t i = 0; i < images.size(); i += 2) images[i].detections = Detections();
  CHECK(train(net, meta_for(ds), DetectionDataset(ds.classes(), images), none, o).size() == 1);

  // An unreadable image is named.
  images = ds.images();
  images[2].path = dir / "data" / "missing.png";
  CHECK_THROWS_WITH(train(net, meta_for(ds), DetectionDataset(ds.classes(), images), none, o),
                    Catch::Contains("missing.png"));

  // Resuming a run made for other classes, or with another image size, is refused.
  o.project = dir / "run";
  o.epochs = 2;
  train(net, meta_for(ds), ds, none, o);
  // Without validation labels the latest epoch is the best: best and last hold the same weights.
  YoloNet from_best(scale_from_name("n"), 2), from_last(scale_from_name("n"), 2);
  load_checkpoint_weights(dir / "run" / "weights" / "best.safetensors", from_best);
  load_checkpoint_weights(dir / "run" / "weights" / "last.safetensors", from_last);
  CHECK(same_weights(from_best, from_last, 0));
  CHECK(same_weights(from_best, net, 0));
  o.resume = true;
  YoloNet other(scale_from_name("n"), 2);
  CHECK_THROWS_WITH(train(other, {"n", {"cat", "dog"}, 64, nullptr}, DetectionDataset({"cat", "dog"}, ds.images()), none, o),
                    Catch::Contains("cannot resume") && Catch::Contains("[square, circle]"));
  o.imgsz = 96;
  CHECK_THROWS_WITH(train(other, meta_for(ds), ds, none, o), Catch::Contains("resume with the same"));
  // A checkpoint for another number of classes does not load into this network.
  YoloNet three(scale_from_name("n"), 3);
  CHECK_THROWS_WITH(load_checkpoint_weights(dir / "run" / "weights" / "last.safetensors", three),
                    Catch::Contains("misshapen"));
}

TEST_CASE("yolo: the EMA moves towards the model by 1 - decay(k)", "[yolo][train]") {
  YoloNet net(scale_from_name("n"), 1);
  ModelEma ema(net, 0.9999, 2000.0);
  CHECK(ema.decay_at(1) == Approx(0.9999 * (1 - std::exp(-1.0 / 2000))));
  CHECK(ema.decay_at(100000) == Approx(0.9999).epsilon(1e-6));
  const at::Tensor before = ema.net().parameters().front().clone();
  {
    at::NoGradGuard no_grad;
    for (auto& p : net.parameters()) p.add_(1.0);
  }
  ema.update(net);
  const double d = ema.decay_at(1);
  CHECK(at::allclose(ema.net().parameters().front(), before + (1 - d), 1e-6, 1e-6));
  CHECK(ema.updates() == 1);
}
