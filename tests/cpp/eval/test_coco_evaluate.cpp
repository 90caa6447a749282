#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/eval/coco_evaluate.h"
#include "autodistill/io/file_io.h"
#include "eval_helpers.h"
#include "test_paths.h"

using namespace autodistill;

namespace {
constexpr double kTol = 1e-9;

// Two images, categories 1 and 3 (ids as given, not contiguous).
//  ann 1: image 1, cat 1, 100x100 box declared area 500 (a small segment)
//  ann 2: image 1, cat 1, crowd region [200, 0, 200, 200]
//  ann 3: image 2, cat 3, 50x50 box, area 2500 (medium)
std::string gt_json(int third_id = 3) {
  nlohmann::json j = {
      {"images", {{{"id", 1}}, {{"id", 2}}}},
      {"categories", {{{"id", 1}, {"name", "a"}}, {{"id", 3}, {"name", "b"}}}},
      {"annotations",
       {{{"id", 1}, {"image_id", 1}, {"category_id", 1}, {"bbox", {0, 0, 100, 100}}, {"area", 500}, {"iscrowd", 0}},
        {{"id", 2}, {"image_id", 1}, {"category_id", 1}, {"bbox", {200, 0, 200, 200}}, {"area", 40000}, {"iscrowd", 1}},
        {{"id", third_id}, {"image_id", 2}, {"category_id", 3}, {"bbox", {0, 0, 50, 50}}, {"area", 2500}, {"iscrowd", 0}}}}};
  return j.dump();
}

//  cat 1: exact hit on ann 1 (.9) and a box inside the crowd region ranked above it (.95, ignored)
//  cat 3: exact hit on ann 3 (.8) and a small false positive ranked above it (.85)
//  cat 7 is not a category: not evaluated
std::string results_json() {
  return R"([
    {"image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 100], "score": 0.9},
    {"image_id": 1, "category_id": 1, "bbox": [210, 10, 50, 50], "score": 0.95},
    {"image_id": 2, "category_id": 3, "bbox": [0, 0, 50, 50], "score": 0.8},
    {"image_id": 2, "category_id": 3, "bbox": [100, 100, 10, 10], "score": 0.85},
    {"image_id": 2, "category_id": 7, "bbox": [0, 0, 50, 50], "score": 0.99}
  ])";
}
}  // namespace

TEST_CASE("coco_evaluate: crowd, declared areas, category ids as given (worked by hand)", "[eval][coco]") {
  const auto r = coco_evaluate_detailed(gt_json(), results_json());
  REQUIRE(r.class_ids == std::vector<int64_t>{1, 3});
  // cat 1: the crowd hit is ignored -> AP 1. cat 3: FP then TP -> recall 0, 1 precision 0, 1/2 -> AP 1/2.
  CHECK(r.ap_per_class[0] == Approx(1.0).margin(kTol));
  CHECK(r.ap_per_class[1] == Approx(0.5).margin(kTol));
  const CocoStats& s = r.stats;
  CHECK(s.ap == Approx(0.75).margin(kTol));
  CHECK(s.ap50 == Approx(0.75).margin(kTol));
  // small: only ann 1 (area 500 although its box is 100x100) -> 1; cat 3 has no small truth (-1).
  CHECK(s.ap_small == Approx(1.0).margin(kTol));
  // medium: ann 3 only; the 10x10 false positive is outside the range and unmatched -> ignored -> 1.
  CHECK(s.ap_medium == Approx(1.0).margin(kTol));
  CHECK(s.ap_large == -1.0);
  // maxDets 1 keeps the top detection per image and category: the crowd hit (cat 1), the FP (cat 3).
  CHECK(s.ar1 == 0.0);
  CHECK(s.ar10 == Approx(1.0));
  CHECK(s.ar_large == -1.0);
  CHECK(r.num_truth == std::vector<int64_t>{1, 1});
  CHECK(coco_evaluate(gt_json(), results_json()).to_array() == s.to_array());
}

TEST_CASE("coco_evaluate reads files, and reports bad input precisely", "[eval][coco]") {
  test::TempDir dir("coco_eval");
  write_file_atomic(dir / "gt.json", gt_json());
  write_file_atomic(dir / "res.json", results_json());
  CHECK(coco_evaluate((dir / "gt.json").string(), (dir / "res.json").string()).ap == Approx(0.75).margin(kTol));
  CHECK_THROWS_AS(coco_evaluate((dir / "missing.json").string(), results_json()), IOError);
  CHECK_THROWS_WITH(coco_evaluate(gt_json(), R"([{"image_id": 5, "category_id": 1, "bbox": [0,0,1,1], "score": 1}])"),
                    Catch::Contains("image_id 5 is not an image of the ground truth"));
  CHECK_THROWS_WITH(coco_evaluate(gt_json(), R"([{"image_id": 1, "category_id": 1, "bbox": [0,0,1], "score": 1}])"),
                    Catch::Contains("COCO results json text: [0]: \"bbox\" must be [x, y, width, height]"));
  CHECK_THROWS_WITH(coco_evaluate(gt_json(), R"({"annotations": []})"), Catch::Contains("expected a list"));
  CHECK_THROWS_WITH(coco_evaluate("{", "[]"), Catch::Contains("not valid json"));
  // An empty results list: AP 0 wherever there is truth.
  CHECK(coco_evaluate(gt_json(), "[]").ap == 0.0);
}

TEST_CASE("coco_evaluate reproduces pycocotools' reading of a match to annotation id 0", "[eval][coco]") {
  test::LogCapture log;
  const auto r = coco_evaluate_detailed(gt_json(0), results_json());
  // pycocotools stores the matched annotation id, so a match to id 0 reads as unmatched: a FP.
  CHECK(r.ap_per_class[1] == 0.0);
  CHECK_THAT(log.all(), Catch::Contains("1 ground-truth annotations have id 0"));
}

TEST_CASE("coco_evaluate on coco128: the ground truth as results scores AP 1", "[eval][coco][coco128]") {
  const auto gt_path = test::shared_dir() / "data" / "coco128" / "annotations" / "instances_train2017_coco128.json";
  test::skip_unless_exists(gt_path);
  const auto gt = nlohmann::json::parse(read_text_file(gt_path));
  nlohmann::json res = nlohmann::json::array();
  for (const auto& a : gt["annotations"])
    if (a.value("iscrowd", 0) == 0)
      res.push_back({{"image_id", a["image_id"]}, {"category_id", a["category_id"]}, {"bbox", a["bbox"]}, {"score", 1.0}});
  const auto r = coco_evaluate_detailed(gt_path.string(), res.dump());
  CHECK(r.stats.ap == Approx(1.0).margin(kTol));
  CHECK(r.stats.ap_small == Approx(1.0).margin(kTol));
  CHECK(r.stats.ar100 == Approx(1.0).margin(kTol));
  CHECK(r.stats.ar1 < 1.0);
}
