#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/eval/evaluate.h"
#include "eval_helpers.h"
#include "test_paths.h"

using namespace autodistill;
using test::dets;
using test::Row;

namespace {
Row at(int slot, float score = 0.9f, int64_t cls = 0) {
  const float x = 200.0f * static_cast<float>(slot);
  return Row{x, 0, x + 100, 100, score, cls};
}

DatasetImage img(const std::string& rel, Detections d) {
  DatasetImage im;
  im.relative_path = rel;
  im.path = rel;
  im.width = 1000;
  im.height = 200;
  im.detections = std::move(d);
  return im;
}
}  // namespace

TEST_CASE("evaluate: perfect agreement gives share 1 and mAP 1, empty review queue", "[eval][evaluate]") {
  const DetectionDataset truth({"cat", "dog"}, {img("a.jpg", dets({at(0, 1, 0), at(1, 1, 1)})),
                                                img("b.jpg", dets({at(2, 1, 1)})), img("c.jpg", dets({}))});
  // Same names with another extension: paired by the name without extension.
  const DetectionDataset pred({"cat", "dog"}, {img("a.png", dets({at(0, 1.0f, 0), at(1, 1.0f, 1)})),
                                               img("b.png", dets({at(2, 1.0f, 1)})), img("c.png", dets({}))});
  const EvaluationReport r = evaluate(pred, truth);
  CHECK(r.images.size() == 3);
  CHECK(r.agreement_share == 1.0);
  CHECK(r.mean_agreement == 1.0);
  CHECK(r.coco_stats.ap == Approx(1.0));
  CHECK(r.coco_stats.ap50 == Approx(1.0));
  CHECK(r.review_queue.empty());
  CHECK(r.missed_classes.empty());
  CHECK(r.invented_classes.empty());
  REQUIRE(r.per_class.size() == 2);
  CHECK(r.per_class[1].num_truth == 2);
  CHECK(r.per_class[1].tp == 2);
  CHECK(r.per_class[1].f1 == 1.0);
  CHECK(r.confusion(0, 0) == 1);
  CHECK(r.confusion(1, 1) == 2);
  CHECK(r.confusion.sum() == 3);
}

TEST_CASE("evaluate: an image with a missed box tops the review queue with the reason", "[eval][evaluate]") {
  const DetectionDataset truth({"cat", "dog"}, {img("a.jpg", dets({at(0, 1, 0)})),
                                                img("b.jpg", dets({at(0, 1, 0), at(1, 1, 1)})),
                                                img("c.jpg", dets({at(0, 1, 1)}))});
  const DetectionDataset pred({"cat", "dog"}, {img("a.jpg", dets({at(0, 0.99f, 0)})),
                                               img("b.jpg", dets({at(0, 0.99f, 0)})),  // dog missed
                                               img("c.jpg", dets({at(0, 0.6f, 1)}))});  // right, unsure
  const EvaluationReport r = evaluate(pred, truth);
  REQUIRE(r.review_queue.size() == 3);  // a.jpg agrees with confidence .99: score .0025, last
  // b: F1 = 2/3 -> 1/3 + 0.5 * (1 of 2 classes missed) + 0.25 * 0.01.
  const auto& top = r.images[static_cast<size_t>(r.review_queue[0])];
  CHECK(top.relative_path == "b.jpg");
  CHECK(top.agreement == Approx(2.0 / 3.0));
  CHECK(top.review_score == Approx(1.0 / 3.0 + 0.25 + 0.0025));
  CHECK(top.fn == 1);
  CHECK(top.missed_classes == std::vector<std::string>{"dog"});
  CHECK(top.reason.find("1 missed box") != std::string::npos);
  CHECK(top.reason.find("missed class dog") != std::string::npos);
  // c: agreement 1, only the low confidence: 0.25 * 0.4.
  const auto& second = r.images[static_cast<size_t>(r.review_queue[1])];
  CHECK(second.relative_path == "c.jpg");
  CHECK(second.review_score == Approx(0.1));
  CHECK(second.reason == "low confidence (mean 0.60)");
  CHECK(r.images[static_cast<size_t>(r.review_queue[2])].relative_path == "a.jpg");
  CHECK(r.agreement_share == Approx(2.0 / 3.0));
  // The table and json carry the queue.
  CHECK(r.to_table().find("b.jpg") != std::string::npos);
  const auto j = nlohmann::json::parse(r.to_json());
  CHECK(j["review_queue"][0]["relative_path"] == "b.jpg");
  CHECK(j["coco_stats"]["AP50"].get<double>() == Approx(r.coco_stats.ap50));
}

TEST_CASE("evaluate: class map renames prediction classes; unmapped ones are invented", "[eval][evaluate]") {
  const DetectionDataset truth({"traffic_cone", "car", "bike"},
                               {img("a.jpg", dets({at(0, 1, 0), at(1, 1, 1), at(2, 1, 2)}))});
  const DetectionDataset pred({"cone", "car", "tree"}, {img("a.jpg", dets({at(0, 0.9f, 0), at(1, 0.9f, 1),
                                                                           at(3, 0.9f, 2)}))});
  SECTION("without the map, cone is invented and traffic_cone missed") {
    const EvaluationReport r = evaluate(pred, truth);
    CHECK(r.invented_classes == std::vector<std::string>{"cone", "tree"});
    CHECK(r.missed_classes == std::vector<std::string>{"traffic_cone", "bike"});
    CHECK(r.classes.size() == 5);
  }
  SECTION("with the map, cone is traffic_cone") {
    EvaluateOptions o;
    o.class_map = {{"cone", "traffic_cone"}};
    const EvaluationReport r = evaluate(pred, truth, o);
    CHECK(r.prediction_class_to_eval == std::vector<int64_t>{0, 1, 3});
    CHECK(r.invented_classes == std::vector<std::string>{"tree"});
    CHECK(r.missed_classes == std::vector<std::string>{"bike"});
    CHECK(r.per_class[0].tp == 1);
    CHECK(r.per_class[3].invented);
    CHECK(r.per_class[3].fp == 1);
    CHECK(r.per_class[3].ap == -1);
    // TP 2 (cone, car), FP 1 (tree), FN 1 (bike): F1 = 4 / 6.
    CHECK(r.images[0].agreement == Approx(4.0 / 6.0));
    // mAP over truth classes with truth: cone 1, car 1, bike 0.
    CHECK(r.coco_stats.ap50 == Approx(2.0 / 3.0));
  }
  SECTION("a class map typo is an error naming the classes") {
    EvaluateOptions o;
    o.class_map = {{"cone", "trafic_cone"}};
    CHECK_THROWS_WITH(evaluate(pred, truth, o), Catch::Contains("trafic_cone") && Catch::Contains("traffic_cone"));
    o.class_map = {{"cones", "traffic_cone"}};
    CHECK_THROWS_WITH(evaluate(pred, truth, o), Catch::Contains("'cones' is not a prediction class"));
  }
}

TEST_CASE("evaluate: images on one side only are counted, warned about and not evaluated", "[eval][evaluate]") {
  const DetectionDataset truth({"cat"}, {img("a.jpg", dets({at(0, 1, 0)})), img("only_truth.jpg", dets({at(0, 1, 0)})),
                                         img("sub/b.jpg", dets({at(1, 1, 0)}))});
  // "other/b.jpg" pairs with "sub/b.jpg" by its unique file stem.
  const DetectionDataset pred({"cat"}, {img("a.jpg", dets({at(0, 0.9f, 0)})), img("other/b.jpg", dets({at(1, 0.9f, 0)})),
                                        img("only_pred1.jpg", dets({at(0, 0.9f, 0)})), img("only_pred2.jpg", dets({}))});
  test::LogCapture log;
  const EvaluationReport r = evaluate(pred, truth);
  CHECK(r.images.size() == 2);
  CHECK(r.prediction_images_without_truth == std::vector<std::string>{"only_pred1.jpg", "only_pred2.jpg"});
  CHECK(r.truth_images_without_predictions == std::vector<std::string>{"only_truth.jpg"});
  REQUIRE(log.warnings.size() == 1);
  CHECK(log.warnings[0].find("2 prediction images have no truth image and 1 truth images") != std::string::npos);
  CHECK(r.coco_stats.ap == Approx(1.0));  // the unpaired ones cost nothing
  CHECK(r.to_table().find("prediction images without truth 2") != std::string::npos);
}

TEST_CASE("evaluate: bad options and bad prediction class ids", "[eval][evaluate]") {
  const DetectionDataset truth({"cat"}, {img("a.jpg", dets({at(0, 1, 0)}))});
  // The dataset constructor rejects a class id outside its classes, naming the image ...
  CHECK_THROWS_WITH(DetectionDataset({"cat"}, {img("a.jpg", dets({at(1, 0.9f, 7)}))}),
                    Catch::Contains("image 'a.jpg': class id 7"));
  // ... and evaluate() drops and counts such a row if one is edited in afterwards.
  DetectionDataset pred({"cat"}, {img("a.jpg", dets({at(0, 0.9f, 0)}))});
  pred.mutable_images()[0].detections = dets({at(0, 0.9f, 0), at(1, 0.9f, 7)});
  EvaluateOptions o;
  o.iou = 1.5;
  CHECK_THROWS_AS(evaluate(pred, truth, o), InvalidArgument);
  const EvaluationReport r = evaluate(pred, truth);
  CHECK(r.input.predictions_bad_class == 1);
  CHECK(r.images[0].agreement == 1.0);
}

TEST_CASE("evaluate: bad rows in many images warn once per metric, not once per image", "[eval][evaluate]") {
  std::vector<DatasetImage> t, p;
  for (int i = 0; i < 4; ++i) {
    const std::string name = "im" + std::to_string(i) + ".jpg";
    t.push_back(img(name, dets({at(0, 1, 0), Row{50, 50, 10, 10, 1, 0}})));  // second truth box: x2 < x1
    p.push_back(img(name, dets({at(0, 0.9f, 0), Row{0, 0, 5, 5, NAN, 0}})));  // NaN confidence
  }
  test::LogCapture log;
  const EvaluationReport r = evaluate(DetectionDataset({"cat"}, p), DetectionDataset({"cat"}, t));
  CHECK(r.input.predictions_nan_score == 4);
  CHECK(r.input.truths_invalid_box == 4);
  CHECK(log.warnings.size() <= 3);  // MeanAveragePrecision, PrecisionRecall, ConfusionMatrix
  // The invalid truth box is a miss: TP 1, FN 1 per image.
  CHECK(r.images[0].agreement == Approx(2.0 / 3.0));
  CHECK(r.images[0].fn == 1);
}

TEST_CASE("evaluate: json save round trip", "[eval][evaluate]") {
  const DetectionDataset truth({"cat"}, {img("a.jpg", dets({at(0, 1, 0)}))});
  const DetectionDataset pred({"cat"}, {img("a.jpg", dets({}))});
  const EvaluationReport r = evaluate(pred, truth);
  test::TempDir dir("evaluate");
  r.save_json(dir / "r.json");
  std::ifstream in(dir / "r.json");
  const auto j = nlohmann::json::parse(in);
  CHECK(j["images"][0]["agreement"] == 0.0);
  CHECK(j["images"][0]["mean_confidence"].is_null());
  CHECK(j["missed_classes"] == std::vector<std::string>{"cat"});
  CHECK(j["per_class"][0]["precision"].is_null());
  CHECK(j["per_class"][0]["recall"] == 0.0);
}

TEST_CASE("base64_encode matches RFC 4648 test vectors", "[eval][evaluate]") {
  auto b64 = [](const std::string& s) { return base64_encode(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
  CHECK(b64("") == "");
  CHECK(b64("f") == "Zg==");
  CHECK(b64("fo") == "Zm8=");
  CHECK(b64("foo") == "Zm9v");
  CHECK(b64("foob") == "Zm9vYg==");
  CHECK(b64("fooba") == "Zm9vYmE=");
  CHECK(b64("foobar") == "Zm9vYmFy");
}

TEST_CASE("report_html writes one self-contained file with the table and the drawn queue", "[eval][evaluate]") {
  test::TempDir dir("report_html");
  cv::Mat pixels(200, 1000, CV_8UC3, cv::Scalar(90, 120, 150));
  save_image(dir / "b.png", pixels);
  DatasetImage ti = img("b.png", dets({at(0, 1, 0), at(1, 1, 1)}));
  ti.path = dir / "b.png";
  DatasetImage missing = img("gone.png", dets({at(0, 1, 0)}));
  missing.path = dir / "gone.png";
  const DetectionDataset truth({"cat", "<dog>"}, {ti, missing});
  const DetectionDataset pred({"cat"}, {img("b.png", dets({at(0, 0.8f, 0)})), img("gone.png", dets({}))});
  const EvaluationReport r = evaluate(pred, truth);
  REQUIRE(r.review_queue.size() == 2);
  report_html(r, pred, truth, dir / "r.html");
  std::ifstream in(dir / "r.html");
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("&lt;dog&gt;") != std::string::npos);  // names are escaped
  CHECK(html.find("<dog>") == std::string::npos);
  CHECK(html.find("data:image/png;base64,iVBORw0KGgo") != std::string::npos);  // one PNG drawn
  CHECK(html.find("image not drawn") != std::string::npos);                    // the missing file is named
  CHECK(html.find("gone.png") != std::string::npos);
  CHECK(html.find("src=\"http") == std::string::npos);  // nothing external
}
