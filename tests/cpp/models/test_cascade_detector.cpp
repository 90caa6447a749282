#include <cstdlib>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "autodistill/core/error.h"
#include "autodistill/models/classical/cascade_detector.h"
#include "classical_fixtures.h"

using namespace autodistill;
using Catch::Matchers::Contains;

namespace {
CaptionOntology face_ontology() { return test::ontology({{"face", "face"}}); }

// The message of the exception `f` throws (fails the test when it throws none or another type).
template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.message();
  }
  FAIL("no exception of the expected type");
  return {};
}
}  // namespace

TEST_CASE("cascade finds the face in the fixture photo", "[models][classical][cascade]") {
  CascadeDetector model(face_ontology());
  const Detections d = model.predict(test::face_image());
  REQUIRE(d.size() == 1);
  CHECK(d.class_id()(0) == 0);
  CHECK(test::best_iou(d.xyxy(), test::face_ground_truth().row(0)) > 0.5f);
  // 10 neighbours -> 0.5; a clear frontal face collects far more.
  CHECK(d.confidence()(0) > 0.5f);
  CHECK(d.confidence()(0) < 1.f);
}

TEST_CASE("cascade finds nothing in a flat grey image", "[models][classical][cascade]") {
  CascadeDetector model(test::ontology({{"face", "face"}, {"eye", "eye"}, {"full body", "body"}}));
  CHECK(model.predict(test::flat_grey()).size() == 0);
}

TEST_CASE("cascade class ids follow the ontology", "[models][classical][cascade]") {
  // Two prompts -> two classes, listed in the opposite order of the built-in table.
  CascadeDetector model(test::ontology({{"eye", "eye"}, {"Face", "face"}}));
  const Detections d = model.predict(test::face_image());
  int64_t faces = 0, eyes = 0;
  const BoxArray face_truth = test::face_ground_truth();
  for (int64_t i = 0; i < d.size(); ++i) {
    REQUIRE((d.class_id()(i) == 0 || d.class_id()(i) == 1));
    if (d.class_id()(i) == 1) {
      ++faces;
      CHECK(box_iou(d.xyxy().row(i), face_truth).maxCoeff() > 0.5f);
    } else {
      ++eyes;
      // Both eyes lie in the upper half of the face box.
      const float cy = 0.5f * (d.xyxy()(i, 1) + d.xyxy()(i, 3));
      CHECK(cy > face_truth(0, 1));
      CHECK(cy < 0.5f * (face_truth(0, 1) + face_truth(0, 3)));
    }
  }
  CHECK(faces == 1);
  CHECK(eyes == 2);
}

TEST_CASE("cascade: prompts that share a class are merged by NMS", "[models][classical][cascade]") {
  // "face" and "frontal face" use one cascade file; both map to class 0, so one face comes out.
  CascadeDetector model(test::ontology({{"face", "face"}, {"frontal face", "face"}}));
  const Detections d = model.predict(test::face_image());
  CHECK(d.size() == 1);
}

TEST_CASE("cascade rejects unknown prompts and lists the supported ones", "[models][classical][cascade]") {
  const std::string m =
      message_of<InvalidArgument>([] { CascadeDetector(test::ontology({{"face", "face"}, {"giraffe", "giraffe"}})); });
  CHECK_THAT(m, Contains("'giraffe'") && Contains("'face'") && Contains("'licence plate'") &&
                    Contains("'license plate'") && Contains("'cat face'") && Contains("cascades"));
}

TEST_CASE("cascade: a missing cascade folder names the path and the Debian package", "[models][classical][cascade]") {
  CascadeDetector::Options o;
  o.cascade_dir = "/nonexistent/autodistill-cascades";
  const std::string m = message_of<IOError>([&] { CascadeDetector(face_ontology(), o); });
  CHECK_THAT(m, Contains("/nonexistent/autodistill-cascades/haarcascades/haarcascade_frontalface_default.xml") &&
                    Contains("opencv-data") && Contains("'face'"));
}

TEST_CASE("cascade: AUTODISTILL_CASCADE_DIR picks the folder", "[models][classical][cascade]") {
  const char* old = std::getenv("AUTODISTILL_CASCADE_DIR");
  const std::string saved = old ? old : "";
  ::setenv("AUTODISTILL_CASCADE_DIR", "/nonexistent/from-env", 1);
  CHECK(CascadeDetector::default_cascade_dir() == std::filesystem::path("/nonexistent/from-env"));
  const std::string m = message_of<IOError>([] { CascadeDetector(test::ontology({{"face", "face"}})); });
  if (old) ::setenv("AUTODISTILL_CASCADE_DIR", saved.c_str(), 1); else ::unsetenv("AUTODISTILL_CASCADE_DIR");
  CHECK_THAT(m, Contains("/nonexistent/from-env/haarcascades/"));
}

TEST_CASE("cascade: user cascades add prompts", "[models][classical][cascade]") {
  // A prompt the table lacks, served by a file relative to the cascade folder.
  CascadeDetector::Options o;
  o.cascades = {{"person face", "lbpcascades/lbpcascade_frontalface_improved.xml"}};
  CascadeDetector model(test::ontology({{"person face", "face"}}), o);
  REQUIRE(model.cascade_files().size() == 1);
  CHECK(model.cascade_files()[0].filename() == "lbpcascade_frontalface_improved.xml");
  const Detections d = model.predict(test::face_image());
  REQUIRE(d.size() >= 1);
  CHECK(test::best_iou(d.xyxy(), test::face_ground_truth().row(0)) > 0.5f);

  SECTION("a missing user cascade names its path") {
    CascadeDetector::Options bad;
    bad.cascades = {{"face", "/nonexistent/my_face.xml"}};
    const std::string m = message_of<IOError>([&] { CascadeDetector(face_ontology(), bad); });
    CHECK_THAT(m, Contains("/nonexistent/my_face.xml"));
  }
  SECTION("a user cascade for a prompt outside the ontology is an error") {
    CascadeDetector::Options bad;
    bad.cascades = {{"fcae", "lbpcascades/lbpcascade_frontalface.xml"}};
    CHECK_THROWS_WITH(CascadeDetector(face_ontology(), bad), Contains("'fcae'") && Contains("not in the ontology"));
  }
  SECTION("a file that is not a cascade is an IOError naming it") {
    test::TempDir dir("cascade");
    const auto bogus = dir / "bogus.xml";
    { std::FILE* f = std::fopen(bogus.c_str(), "w"); std::fputs("<opencv_storage></opencv_storage>\n", f); std::fclose(f); }
    CascadeDetector::Options bad;
    bad.cascades = {{"face", bogus.string()}};
    const std::string m = message_of<IOError>([&] { CascadeDetector(face_ontology(), bad); });
    CHECK_THAT(m, Contains(bogus.string()));
  }
}

TEST_CASE("cascade validates its options once, in the constructor", "[models][classical][cascade]") {
  struct Case {
    const char* field;
    void (*set)(CascadeDetector::Options&);
  };
  const Case cases[] = {
      {"scale_factor", [](CascadeDetector::Options& o) { o.scale_factor = 1.0; }},
      {"min_neighbors", [](CascadeDetector::Options& o) { o.min_neighbors = -1; }},
      {"min_size", [](CascadeDetector::Options& o) { o.min_size = 0; }},
      {"max_size", [](CascadeDetector::Options& o) { o.max_size = 10; }},
      {"confidence", [](CascadeDetector::Options& o) { o.confidence = -0.1f; }},
      {"nms_iou", [](CascadeDetector::Options& o) { o.nms_iou = 1.5f; }},
  };
  for (const Case& c : cases) {
    INFO(c.field);
    CascadeDetector::Options o;
    c.set(o);
    CHECK_THROWS_WITH(CascadeDetector(face_ontology(), o), Contains(c.field));
  }
}

TEST_CASE("cascade checks the input image", "[models][classical][cascade]") {
  CascadeDetector model(face_ontology());
  CHECK_THROWS_AS(model.predict(cv::Mat()), InvalidArgument);
  CHECK_THROWS_AS(model.predict(cv::Mat(64, 64, CV_8UC4, cv::Scalar::all(0))), InvalidArgument);
}
