// OWL-ViT (v1) against transformers 4.43.4 on the random-weight fixture (tests/fixtures/owlvit).
#include "owl_parity.h"

using namespace autodistill;

TEST_CASE("owlvit: every output matches transformers 4.43.4", "[models][owlvit][parity]") {
  auto model = test::load_owl<OWLViT>("owlvit");
  test::check_owl_outputs(*model, "owlvit");
}

TEST_CASE("owlvit: pre-processing matches OwlViTImageProcessor (PIL bicubic)", "[models][owlvit][parity]") {
  auto model = test::load_owl<OWLViT>("owlvit");
  test::check_owl_preprocess(*model, "owlvit", 1e-5);
}

TEST_CASE("owlvit: post_process_object_detection matches upstream", "[models][owlvit][parity]") {
  test::check_owl_postprocess("owlvit");
}

TEST_CASE("owlvit: predict scales boxes by the image size and maps prompts to classes", "[models][owlvit]") {
  auto model = test::load_owl<OWLViT>("owlvit", R"(, "box_threshold": 0.0, "nms_iou": 1.0)");
  cv::Mat img(90, 160, CV_8UC3);
  cv::randu(img, 0, 255);
  const Detections d = model->predict(img);
  // threshold 0, no NMS: one detection per patch (3 x 3 grid)
  REQUIRE(d.size() == 9);
  const at::Tensor px = preprocess(*model, {img});
  const TensorMap raw = forward_raw(*model, {{"pixel_values", px}});
  const at::Tensor boxes = raw.at("pred_boxes")[0];
  // every detection is some patch's box scaled by (W, H), clipped
  for (int64_t i = 0; i < d.size(); ++i) {
    bool found = false;
    for (int64_t p = 0; p < 9 && !found; ++p) {
      const float cx = boxes[p][0].item<float>(), cy = boxes[p][1].item<float>();
      const float w = boxes[p][2].item<float>(), h = boxes[p][3].item<float>();
      const float x1 = std::clamp((cx - w / 2) * 160.f, 0.f, 160.f), y2 = std::clamp((cy + h / 2) * 90.f, 0.f, 90.f);
      found = std::abs(d.xyxy()(i, 0) - x1) < 1e-3f && std::abs(d.xyxy()(i, 3) - y2) < 1e-3f;
    }
    CHECK(found);
    CHECK(d.class_id()(i) >= 0);
    CHECK(d.class_id()(i) < 3);
  }
  // batches give the same result as single images
  const auto batch = model->predict_batch({img, img});
  REQUIRE(batch.size() == 2);
  CHECK(batch[1].size() == d.size());
  CHECK((batch[1].confidence() - d.confidence()).cwiseAbs().maxCoeff() < 1e-5f);
}

TEST_CASE("owlvit: the bfloat16 path stays close to float32", "[models][owlvit]") {
  auto f32 = test::load_owl<OWLViT>("owlvit", R"(, "box_threshold": 0.0, "nms_iou": 1.0)");
  auto bf16 = test::load_owl<OWLViT>("owlvit", R"(, "box_threshold": 0.0, "nms_iou": 1.0, "dtype": "bfloat16")");
  const auto inputs = test::read_tensors(test::fixtures_dir() / "owlvit/inputs.safetensors");
  const TensorMap a = forward_raw(*f32, inputs), b = forward_raw(*bf16, inputs);
  const at::Tensor valid = a.at("logits") > -1e30;
  const double drift = test::max_abs_diff(b.at("logits").masked_select(valid), a.at("logits").masked_select(valid));
  WARN("owlvit bf16 vs fp32 on the fixture: logits max abs diff " << drift << ", pred_boxes "
                                                                    << test::max_abs_diff(b.at("pred_boxes"), a.at("pred_boxes")));
  CHECK(drift < 0.1);
  CHECK(test::max_abs_diff(b.at("pred_boxes"), a.at("pred_boxes")) < 0.02);
  cv::Mat img(64, 48, CV_8UC3, cv::Scalar(30, 60, 90));
  CHECK(bf16->predict(img).size() == 9);
}
