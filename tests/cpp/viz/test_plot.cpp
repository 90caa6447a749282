#include <catch2/catch.hpp>
#include <opencv2/core.hpp>

#include "autodistill/core/error.h"
#include "autodistill/viz/plot.h"

using namespace autodistill;

namespace {
Detections two_boxes() {
  BoxArray b(2, 4);
  b << 100, 150, 300, 400,  //
      400, 50, 600, 300;
  ScoreArray s(2);
  s << 0.87f, 0.5f;
  ClassIdArray c(2);
  c << 0, 1;
  return Detections(b, s, c);
}

bool same_color(const cv::Vec3b& px, const cv::Scalar& c) {
  return px[0] == uint8_t(c[0]) && px[1] == uint8_t(c[1]) && px[2] == uint8_t(c[2]);
}
}  // namespace

TEST_CASE("plot draws each class's boxes in its palette colour", "[viz][plot]") {
  const cv::Mat image(480, 640, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Mat before = image.clone();
  PlotOptions o;
  o.thickness = 3;
  const cv::Mat out = plot(image, two_boxes(), {"person", "car"}, o);

  REQUIRE(out.size() == image.size());
  REQUIRE(out.type() == CV_8UC3);
  // The input is untouched and the output is another buffer.
  CHECK(cv::norm(image, before, cv::NORM_INF) == 0);
  CHECK(out.data != image.data);

  const cv::Scalar c0 = class_color(0), c1 = class_color(1);
  CHECK(c0 != c1);
  // Middle of the left, right and bottom edges of box 0 (the top edge carries the label).
  CHECK(same_color(out.at<cv::Vec3b>(275, 100), c0));
  CHECK(same_color(out.at<cv::Vec3b>(275, 300), c0));
  CHECK(same_color(out.at<cv::Vec3b>(400, 200), c0));
  CHECK(same_color(out.at<cv::Vec3b>(175, 400), c1));
  CHECK(same_color(out.at<cv::Vec3b>(300, 500), c1));
  // Inside the boxes, away from labels, the image shows through.
  CHECK(same_color(out.at<cv::Vec3b>(300, 200), cv::Scalar(255, 255, 255)));
  CHECK(same_color(out.at<cv::Vec3b>(200, 500), cv::Scalar(255, 255, 255)));
  // Far from any box nothing changes.
  CHECK(same_color(out.at<cv::Vec3b>(460, 20), cv::Scalar(255, 255, 255)));
}

TEST_CASE("plot puts the label above the box, or inside it at the top edge", "[viz][plot]") {
  const cv::Mat image(300, 400, CV_8UC3, cv::Scalar(255, 255, 255));
  BoxArray b(2, 4);
  b << 50, 100, 150, 250,  // room above
      250, 0, 380, 200;    // touches the top edge
  ScoreArray s(2);
  s << 0.9f, 0.8f;
  ClassIdArray c(2);
  c << 2, 3;
  PlotOptions o;
  o.thickness = 2;
  const cv::Mat out = plot(image, Detections(b, s, c), {"a", "b", "dog", "cat"}, o);
  auto count_color = [&](cv::Rect r, const cv::Scalar& color) {
    int n = 0;
    for (int y = r.y; y < r.y + r.height; ++y)
      for (int x = r.x; x < r.x + r.width; ++x) n += same_color(out.at<cv::Vec3b>(y, x), color);
    return n;
  };
  // Box 0: a filled label background in the strip just above the box, none just below its top.
  CHECK(count_color(cv::Rect(52, 90, 20, 8), class_color(2)) > 30);  // text covers part of it
  CHECK(count_color(cv::Rect(60, 104, 20, 8), class_color(2)) == 0);
  // Box 1: the label sits inside the box, under the top edge.
  CHECK(count_color(cv::Rect(253, 4, 20, 8), class_color(3)) > 30);
  CHECK(count_color(cv::Rect(253, 30, 20, 8), class_color(3)) == 0);  // below the label: image
}

TEST_CASE("plot blends masks and accepts grayscale input", "[viz][plot]") {
  const cv::Mat gray(100, 120, CV_8UC1, cv::Scalar(0));
  BoxArray b(1, 4);
  b << 10, 10, 60, 60;
  MaskArray m{1, 100, 120, std::vector<uint8_t>(100 * 120, 0)};
  for (int y = 20; y < 50; ++y)
    for (int x = 20; x < 50; ++x) m.data[size_t(y * 120 + x)] = 1;
  Detections d(b, ScoreArray::Constant(1, 0.7f), ClassIdArray::Constant(1, 0), m);
  PlotOptions o;
  o.labels = false;
  o.mask_alpha = 0.5f;
  const cv::Mat out = plot(gray, d, {"blob"}, o);
  REQUIRE(out.type() == CV_8UC3);
  const cv::Scalar c = class_color(0);
  const cv::Vec3b inside = out.at<cv::Vec3b>(35, 35);
  for (int k = 0; k < 3; ++k) CHECK(std::abs(int(inside[k]) - int(0.5 * c[k])) <= 1);
  CHECK(same_color(out.at<cv::Vec3b>(15, 35), cv::Scalar(0, 0, 0)));  // inside the box, outside the mask
  CHECK(cv::countNonZero(gray) == 0);

  MaskArray wrong{1, 50, 50, std::vector<uint8_t>(2500, 0)};
  CHECK_THROWS_AS(plot(gray, Detections(b, ScoreArray::Constant(1, 0.7f), ClassIdArray::Constant(1, 0), wrong), {}),
                  InvalidArgument);
}

TEST_CASE("plot handles no detections, unknown classes and boxes outside the image", "[viz][plot]") {
  const cv::Mat image(64, 64, CV_8UC3, cv::Scalar(10, 20, 30));
  const cv::Mat empty_out = plot(image, Detections::empty(), {});
  CHECK(cv::norm(empty_out, image, cv::NORM_INF) == 0);
  BoxArray b(1, 4);
  b << -20, -20, 200, 200;
  const cv::Mat out = plot(image, Detections(b, ScoreArray::Constant(1, 0.5f), ClassIdArray::Constant(1, 7)), {"a"});
  CHECK(out.size() == image.size());
  CHECK_THROWS_AS(plot(cv::Mat(), Detections::empty(), {}), InvalidArgument);
}

TEST_CASE("grid tiles letterboxed thumbnails", "[viz][grid]") {
  std::vector<cv::Mat> images = {cv::Mat(100, 200, CV_8UC3, cv::Scalar(0, 0, 255)),
                                 cv::Mat(300, 100, CV_8UC3, cv::Scalar(0, 255, 0)),
                                 cv::Mat(50, 50, CV_8UC1, cv::Scalar(255)),
                                 cv::Mat(64, 64, CV_8UC3, cv::Scalar(255, 0, 0)),
                                 cv::Mat(64, 64, CV_8UC3, cv::Scalar(9, 9, 9))};
  GridOptions o;
  o.gap = 2;
  o.background = cv::Scalar(40, 40, 40);
  const cv::Mat g = grid(images, 2, 100, o);
  // 3 rows x 2 columns of 100 px with 2 px gaps.
  CHECK(g.cols == 2 * 100 + 3 * 2);
  CHECK(g.rows == 3 * 100 + 4 * 2);
  // Cell (0, 0): 200x100 -> 100x50, centred vertically: red in the middle, bars above and below.
  CHECK(same_color(g.at<cv::Vec3b>(2 + 50, 2 + 50), cv::Scalar(0, 0, 255)));
  CHECK(same_color(g.at<cv::Vec3b>(2 + 10, 2 + 50), o.background));
  // Cell (0, 1): 100x300 -> 33x100, centred horizontally.
  CHECK(same_color(g.at<cv::Vec3b>(2 + 50, 104 + 50), cv::Scalar(0, 255, 0)));
  CHECK(same_color(g.at<cv::Vec3b>(2 + 50, 104 + 5), o.background));
  // Cell (1, 0): a grayscale image upscaled to fill the cell.
  CHECK(same_color(g.at<cv::Vec3b>(104 + 50, 2 + 50), cv::Scalar(255, 255, 255)));
  // Cell (2, 1) is empty.
  CHECK(same_color(g.at<cv::Vec3b>(206 + 50, 104 + 50), o.background));
  CHECK(images[0].at<cv::Vec3b>(0, 0) == cv::Vec3b(0, 0, 255));

  CHECK(grid({images[0]}, 4, 64).cols == 64 + 2 * 4);  // fewer images than columns
  CHECK_THROWS_AS(grid({}, 4, 64), InvalidArgument);
  CHECK_THROWS_AS(grid(images, 0, 64), InvalidArgument);
  CHECK_THROWS_AS(grid({cv::Mat()}, 4, 64), InvalidArgument);
}

TEST_CASE("grid of plotted detections", "[viz][grid]") {
  std::vector<cv::Mat> images(3, cv::Mat(480, 640, CV_8UC3, cv::Scalar(255, 255, 255)));
  const std::vector<Detections> dets = {two_boxes(), Detections::empty(), two_boxes()};
  const cv::Mat g = grid(images, dets, {"person", "car"}, 3, 160);
  CHECK(g.cols == 3 * 160 + 4 * 4);
  CHECK_THROWS_AS(grid(images, {two_boxes()}, {"person"}), InvalidArgument);
}
