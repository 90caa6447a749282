// OWLv2 against transformers 4.43.4 on the random-weight fixture (tests/fixtures/owlv2).
#include "owl_parity.h"

using namespace autodistill;

TEST_CASE("owlv2: every output matches transformers 4.43.4", "[models][owlv2][parity]") {
  auto model = test::load_owl<OWLv2>("owlv2");
  test::check_owl_outputs(*model, "owlv2");
}

TEST_CASE("owlv2: pre-processing matches Owlv2ImageProcessor (pad, gaussian, zoom)", "[models][owlv2][parity]") {
  auto model = test::load_owl<OWLv2>("owlv2");
  test::check_owl_preprocess(*model, "owlv2", 1e-5);
}

TEST_CASE("owlv2: post_process_object_detection matches upstream", "[models][owlv2][parity]") {
  test::check_owl_postprocess("owlv2");
}

TEST_CASE("owlv2: boxes of a non-square image are fractions of the padded square", "[models][owlv2]") {
  auto model = test::load_owl<OWLv2>("owlv2", R"(, "box_threshold": 0.0, "nms_iou": 1.0)");
  cv::Mat img(60, 150, CV_8UC3);  // wide: padded at the bottom to 150 x 150
  cv::randu(img, 0, 255);
  const Detections d = model->predict(img);
  REQUIRE(d.size() == 16);
  const TensorMap raw = forward_raw(*model, {{"pixel_values", preprocess(*model, {img})}});
  const at::Tensor boxes = raw.at("pred_boxes")[0];
  for (int64_t i = 0; i < d.size(); ++i) {
    bool found = false;
    for (int64_t p = 0; p < 16 && !found; ++p) {
      const float cx = boxes[p][0].item<float>(), cy = boxes[p][1].item<float>();
      const float w = boxes[p][2].item<float>(), h = boxes[p][3].item<float>();
      // both axes scale by the square's side (150), then clip to the 150 x 60 image
      const float x2 = std::clamp((cx + w / 2) * 150.f, 0.f, 150.f), y1 = std::clamp((cy - h / 2) * 150.f, 0.f, 60.f);
      found = std::abs(d.xyxy()(i, 2) - x2) < 1e-3f && std::abs(d.xyxy()(i, 1) - y1) < 1e-3f;
    }
    CHECK(found);
    CHECK(d.xyxy()(i, 3) <= 60.f);
  }
}
