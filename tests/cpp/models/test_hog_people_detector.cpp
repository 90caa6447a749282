#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include "autodistill/core/error.h"
#include "autodistill/models/classical/hog_people_detector.h"
#include "classical_fixtures.h"

using namespace autodistill;
using Catch::Matchers::Contains;

namespace {
CaptionOntology person_ontology() { return test::ontology({{"person", "person"}}); }
}  // namespace

TEST_CASE("hog_people finds the people in the fixture photo", "[models][classical][hog]") {
  HOGPeopleDetector model(person_ontology());
  const cv::Mat image = test::people_image();
  const Detections d = model.predict(image);
  REQUIRE(d.size() >= 2);
  const BoxArray truth = test::people_ground_truth();
  // Measured once with the default options: [208, 182, 305, 375] (IoU 0.68 with the COCO box).
  CHECK(test::best_iou(d.xyxy(), truth.row(0)) > 0.5f);
  // The man on the right is slender (1:4) and the HOG window is 1:2: measured [434, 197, 510, 351],
  // IoU 0.52 with the COCO box.
  CHECK(test::best_iou(d.xyxy(), truth.row(1)) > 0.4f);
  for (int64_t i = 0; i < d.size(); ++i) {
    CHECK(d.class_id()(i) == 0);
    CHECK(d.confidence()(i) > 0.5f);
    CHECK(d.confidence()(i) < 1.0f);
    CHECK(d.xyxy()(i, 0) >= 0.f);
    CHECK(d.xyxy()(i, 2) <= float(image.cols));
  }
  // Sorted by decreasing confidence.
  for (int64_t i = 1; i < d.size(); ++i) CHECK(d.confidence()(i - 1) >= d.confidence()(i));
}

TEST_CASE("hog_people maps boxes back when it downscales", "[models][classical][hog]") {
  // The same photo at twice the size with max_side 640: the detector sees the original pixels
  // again, so the boxes must come back doubled.
  const cv::Mat image = test::people_image();
  cv::Mat big;
  cv::resize(image, big, cv::Size(image.cols * 2, image.rows * 2), 0, 0, cv::INTER_LINEAR);
  HOGPeopleDetector::Options o;
  o.max_side = 640;
  HOGPeopleDetector model(person_ontology(), o);
  const Detections d = model.predict(big);
  REQUIRE(d.size() >= 1);
  const BoxArray truth = box_scale(test::people_ground_truth(), 2.f, 2.f);
  CHECK(test::best_iou(d.xyxy(), truth.row(0)) > 0.5f);
}

TEST_CASE("hog_people finds nothing in a flat grey image", "[models][classical][hog]") {
  HOGPeopleDetector model(person_ontology());
  CHECK(model.predict(test::flat_grey()).size() == 0);
  // Smaller than the 64 x 128 window: no error, nothing found.
  CHECK(model.predict(test::flat_grey(40, 50)).size() == 0);
}

TEST_CASE("hog_people reports one copy per distinct class of its prompts", "[models][classical][hog]") {
  // "human" and "person" share class 0; "pedestrian" is class 1 (ontology order).
  CaptionOntology onto({{"human", "person"}, {"Pedestrian", "walker"}, {"person", "person"}});
  HOGPeopleDetector model(onto);
  const Detections d = model.predict(test::people_image());
  REQUIRE(d.size() >= 4);
  int64_t zeros = 0, ones = 0;
  for (int64_t i = 0; i < d.size(); ++i) (d.class_id()(i) == 0 ? zeros : ones)++;
  CHECK(zeros == ones);
  CHECK(zeros + ones == d.size());
}

TEST_CASE("hog_people rejects unknown prompts and listing the supported ones", "[models][classical][hog]") {
  CHECK_THROWS_MATCHES(HOGPeopleDetector(test::ontology({{"person", "person"}, {"dog", "dog"}})), InvalidArgument,
                       Catch::Matchers::Predicate<InvalidArgument>([](const InvalidArgument& e) {
                         const std::string m = e.message();
                         return m.find("'dog'") != std::string::npos && m.find("'pedestrian'") != std::string::npos &&
                                m.find("'human'") != std::string::npos;
                       }));
}

TEST_CASE("hog_people validates its options once, in the constructor", "[models][classical][hog]") {
  struct Case {
    const char* field;
    void (*set)(HOGPeopleDetector::Options&);
  };
  const Case cases[] = {
      {"win_stride", [](HOGPeopleDetector::Options& o) { o.win_stride = 0; }},
      {"padding", [](HOGPeopleDetector::Options& o) { o.padding = -1; }},
      {"scale", [](HOGPeopleDetector::Options& o) { o.scale = 1.0; }},
      {"group_threshold", [](HOGPeopleDetector::Options& o) { o.group_threshold = -1; }},
      {"confidence", [](HOGPeopleDetector::Options& o) { o.confidence = 1.5f; }},
      {"nms_iou", [](HOGPeopleDetector::Options& o) { o.nms_iou = 0.f; }},
      {"max_side", [](HOGPeopleDetector::Options& o) { o.max_side = 100; }},
  };
  for (const Case& c : cases) {
    INFO(c.field);
    HOGPeopleDetector::Options o;
    c.set(o);
    CHECK_THROWS_WITH(HOGPeopleDetector(person_ontology(), o), Contains(c.field));
  }
}

TEST_CASE("hog_people checks the input image", "[models][classical][hog]") {
  HOGPeopleDetector model(person_ontology());
  CHECK_THROWS_AS(model.predict(cv::Mat()), InvalidArgument);
  CHECK_THROWS_AS(model.predict(cv::Mat(200, 200, CV_8UC1, cv::Scalar(0))), InvalidArgument);
}

TEST_CASE("hog_people's confidence threshold drops weak detections", "[models][classical][hog]") {
  HOGPeopleDetector::Options o;
  o.confidence = 0.99f;  // a margin of 4.6: the fixture's people score about 0.6
  HOGPeopleDetector model(person_ontology(), o);
  CHECK(model.predict(test::people_image()).size() == 0);
}
