#include <catch2/catch.hpp>

#include <map>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/eval/compare.h"
#include "eval_helpers.h"
#include "test_paths.h"

using namespace autodistill;

namespace {

// Sees pure-colour rectangles: a prompt "red thing" / "green thing" / "blue thing" finds blobs of that
// colour (confidence 0.9); any other prompt finds nothing. Stands in for a model whose prompts
// work or do not.
class PromptColorModel : public BaseModel {
 public:
  explicit PromptColorModel(CaptionOntology o) : BaseModel(std::move(o)) {}
  std::string name() const override { return "prompt_colors"; }
  Detections predict(const cv::Mat& image) override {
    static const std::map<std::string, cv::Scalar> kColor = {
        {"red thing", {0, 0, 255}}, {"green thing", {0, 255, 0}}, {"blue thing", {255, 0, 0}}};
    std::vector<test::Row> rows;
    const auto& prompts = ontology().prompts();
    for (size_t p = 0; p < prompts.size(); ++p) {
      auto it = kColor.find(prompts[p]);
      if (it == kColor.end()) continue;
      cv::Mat mask;
      cv::inRange(image, it->second, it->second, mask);
      std::vector<std::vector<cv::Point>> contours;
      cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
      for (const auto& c : contours) {
        const cv::Rect r = cv::boundingRect(c);
        rows.push_back({float(r.x), float(r.y), float(r.x + r.width), float(r.y + r.height), 0.9f,
                        ontology().prompt_class_id(p)});
      }
    }
    return test::dets(rows);
  }
};

// Two images, each with a red, a green and a blue square; the truth has all three classes.
DetectionDataset make_truth(const std::filesystem::path& dir) {
  std::vector<DatasetImage> images;
  for (int k = 0; k < 2; ++k) {
    cv::Mat pixels(120, 300, CV_8UC3, cv::Scalar(40, 40, 40));
    const int y = 10 + 30 * k;
    cv::rectangle(pixels, cv::Rect(10, y, 50, 40), cv::Scalar(0, 0, 255), cv::FILLED);
    cv::rectangle(pixels, cv::Rect(110, y, 60, 50), cv::Scalar(0, 255, 0), cv::FILLED);
    cv::rectangle(pixels, cv::Rect(210, y, 40, 40), cv::Scalar(255, 0, 0), cv::FILLED);
    DatasetImage im;
    im.relative_path = "img" + std::to_string(k) + ".png";
    im.path = dir / im.relative_path;
    save_image(im.path, pixels);
    im.width = pixels.cols;
    im.height = pixels.rows;
    // Inclusive pixel rectangles as xyxy edges.
    im.detections = test::dets({{10, float(y), 60, float(y + 40), 1, 0},
                                {110, float(y), 170, float(y + 50), 1, 1},
                                {210, float(y), 250, float(y + 40), 1, 2}});
    images.push_back(std::move(im));
  }
  return DetectionDataset({"red", "green", "blue"}, std::move(images));
}

}  // namespace

TEST_CASE("compare_ontologies tabulates which prompt set finds which class", "[eval][compare]") {
  test::TempDir dir("compare_ontologies");
  const DetectionDataset truth = make_truth(dir.path());
  const ModelFactory factory = [](const CaptionOntology& o) { return std::make_shared<PromptColorModel>(o); };
  const OntologyComparison cmp = compare_ontologies(
      factory,
      {{"colour words", CaptionOntology({{"red thing", "red"}, {"green thing", "green"}, {"azure", "blue"}})},
       {"only red", CaptionOntology({{"red thing", "red"}, {"lime", "green"}})}},
      truth);
  REQUIRE(cmp.reports.size() == 2);
  CHECK(cmp.names == std::vector<std::string>{"colour words", "only red"});
  // Worked by hand: "colour words" finds red and green exactly (AP50 1, recall 1), no blue; mAP@.5 over
  // the three truth classes = 2/3. "only red" finds red only: 1/3.
  CHECK(cmp.reports[0].coco_stats.ap50 == Approx(2.0 / 3));
  CHECK(cmp.reports[1].coco_stats.ap50 == Approx(1.0 / 3));
  CHECK(cmp.reports[0].per_class[1].recall == 1.0);
  CHECK(cmp.reports[1].per_class[1].recall == 0.0);
  CHECK(cmp.best == "colour words");
  CHECK(cmp.never_found == std::vector<std::string>{"blue"});

  const std::string table = cmp.to_table();
  CHECK(table.find("colour words") != std::string::npos);
  CHECK(table.find("1.000 / 1.000") != std::string::npos);
  CHECK(table.find("0.000 / 0.000") != std::string::npos);
  CHECK(table.find("found by no ontology: blue") != std::string::npos);
  const auto j = nlohmann::json::parse(cmp.to_json());
  CHECK(j["classes"]["green"]["colour words"]["recall"] == 1.0);
  CHECK(j["classes"]["green"]["only red"]["recall"] == 0.0);
  CHECK(j["reports"]["only red"]["coco_stats"]["AP50"].get<double>() == Approx(1.0 / 3));
}

TEST_CASE("compare_ontologies rejects bad input", "[eval][compare]") {
  test::TempDir dir("compare_ontologies_bad");
  const DetectionDataset truth = make_truth(dir.path());
  const ModelFactory factory = [](const CaptionOntology& o) { return std::make_shared<PromptColorModel>(o); };
  const CaptionOntology o({{"red thing", "red"}});
  CHECK_THROWS_WITH(compare_ontologies(factory, {}, truth), Catch::Contains("no ontologies"));
  CHECK_THROWS_WITH(compare_ontologies(factory, {{"a", o}, {"a", o}}, truth), Catch::Contains("'a' is given twice"));
  const ModelFactory null_factory = [](const CaptionOntology&) { return std::shared_ptr<BaseModel>(); };
  CHECK_THROWS_WITH(compare_ontologies(null_factory, {{"a", o}}, truth), Catch::Contains("no model for ontology 'a'"));
}

TEST_CASE("compare draws one row per model and one column per image", "[eval][compare]") {
  std::vector<cv::Mat> images(3, cv::Mat(100, 100, CV_8UC3, cv::Scalar(40, 40, 40)));
  cv::rectangle(images[0], cv::Rect(10, 10, 30, 30), cv::Scalar(0, 0, 255), cv::FILLED);
  const std::vector<std::shared_ptr<BaseModel>> models = {
      std::make_shared<PromptColorModel>(CaptionOntology({{"red thing", "red"}})),
      std::make_shared<PromptColorModel>(CaptionOntology({{"green thing", "green"}}))};
  CompareOptions o;
  o.cell_size = 64;
  const cv::Mat out = compare(models, images, o);
  // grid(): rows * cell + (rows + 1) * gap by columns * cell + (columns + 1) * gap, gap 4.
  CHECK(out.rows == 2 * 64 + 3 * 4);
  CHECK(out.cols == 3 * 64 + 4 * 4);
  CHECK_THROWS_AS(compare({}, images), InvalidArgument);
  CHECK_THROWS_AS(compare(models, {}), InvalidArgument);
}

TEST_CASE("evaluate_model predicts a dataset's images and evaluates them; predict_dataset keeps pairing",
          "[eval][compare]") {
  test::TempDir dir("evaluate_model");
  DetectionDataset truth = make_truth(dir.path());
  truth.mutable_images()[1].split = "valid";
  PromptColorModel model(CaptionOntology({{"red thing", "red"}, {"green thing", "green"}, {"blue thing", "blue"}}));
  const EvaluationReport all = evaluate_model(model, truth);
  CHECK(all.images.size() == 2);
  CHECK(all.coco_stats.ap50 == Approx(1.0));
  const EvaluationReport valid = evaluate_model(model, truth, {}, "valid");
  REQUIRE(valid.images.size() == 1);
  CHECK(valid.images[0].relative_path == "img1.png");
  CHECK(valid.truth_images_without_predictions.empty());

  int calls = 0;
  const BatchPredictor counting = [&](const std::vector<cv::Mat>& images) {
    ++calls;
    return std::vector<Detections>(images.size());
  };
  const DetectionDataset p = predict_dataset(counting, {"red"}, truth, "", 1);
  CHECK(calls == 2);
  CHECK(p.images().size() == 2);
  CHECK(p.images()[0].width == 300);
  const BatchPredictor wrong = [](const std::vector<cv::Mat>&) { return std::vector<Detections>(); };
  CHECK_THROWS_WITH(predict_dataset(wrong, {"red"}, truth), Catch::Contains("returned 0 results for 2 images"));
}
