#include <catch2/catch.hpp>

#include <cmath>

#include <opencv2/core.hpp>

#include "autodistill/core/error.h"
#include "autodistill/viz/chart.h"
#include "autodistill/viz/plot.h"

using namespace autodistill;

namespace {
// Pixels of `img` inside `roi` that have exactly `color`.
int count_color(const cv::Mat& img, const cv::Rect& roi, const cv::Scalar& color) {
  cv::Mat mask;
  cv::inRange(img(roi), color, color, mask);
  return cv::countNonZero(mask);
}
}  // namespace

TEST_CASE("line_chart draws each series in its palette colour inside the plot area", "[viz]") {
  const cv::Mat img = line_chart("loss", {{"train", {1, 2, 3, 4}, {4, 3, 2, 1}}, {"valid", {1, 4}, {1, 4}}}, 400, 300);
  REQUIRE(img.type() == CV_8UC3);
  CHECK(img.size() == cv::Size(400, 300));
  const cv::Rect area(52, 28, 400 - 64, 300 - 54);
  // The falling series runs from the top-left to the bottom-right corner of the area.
  const cv::Scalar c0 = class_color(0), c1 = class_color(1);
  CHECK(count_color(img, cv::Rect(area.x, area.y, 40, 40), c0) > 20);
  CHECK(count_color(img, cv::Rect(area.br().x - 40, area.br().y - 40, 40, 40), c0) > 20);
  CHECK(count_color(img, cv::Rect(area.x, area.br().y - 40, 40, 40), c1) > 20);
  CHECK(count_color(img, cv::Rect(0, 0, 400, 300), c1) > 100);
}

TEST_CASE("line_chart without finite points is an empty frame; bad input is named", "[viz]") {
  const cv::Mat empty = line_chart("mAP", {{"", {1, 2}, {NAN, NAN}}});
  CHECK(count_color(empty, cv::Rect(0, 0, empty.cols, empty.rows), class_color(0)) == 0);
  CHECK_THROWS_WITH(line_chart("x", {{"a", {1, 2}, {1}}}), Catch::Contains("'a' has 2 x values and 1 y values"));
  CHECK_THROWS_AS(line_chart("x", {}, 100, 50), InvalidArgument);
}
