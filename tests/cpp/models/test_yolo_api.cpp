// The public YOLO class: checkpoints round-trip exactly, bad input is named.
#include <ATen/ATen.h>

#include "../catch_torch.h"
#include "../test_paths.h"
#include "autodistill/core/error.h"
#include "autodistill/io/safetensors_torch.h"
#include "autodistill/models/yolo/yolo.h"

using namespace autodistill;

TEST_CASE("YOLO: save and load give the same model and predictions", "[yolo][api]") {
  test::TempDir dir("yolo_api");
  at::manual_seed(3);
  YOLO model("n", {"cat", "dog", "bird"}, 64);
  CHECK(model.num_parameters() > 3000000);
  cv::Mat image(50, 80, CV_8UC3);
  cv::randu(image, 0, 255);
  const Detections before = model.predict(image, 0.0f);
  model.save(dir / "m.safetensors");
  CHECK_FALSE(std::filesystem::exists(dir / "m.safetensors.tmp"));
  YOLO loaded = YOLO::load(dir / "m.safetensors");
  CHECK(loaded.classes() == std::vector<std::string>{"cat", "dog", "bird"});
  CHECK(loaded.scale() == "n");
  CHECK(loaded.imgsz() == 64);
  const Detections after = loaded.predict(image, 0.0f);
  REQUIRE(after.size() == before.size());
  CHECK(after.xyxy().isApprox(before.xyxy()));
  CHECK(after.class_id() == before.class_id());
  // A checkpoint path in place of the scale loads it; the model is a TargetModel.
  YOLO from_path((dir / "m.safetensors").string());
  TargetModel& target = from_path;
  CHECK(target.classes() == loaded.classes());
  CHECK(target.predict(image, 0.0f).xyxy().isApprox(before.xyxy()));
  CHECK_THROWS_WITH(YOLO((dir / "m.safetensors").string(), {"x"}), Catch::Contains("brings its classes"));
  // Boxes are in the image's own pixels (letterbox undone): within the image give or take the
  // untrained network's spread.
  CHECK(model.predict_batch({}).empty());
}

TEST_CASE("YOLO: bad input is named", "[yolo][api]") {
  test::TempDir dir("yolo_api_bad");
  CHECK_THROWS_WITH(YOLO("m", {"a"}), Catch::Contains("'n' or 's'"));
  CHECK_THROWS_WITH(YOLO("n").predict(cv::Mat(32, 32, CV_8UC3, cv::Scalar::all(0))),
                    Catch::Contains("YOLO-n has no classes yet"));
  CHECK_THROWS_WITH(YOLO("n").save(dir / "none.safetensors"), Catch::Contains("no classes yet"));
  CHECK_THROWS_WITH(YOLO("n", {"a"}, 100), Catch::Contains("multiple of 32"));
  save_safetensors(dir / "other.safetensors", {{"x", at::zeros({2})}});
  CHECK_THROWS_WITH(YOLO::load(dir / "other.safetensors"), Catch::Contains("not an autodistill-cpp YOLO checkpoint"));
  YOLO model("n", {"cat", "dog"}, 64);
  const DetectionDataset other({"car"}, {});
  CHECK_THROWS_WITH(model.train(other, other, {}), Catch::Contains("[car] are not the model's [cat, dog]"));
}
