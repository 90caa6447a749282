// CLIP against transformers 4.43.4 on the random-weight fixture (tests/fixtures/clip).
#include <ATen/ATen.h>

#include "../catch_torch.h"
#include "../test_paths.h"
#include "autodistill/models/clip/clip_torch.h"
#include "autodistill/models/registry.h"
#include "torch_fixtures.h"

using namespace autodistill;

namespace {
std::shared_ptr<CLIP> load_clip(const std::string& extra = "") {
  const std::string opts = R"({"ontology": {"a photo of a cat": "cat", "a photo of a dog": "dog"}, "device": "cpu", "weights": ")" +
                           (test::fixtures_dir() / "clip").string() + "\"" + extra + "}";
  auto model = std::dynamic_pointer_cast<CLIP>(create_base_model("clip", opts));
  REQUIRE(model);
  return model;
}
}  // namespace

TEST_CASE("clip: every output matches transformers 4.43.4", "[models][clip][parity]") {
  auto model = load_clip();
  const auto inputs = test::read_tensors(test::fixtures_dir() / "clip/inputs.safetensors");
  const auto expected = test::read_tensors(test::fixtures_dir() / "clip/outputs.safetensors");
  const TensorMap got = forward_raw(*model, inputs);
  REQUIRE(got.size() == expected.size());
  for (const auto& [name, ref] : expected) {
    INFO(name);
    REQUIRE(got.count(name) == 1);
    const at::Tensor& g = got.at(name);
    REQUIRE(g.sizes() == ref.sizes());
    const double diff = test::max_abs_diff(g, ref);
    WARN(name << " max abs diff " << diff);
    CHECK(test::all_close(g, ref, 1e-4, 1e-4));
  }
}

TEST_CASE("clip: pre-processing matches CLIPImageProcessor", "[models][clip][parity]") {
  auto model = load_clip();
  const auto pre = test::read_tensors(test::fixtures_dir() / "clip/preprocess.safetensors");
  for (const std::string i : {"0", "1"}) {
    const cv::Mat bgr = test::bgr_from_rgb_hwc(pre.at("image" + i + "_u8_hwc"));
    const at::Tensor px = preprocess(*model, {bgr});
    const at::Tensor& ref = pre.at("image" + i + "_pixel_values");
    REQUIRE(px.sizes() == ref.sizes());
    WARN("clip pre-processing image" << i << " max abs diff " << test::max_abs_diff(px, ref));
    CHECK(test::max_abs_diff(px, ref) < 1e-5);
  }
}

TEST_CASE("clip: predict returns one whole-image detection; embeddings are normalised", "[models][clip]") {
  auto model = load_clip();
  cv::Mat img(50, 70, CV_8UC3, cv::Scalar(10, 120, 240));
  const Detections d = model->predict(img);
  REQUIRE(d.size() == 1);
  CHECK(d.xyxy()(0, 2) == 70.f);
  CHECK(d.xyxy()(0, 3) == 50.f);
  CHECK(d.confidence()(0) > 0.f);
  CHECK(d.confidence()(0) <= 1.f);
  const EmbeddingMatrix e = model->embed_image({img, img});
  REQUIRE(e.rows() == 2);
  REQUIRE(e.cols() == 24);
  CHECK(std::abs(e.row(0).norm() - 1.f) < 1e-5f);
  const EmbeddingMatrix t = model->embed_text({"a photo of a cat", "a dog"});
  REQUIRE(t.rows() == 2);
  CHECK(std::abs(t.row(1).norm() - 1.f) < 1e-5f);
  // The same text embedded alone and in a batch (padding must not change it).
  const EmbeddingMatrix t1 = model->embed_text({"a dog"});
  CHECK((t1.row(0) - t.row(1)).cwiseAbs().maxCoeff() < 1e-5f);
  // Grayscale and BGRA images are converted, not rejected.
  cv::Mat gray(40, 30, CV_8UC1, cv::Scalar(100));
  cv::Mat bgra(40, 30, CV_8UC4, cv::Scalar(1, 2, 3, 255));
  CHECK(model->predict(gray).size() == 1);
  CHECK(model->predict(bgra).size() == 1);
}
