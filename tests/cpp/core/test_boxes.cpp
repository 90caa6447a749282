#include <catch2/catch.hpp>

#include "autodistill/core/boxes.h"

using namespace autodistill;

TEST_CASE("box_iou matches hand-computed values", "[core][boxes]") {
  BoxArray a(2, 4), b(3, 4);
  a << 0, 0, 10, 10,   //
      5, 5, 15, 15;
  b << 0, 0, 10, 10,   // identical to a0
      10, 10, 20, 20,  // touches a0 at a corner, overlaps a1 by 5x5
      0, 0, 0, 0;      // degenerate
  const Eigen::MatrixXf iou = box_iou(a, b);
  REQUIRE(iou.rows() == 2);
  REQUIRE(iou.cols() == 3);
  CHECK(iou(0, 0) == Approx(1.0));
  CHECK(iou(0, 1) == Approx(0.0));
  CHECK(iou(1, 0) == Approx(25.0 / 175.0));
  CHECK(iou(1, 1) == Approx(25.0 / 175.0));
  CHECK(iou(0, 2) == 0.f);  // zero union never divides by zero
}

TEST_CASE("box_area clamps inverted boxes to zero", "[core][boxes]") {
  BoxArray b(2, 4);
  b << 0, 0, 4, 5, 10, 10, 5, 20;
  const Eigen::VectorXf area = box_area(b);
  CHECK(area[0] == 20.f);
  CHECK(area[1] == 0.f);
}

TEST_CASE("box format conversions round-trip", "[core][boxes]") {
  BoxArray xyxy(2, 4);
  xyxy << 10, 20, 30, 60, 0, 0, 1, 1;
  const BoxArray xywh = xyxy_to_xywh(xyxy);
  CHECK(xywh(0, 2) == 20.f);
  CHECK(xywh(0, 3) == 40.f);
  const BoxArray cxcywh = xyxy_to_cxcywh(xyxy);
  CHECK(cxcywh(0, 0) == 20.f);
  CHECK(cxcywh(0, 1) == 40.f);
  CHECK(xywh_to_xyxy(xywh).isApprox(xyxy));
  CHECK(cxcywh_to_xyxy(cxcywh).isApprox(xyxy));
}

TEST_CASE("box_clip and box_scale", "[core][boxes]") {
  BoxArray b(1, 4);
  b << -5, 10, 120, 300;
  const BoxArray c = box_clip(b, 100, 200);
  CHECK(c(0, 0) == 0.f);
  CHECK(c(0, 1) == 10.f);
  CHECK(c(0, 2) == 100.f);
  CHECK(c(0, 3) == 200.f);
  const BoxArray s = box_scale(b, 2.f, 0.5f);
  CHECK(s(0, 0) == -10.f);
  CHECK(s(0, 1) == 5.f);
  CHECK(s(0, 2) == 240.f);
  CHECK(s(0, 3) == 150.f);
}
