// The classical models through the registry: what the CLI and Python use.
#include <algorithm>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/models/classical/cascade_detector.h"
#include "autodistill/models/classical/hog_people_detector.h"
#include "autodistill/models/registry.h"
#include "classical_fixtures.h"

using namespace autodistill;
using Catch::Matchers::Contains;

TEST_CASE("the classical models are registered", "[models][classical][registry]") {
  const auto names = list_models();
  CHECK(std::count(names.begin(), names.end(), "hog_people") == 1);
  CHECK(std::count(names.begin(), names.end(), "cascade") == 1);
  const ModelInfo& hog = model_info("hog_people");
  CHECK(hog.supported_prompts == HOGPeopleDetector::supported_prompts());
  CHECK(model_info("cascade").supported_prompts == CascadeDetector::supported_prompts());
  // The advertised defaults are valid options: feeding them back builds a model.
  for (const std::string name : {"hog_people", "cascade"}) {
    INFO(name);
    ModelOptions options = ModelOptions::parse(model_info(name).default_options_json);
    CHECK(options.is_object());
    CHECK_FALSE(options.contains("ontology"));
    options["ontology"] = {{name == "cascade" ? "face" : "person", "x"}};
    CHECK(create_base_model(name, options) != nullptr);
  }
}

TEST_CASE("hog_people round trip through create_base_model with JSON options", "[models][classical][registry]") {
  auto model = create_base_model(
      "hog_people", R"({"ontology": {"pedestrian": "person"}, "scale": 1.05, "padding": 16, "max_side": 0})");
  REQUIRE(model->name() == "hog_people");
  auto* hog = dynamic_cast<HOGPeopleDetector*>(model.get());
  REQUIRE(hog != nullptr);
  CHECK(hog->options().padding == 16);
  CHECK(hog->options().max_side == 0);
  CHECK(model->ontology().classes() == std::vector<std::string>{"person"});
  const Detections d = model->predict(test::people_image());
  CHECK(test::best_iou(d.xyxy(), test::people_ground_truth().row(0)) > 0.5f);
}

TEST_CASE("cascade round trip through create_base_model with JSON options", "[models][classical][registry]") {
  auto model = create_base_model("cascade", R"({"ontology": {"face": "face", "eye": "eye"},
      "min_neighbors": 5, "cascades": {"eye": "haarcascades/haarcascade_eye_tree_eyeglasses.xml"}})");
  REQUIRE(model->name() == "cascade");
  auto* cascade = dynamic_cast<CascadeDetector*>(model.get());
  REQUIRE(cascade != nullptr);
  CHECK(cascade->options().min_neighbors == 5);
  CHECK(cascade->cascade_files()[1].filename() == "haarcascade_eye_tree_eyeglasses.xml");
  const Detections d = model->predict(test::face_image());
  CHECK(std::count(d.class_id().data(), d.class_id().data() + d.size(), int64_t{0}) == 1);
}

TEST_CASE("classical factories reject unknown option keys and bad values", "[models][classical][registry]") {
  CHECK_THROWS_WITH(create_base_model("hog_people", R"({"ontology": {"person": "person"}, "confidense": 0.3})"),
                    Contains("confidense") && Contains("confidence"));
  CHECK_THROWS_WITH(create_base_model("cascade", R"({"ontology": {"face": "face"}, "minNeighbors": 3})"),
                    Contains("minNeighbors") && Contains("min_neighbors"));
  CHECK_THROWS_AS(create_base_model("cascade", R"({"ontology": {"face": "face"}, "min_size": "big"})"),
                  InvalidArgument);
  CHECK_THROWS_WITH(create_base_model("hog_people", R"({"ontology": {"person": "person"}, "scale": 0.9})"),
                    Contains("scale"));
  CHECK_THROWS_WITH(create_base_model("hog_people", R"({"scale": 1.1})"), Contains("ontology"));
  CHECK_THROWS_WITH(create_base_model("hog_people", R"({"ontology": {"cat": "cat"}})"), Contains("'person'"));
}
