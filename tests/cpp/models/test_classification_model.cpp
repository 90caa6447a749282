// Classifications, ClassificationBaseModel, ComposedDetectionModel, and CLIP as a classifier.
#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include "../test_paths.h"
#include "autodistill/core/error.h"
#include "autodistill/models/classification_model.h"
#include "autodistill/models/clip/clip.h"

using namespace autodistill;

namespace {

Detections boxes(const std::vector<std::array<float, 5>>& rows) {  // x1 y1 x2 y2 confidence, class 0
  const auto n = static_cast<Eigen::Index>(rows.size());
  BoxArray b(n, 4);
  ScoreArray s(n);
  ClassIdArray c = ClassIdArray::Zero(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& r = rows[static_cast<size_t>(i)];
    b.row(i) << r[0], r[1], r[2], r[3];
    s(i) = r[4];
  }
  return Detections(b, s, c);
}

// Returns the same boxes for every image.
class FixedDetector : public BaseModel {
 public:
  explicit FixedDetector(Detections d) : BaseModel(CaptionOntology({{"thing", "thing"}})), d_(std::move(d)) {}
  std::string name() const override { return "fixed"; }
  Detections predict(const cv::Mat&) override { return d_; }

 private:
  Detections d_;
};

// Red crop -> "red" (0.9), green crop -> "green" (0.7), anything else -> "red" 0.2. Records crop sizes.
class ColourClassifier : public ClassificationBaseModel {
 public:
  ColourClassifier() : ClassificationBaseModel(CaptionOntology({{"red", "red"}, {"green", "green"}})) {}
  std::string name() const override { return "colour"; }
  Classifications classify(const cv::Mat& crop) override {
    sizes.push_back(crop.size());
    const cv::Scalar m = cv::mean(crop);
    if (m[2] > 200 && m[1] < 50) return Classifications::from_scores({0.9f, 0.1f});
    if (m[1] > 200 && m[2] < 50) return Classifications::from_scores({0.3f, 0.7f});
    return Classifications::from_scores({0.2f, 0.1f});
  }
  std::vector<cv::Size> sizes;
};

}  // namespace

TEST_CASE("Classifications sort by confidence, ties by class id", "[models][classification]") {
  ClassIdArray ids(4);
  ids << 3, 0, 2, 1;
  ScoreArray conf(4);
  conf << 0.1f, 0.4f, 0.4f, 0.1f;
  const Classifications c(ids, conf);
  CHECK(c.class_id() == (ClassIdArray(4) << 0, 2, 1, 3).finished());
  CHECK(c.top() == std::pair<int64_t, float>{0, 0.4f});
  CHECK(c.top_k(2).size() == 2);
  CHECK(c.top_k(9).size() == 4);
  CHECK(c.confidence_of(2) == 0.4f);
  CHECK(c.confidence_of(7) == 0.0f);
  CHECK(Classifications::from_scores({0.2f, 0.5f, 0.3f}).top().first == 1);
  CHECK_THROWS_AS(Classifications().top(), InvalidArgument);
  CHECK_THROWS_WITH(Classifications(ClassIdArray::Zero(2), ScoreArray::Zero(3)), Catch::Contains("2 class ids but 3"));
  CHECK_THROWS_WITH(Classifications(ClassIdArray::Constant(1, -1), ScoreArray::Zero(1)), Catch::Contains("negative"));
}

TEST_CASE("ComposedDetectionModel: the detector's boxes take the classifier's classes", "[models][classification]") {
  cv::Mat image(100, 200, CV_8UC3, cv::Scalar(30, 30, 30));
  cv::rectangle(image, cv::Rect(10, 10, 40, 40), cv::Scalar(0, 0, 255), cv::FILLED);    // red
  cv::rectangle(image, cv::Rect(100, 20, 50, 60), cv::Scalar(0, 255, 0), cv::FILLED);   // green
  auto detector = std::make_shared<FixedDetector>(boxes({{10, 10, 50, 50, 0.8f},        // red square
                                                         {100, 20, 150, 80, 0.6f},      // green square
                                                         {160, 10, 190, 40, 0.5f},      // background
                                                         {250, 10, 260, 20, 0.9f}}));   // outside the image
  auto classifier = std::make_shared<ColourClassifier>();
  ComposedDetectionModel composed(detector, classifier, {0.25f, 0.0f});
  CHECK(composed.name() == "fixed+colour");
  CHECK(composed.ontology().classes() == std::vector<std::string>{"red", "green"});
  const Detections d = composed.predict(image);
  // Background is classified "red" at 0.2 < 0.25 and dropped; the box outside the image is never classified.
  REQUIRE(d.size() == 2);
  CHECK(d.class_id()(0) == 0);
  CHECK(d.confidence()(0) == Approx(0.9f));
  CHECK(d.class_id()(1) == 1);
  CHECK(d.confidence()(1) == Approx(0.7f));
  const auto& det_conf = std::get<std::vector<double>>(d.data().at("detector_confidence"));
  REQUIRE(det_conf.size() == 2);
  CHECK(det_conf[0] == Approx(0.8));
  CHECK(det_conf[1] == Approx(0.6));
  CHECK(classifier->sizes.size() == 3);
  CHECK(classifier->sizes[0] == cv::Size(40, 40));

  // Padding grows the crop by a share of the box on each side, clipped to the image.
  classifier->sizes.clear();
  ComposedDetectionModel padded(detector, classifier, {0.0f, 0.25f});
  CHECK(padded.predict_batch({image, image}).size() == 2);
  CHECK(classifier->sizes[0] == cv::Size(60, 60));        // 10..50 grown by 10 each side: 0..60
  CHECK(classifier->sizes[2] == cv::Size(46, 46));        // 160..190 x 10..40 grown by 7.5: 152..198 x 2..48

  CHECK_THROWS_WITH(ComposedDetectionModel(nullptr, classifier), Catch::Contains("no detector"));
  CHECK_THROWS_WITH(ComposedDetectionModel(detector, nullptr), Catch::Contains("no classifier"));
  CHECK_THROWS_WITH(ComposedDetectionModel(detector, classifier, {1.5f, 0.f}), Catch::Contains("min_confidence"));
}

TEST_CASE("clip: classify gives each class the summed probability of its prompts", "[models][clip][classification]") {
  const auto weights = (test::fixtures_dir() / "clip").string();
  CLIP::Options o;
  o.weights = weights;
  o.device = "cpu";
  CLIP per_prompt(CaptionOntology({{"a photo of a cat", "cat"}, {"a kitten", "kitten"}, {"a dog", "dog"}}), o);
  CLIP merged(CaptionOntology({{"a photo of a cat", "cat"}, {"a kitten", "cat"}, {"a dog", "dog"}}), o);
  cv::Mat image(48, 64, CV_8UC3);
  cv::randu(image, 0, 255);
  const Classifications a = per_prompt.classify(image);
  const Classifications b = merged.classify(image);
  REQUIRE(a.size() == 3);
  REQUIRE(b.size() == 2);
  CHECK(a.confidence().sum() == Approx(1.0f));
  CHECK(b.confidence_of(0) == Approx(a.confidence_of(0) + a.confidence_of(1)));
  CHECK(b.confidence_of(1) == Approx(a.confidence_of(2)));
  // predict: one whole-image box with the most likely class.
  const Detections d = merged.predict(image);
  REQUIRE(d.size() == 1);
  CHECK(d.class_id()(0) == b.top().first);
  CHECK(d.confidence()(0) == Approx(b.top().second));
  CHECK(d.xyxy().row(0) == Eigen::RowVector4f(0, 0, 64, 48));
  const auto batch = merged.classify_batch({image, image});
  CHECK(batch[1].confidence_of(1) == Approx(b.confidence_of(1)));
}
