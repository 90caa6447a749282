#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/models/options.h"
#include "autodistill/models/registry.h"

using namespace autodistill;

namespace {
// A model that reports one fixed box per image, registered the way real models register.
class FixedBoxModel : public BaseModel {
 public:
  FixedBoxModel(CaptionOntology o, float size) : BaseModel(std::move(o)), size_(size) {}
  std::string name() const override { return "test_fixed_box"; }
  Detections predict(const cv::Mat& image) override {
    check_image(image);
    BoxArray b(1, 4);
    b << 0, 0, size_, size_;
    return Detections(b, ScoreArray::Constant(1, 0.5f), ClassIdArray::Zero(1));
  }

 private:
  float size_;
};

ModelInfo fixed_box_info() {
  ModelInfo info;
  info.name = "test_fixed_box";
  info.description = "test model";
  info.default_options_json = R"({"size": 4})";
  info.factory = [](const ModelOptions& options) -> std::shared_ptr<BaseModel> {
    OptionReader r(options, "test_fixed_box");
    CaptionOntology o = r.ontology();
    const float size = r.get<float>("size", 4.f);
    r.finish();
    return std::make_shared<FixedBoxModel>(std::move(o), size);
  };
  return info;
}
AD_REGISTER_BASE_MODEL(test_fixed_box, &fixed_box_info);
}  // namespace

TEST_CASE("registered models are listed and created from JSON options", "[models][registry]") {
  const auto names = list_models();
  CHECK(std::find(names.begin(), names.end(), "test_fixed_box") != names.end());
  auto model = create_base_model("test_fixed_box", R"({"ontology": {"thing": "thing"}, "size": 7})");
  CHECK(model->name() == "test_fixed_box");
  CHECK(model->ontology().classes() == std::vector<std::string>{"thing"});
  const cv::Mat image(10, 10, CV_8UC3, cv::Scalar::all(0));
  CHECK(model->predict(image).xyxy()(0, 2) == 7.f);
  const auto batch = model->predict_batch({image, image});
  CHECK(batch.size() == 2);
}

TEST_CASE("registry errors name what is wrong", "[models][registry]") {
  CHECK_THROWS_WITH(create_base_model("nope", "{}"), Catch::Contains("unknown model 'nope'") &&
                                                         Catch::Contains("test_fixed_box"));
  CHECK_THROWS_WITH(create_base_model("test_fixed_box", R"({"ontology": {"a": "a"}, "sise": 3})"),
                    Catch::Contains("unknown option(s) sise") && Catch::Contains("accepted options: ontology, size"));
  CHECK_THROWS_WITH(create_base_model("test_fixed_box", R"({"size": 3})"), Catch::Contains("'ontology' option is required"));
  CHECK_THROWS_WITH(create_base_model("test_fixed_box", R"({"ontology": {"a": "a"}, "size": "big"})"),
                    Catch::Contains("option 'size' has the wrong type"));
  CHECK_THROWS_WITH(create_base_model("test_fixed_box", "{oops"), Catch::Contains("not valid JSON"));
  CHECK_THROWS_AS(register_base_model(fixed_box_info()), InvalidArgument);  // duplicate name
}

TEST_CASE("BaseModel rejects images that are not 8-bit BGR", "[models][base_model]") {
  FixedBoxModel model(CaptionOntology({{"a", "a"}}), 2.f);
  CHECK_THROWS_WITH(model.predict(cv::Mat()), Catch::Contains("got an empty image"));
  CHECK_THROWS_WITH(model.predict(cv::Mat(4, 4, CV_32FC3)), Catch::Contains("CV_8UC3"));
}
