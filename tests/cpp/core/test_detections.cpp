#include <catch2/catch.hpp>

#include "autodistill/core/detections.h"
#include "autodistill/core/error.h"

using namespace autodistill;

namespace {
Detections three() {
  BoxArray b(3, 4);
  b << 0, 0, 10, 10,  //
      1, 1, 11, 11,   //
      50, 50, 60, 70;
  ScoreArray s(3);
  s << 0.5f, 0.9f, 0.7f;
  ClassIdArray c(3);
  c << 0, 0, 1;
  DataColumns data;
  data["name"] = std::vector<std::string>{"a", "b", "c"};
  return Detections(b, s, c, std::nullopt, data);
}
}  // namespace

TEST_CASE("Detections validates array lengths with expected vs got", "[core][detections]") {
  CHECK_THROWS_AS(Detections(BoxArray(3, 4), ScoreArray(2), ClassIdArray(3)), InvalidArgument);
  CHECK_THROWS_WITH(Detections(BoxArray(3, 4), ScoreArray(2), ClassIdArray(3)),
                    Catch::Contains("confidence must have 3 entries, got 2"));
  CHECK_THROWS_WITH(Detections(BoxArray(3, 4), ScoreArray(3), ClassIdArray(1)),
                    Catch::Contains("class_id must have 3 entries, got 1"));
  MaskArray m{2, 4, 4, std::vector<uint8_t>(32, 0)};
  CHECK_THROWS_WITH(Detections(BoxArray(3, 4), ScoreArray(3), ClassIdArray(3), m), Catch::Contains("mask must be (3, H, W)"));
  DataColumns bad;
  bad["x"] = std::vector<double>{1.0};
  CHECK_THROWS_WITH(Detections(BoxArray(3, 4), ScoreArray(3), ClassIdArray(3), std::nullopt, bad),
                    Catch::Contains("data column 'x' has 1 entries, expected 3"));
}

TEST_CASE("Detections selection by mask and by index", "[core][detections]") {
  const Detections d = three();
  const Detections sel = d.select(std::vector<bool>{true, false, true});
  REQUIRE(sel.size() == 2);
  CHECK(sel.xyxy()(1, 0) == 50.f);
  CHECK(sel.confidence()[1] == 0.7f);
  CHECK(std::get<std::vector<std::string>>(sel.data().at("name")) == std::vector<std::string>{"a", "c"});

  const Detections idx = d.select(std::vector<int64_t>{2, 2, 0});
  REQUIRE(idx.size() == 3);
  CHECK(idx.class_id()[0] == 1);
  CHECK(idx.class_id()[2] == 0);
  CHECK_THROWS_WITH(d.select(std::vector<int64_t>{3}), Catch::Contains("index 3 out of range for 3"));
  CHECK_THROWS_WITH(d.select(std::vector<bool>{true}), Catch::Contains("has 1 entries, expected 3"));
}

TEST_CASE("Detections masks follow selection and give areas", "[core][detections]") {
  BoxArray b(2, 4);
  b << 0, 0, 2, 2, 0, 0, 1, 1;
  MaskArray m{2, 2, 2, {1, 1, 1, 0, /* second */ 0, 0, 0, 1}};
  const Detections d(b, ScoreArray::Ones(2), ClassIdArray::Zero(2), m);
  CHECK(d.area()[0] == 3.f);
  CHECK(d.area()[1] == 1.f);
  CHECK(d.box_area()[0] == 4.f);
  const Detections second = d.select(std::vector<int64_t>{1});
  REQUIRE(second.mask().has_value());
  CHECK(second.mask()->data == std::vector<uint8_t>{0, 0, 0, 1});
}

TEST_CASE("Detections::merge concatenates and checks compatibility", "[core][detections]") {
  const Detections d = three();
  const Detections m = Detections::merge({d, Detections::empty(), d.select(std::vector<int64_t>{1})});
  REQUIRE(m.size() == 4);
  CHECK(m.confidence()[3] == 0.9f);
  CHECK(std::get<std::vector<std::string>>(m.data().at("name")).back() == "b");
  CHECK(Detections::merge({}).is_empty());

  const Detections plain(BoxArray::Zero(1, 4), ScoreArray::Ones(1), ClassIdArray::Zero(1));
  CHECK_THROWS_WITH(Detections::merge({d, plain}), Catch::Contains("data columns"));
  MaskArray mk{1, 2, 2, {1, 0, 0, 0}};
  const Detections masked(BoxArray::Zero(1, 4), ScoreArray::Ones(1), ClassIdArray::Zero(1), mk);
  CHECK_THROWS_WITH(Detections::merge({masked, plain}), Catch::Contains("masks"));
}

TEST_CASE("Detections::with_nms is class-aware unless asked otherwise", "[core][detections]") {
  BoxArray b(3, 4);
  b << 0, 0, 10, 10, 1, 1, 11, 11, 0, 0, 10, 10;
  ScoreArray s(3);
  s << 0.9f, 0.8f, 0.7f;
  ClassIdArray c(3);
  c << 0, 0, 1;
  const Detections d(b, s, c);
  const Detections aware = d.with_nms(0.5f);
  REQUIRE(aware.size() == 2);  // box 1 suppressed by box 0; box 2 is another class
  CHECK(aware.class_id()[1] == 1);
  CHECK(d.with_nms(0.5f, true).size() == 1);
  CHECK_THROWS_AS(d.with_nms(1.5f), InvalidArgument);
}
