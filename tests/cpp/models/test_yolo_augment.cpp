// YOLO training augmentation against results worked out by hand: flips, HSV lookup tables, affine
// warps with fixed parameters, the box-candidate rule and the mosaic layout.
#include <catch2/catch.hpp>

#include <opencv2/core.hpp>

#include "../../../cpp/src/models/yolo/yolo_augment.h"
#include "autodistill/core/image.h"

using namespace autodistill;
using namespace autodistill::yolo;

namespace {

BoxArray boxes(std::initializer_list<std::array<float, 4>> rows) {
  BoxArray b(Eigen::Index(rows.size()), 4);
  Eigen::Index i = 0;
  for (const auto& r : rows) b.row(i++) << r[0], r[1], r[2], r[3];
  return b;
}

ClassIdArray ids(std::initializer_list<int64_t> v) {
  ClassIdArray c(Eigen::Index(v.size()));
  Eigen::Index i = 0;
  for (int64_t x : v) c(i++) = x;
  return c;
}

// Every pixel different so that shifts and mirrors are visible: B = x, G = y, R = (x + 3y) mod 256.
cv::Mat gradient(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(x), uchar(y), uchar((x + 3 * y) % 256));
  return m;
}

AugmentOptions no_geometry() {
  AugmentOptions o;
  o.degrees = o.translate = o.scale = o.shear = 0;
  return o;
}

void check_box(const BoxArray& b, Eigen::Index row, std::array<float, 4> expected, float tol = 1e-3f) {
  for (int c = 0; c < 4; ++c) CHECK(b(row, c) == Approx(expected[size_t(c)]).margin(tol));
}

}  // namespace

TEST_CASE("hflip mirrors the image and maps a box exactly", "[yolo]") {
  LabeledImage s{gradient(40, 20), boxes({{5, 2, 15, 10}}), ids({3})};
  const cv::Mat before = s.image.clone();
  hflip(s);
  check_box(s.boxes, 0, {25, 2, 35, 10}, 0);
  CHECK(s.labels(0) == 3);
  for (int x : {0, 7, 39}) CHECK(s.image.at<cv::Vec3b>(4, x) == before.at<cv::Vec3b>(4, 39 - x));
}

TEST_CASE("hsv_jitter: zero gains are the identity, gains act through per-channel tables", "[yolo]") {
  std::mt19937_64 rng(5);
  cv::Mat img = gradient(30, 30);
  const cv::Mat before = img.clone();
  const std::mt19937_64 rng_before = rng;
  hsv_jitter(img, 0, 0, 0, rng);
  CHECK(cv::norm(img, before, cv::NORM_INF) == 0);
  CHECK(rng == rng_before);  // nothing drawn

  // A grey image has saturation 0 (which any gain keeps at 0) and value 100, so it stays grey and its
  // level becomes trunc(100 * rv) with rv the third draw, 1 + vgain * u, u in [-1, 1).
  std::vector<int> levels;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    std::mt19937_64 r(seed), copy(seed);
    cv::Mat grey(10, 10, CV_8UC3, cv::Scalar::all(100));
    hsv_jitter(grey, 0.015, 0.7, 0.4, r);
    uniform(copy, -1, 1), uniform(copy, -1, 1);
    const double rv = uniform(copy, -1, 1) * 0.4 + 1;
    const int expected = int(100 * rv);
    CHECK(expected >= 60);
    CHECK(expected <= 140);
    const cv::Vec3b p = grey.at<cv::Vec3b>(5, 5);
    CHECK(p == cv::Vec3b(uchar(expected), uchar(expected), uchar(expected)));
    CHECK(cv::countNonZero(grey.reshape(1) != expected) == 0);
    levels.push_back(expected);
  }
  std::sort(levels.begin(), levels.end());
  CHECK(std::unique(levels.begin(), levels.end()) - levels.begin() > 1);

  // Saturated colours keep valid hues (wrapped at 180) and saturate at 255 rather than overflowing:
  // a pure red stays red-dominant under the default gains.
  for (uint64_t seed = 0; seed < 8; ++seed) {
    std::mt19937_64 r(seed);
    cv::Mat red(4, 4, CV_8UC3, cv::Scalar(0, 0, 255));
    hsv_jitter(red, 0.015, 0.7, 0.4, r);
    const cv::Vec3b p = red.at<cv::Vec3b>(1, 1);
    CHECK(p[2] > p[0]);
    CHECK(p[2] > p[1]);
  }
}

TEST_CASE("random_affine with all-zero ranges is a pure translation to the output centre", "[yolo]") {
  // 100 x 60 into 80 x 80: centre (50, 30) -> (40, 40), so a shift of (-10, +10).
  LabeledImage s{gradient(100, 60), boxes({{20, 10, 60, 40}}), ids({1})};
  std::mt19937_64 rng(0);
  const LabeledImage out = random_affine(s, cv::Size(80, 80), no_geometry(), rng);
  REQUIRE(out.image.size() == cv::Size(80, 80));
  for (int y = 0; y < 80; ++y)
    for (int x = 0; x < 80; ++x) {
      const int sx = x + 10, sy = y - 10;
      const bool inside = sx >= 0 && sx < 100 && sy >= 0 && sy < 60;
      const cv::Vec3b expected = inside ? s.image.at<cv::Vec3b>(sy, sx) : cv::Vec3b(114, 114, 114);
      if (out.image.at<cv::Vec3b>(y, x) != expected) FAIL("pixel (" << x << ", " << y << ") differs");
    }
  REQUIRE(out.boxes.rows() == 1);
  check_box(out.boxes, 0, {10, 20, 50, 50});
  CHECK(out.labels(0) == 1);
}

TEST_CASE("apply_affine rotates a box by 90 degrees about the centre", "[yolo]") {
  // getRotationMatrix2D(90): x' = y, y' = -x about the centre (50, 50), counter-clockwise on screen.
  cv::Mat img(100, 100, CV_8UC3, cv::Scalar::all(0));
  img(cv::Rect(60, 20, 30, 20)).setTo(cv::Scalar(0, 255, 0));
  LabeledImage s{img, boxes({{60, 20, 90, 40}}), ids({0})};
  AffineParams p;
  p.angle = 90;
  p.tx = p.ty = 50;
  const LabeledImage out = apply_affine(s, p, cv::Size(100, 100));
  REQUIRE(out.boxes.rows() == 1);
  // Corners (10..40, -30..-10) about the centre -> x' in [-30, -10], y' in [-40, -10].
  check_box(out.boxes, 0, {20, 10, 40, 40});
  CHECK(out.image.at<cv::Vec3b>(25, 30) == cv::Vec3b(0, 255, 0));
  CHECK(out.image.at<cv::Vec3b>(70, 70) == cv::Vec3b(0, 0, 0));
}

TEST_CASE("apply_affine drops boxes pushed (mostly) outside by the candidate rule", "[yolo]") {
  LabeledImage s{cv::Mat(100, 100, CV_8UC3, cv::Scalar::all(50)),
                 boxes({{0, 0, 20, 20}, {10, 40, 30, 60}, {2, 70, 60, 90}}), ids({0, 1, 2})};
  AffineParams p;
  p.tx = 50 + 95;  // shift right by 95
  p.ty = 50;
  const LabeledImage out = apply_affine(s, p, cv::Size(100, 100));
  // Box 0 keeps 5 x 20 of 20 x 20 (area 0.25 > 0.1); box 1 leaves entirely (width 0 <= 2);
  // box 2 keeps 3 x 20 of 58 x 20 (area 0.05 <= 0.1).
  REQUIRE(out.boxes.rows() == 1);
  check_box(out.boxes, 0, {95, 0, 100, 20});
  CHECK(out.labels(0) == 0);

  // The area is compared with the input box at the drawn scale: at scale 0.25 a 20 x 20 box becomes
  // 5 x 5, which is 1/16 of its input area but all of its scaled area, so it stays.
  LabeledImage t{cv::Mat(100, 100, CV_8UC3, cv::Scalar::all(50)), boxes({{40, 40, 60, 60}, {0, 0, 80, 20}}), ids({0, 1})};
  AffineParams q;
  q.scale = 0.25;
  q.tx = 50;
  q.ty = 50;
  const LabeledImage small = apply_affine(t, q, cv::Size(100, 100));
  REQUIRE(small.boxes.rows() == 2);
  check_box(small.boxes, 0, {47.5f, 47.5f, 52.5f, 52.5f});
  check_box(small.boxes, 1, {37.5f, 37.5f, 57.5f, 42.5f});
}

TEST_CASE("letterbox_sample maps boxes as LetterboxTransform does", "[yolo]") {
  LabeledImage s{gradient(100, 50), boxes({{10, 5, 90, 45}, {0, 0, 100, 50}}), ids({0, 1})};
  const LabeledImage out = letterbox_sample(s, 64);
  const LetterboxResult lb = letterbox(s.image, 64, 64, 114);
  REQUIRE(out.image.size() == cv::Size(64, 64));
  CHECK(cv::norm(out.image, lb.image, cv::NORM_INF) == 0);
  const BoxArray expected = lb.transform.to_canvas(s.boxes);
  CHECK(out.boxes.isApprox(expected));
  // By hand: scale 0.64, 32 rows of image padded by 16 above.
  check_box(out.boxes, 1, {0, 16, 64, 48});
}

namespace {
const std::array<cv::Scalar, 4> kTileColours = {cv::Scalar(255, 0, 0), cv::Scalar(0, 255, 0), cv::Scalar(0, 0, 255),
                                                cv::Scalar(255, 255, 0)};

// Solid tiles 64 x 48 (as resize_long_side leaves an 80 x 60 image for size 64) with one box, labelled
// with the tile's index, over their middle.
std::array<LabeledImage, 4> solid_tiles() {
  std::array<LabeledImage, 4> tiles;
  for (int i = 0; i < 4; ++i)
    tiles[size_t(i)] = {cv::Mat(48, 64, CV_8UC3, kTileColours[size_t(i)]), boxes({{16, 12, 48, 36}}), ids({i})};
  return tiles;
}

cv::Vec3b colour_of(int64_t label) {
  const cv::Scalar c = kTileColours[size_t(label)];
  return cv::Vec3b(uchar(c[0]), uchar(c[1]), uchar(c[2]));
}

// The tile whose colour is nearest (L1) to `p`: robust to bilinear mixing with the grey border.
int64_t nearest_tile(const cv::Vec3b& p) {
  int64_t best = -1;
  int best_d = 1 << 30;
  for (int64_t t = 0; t < 4; ++t) {
    const cv::Vec3b c = colour_of(t);
    const int d = std::abs(p[0] - c[0]) + std::abs(p[1] - c[1]) + std::abs(p[2] - c[2]);
    if (d < best_d) best = t, best_d = d;
  }
  return best;
}
}  // namespace

TEST_CASE("mosaic4_canvas puts each tile in its quadrant around the centre", "[yolo]") {
  const LabeledImage m = mosaic4_canvas(solid_tiles(), 64, 70, 60);
  REQUIRE(m.image.size() == cv::Size(128, 128));
  REQUIRE(m.boxes.rows() == 4);
  // Tile 0 ends at the centre: it spans x [6, 70), y [12, 60), so its box is (22, 24, 54, 48).
  check_box(m.boxes, 0, {22, 24, 54, 48}, 0);
  check_box(m.boxes, 1, {86, 24, 118, 48}, 0);  // x [70, 134) cut at 128, y [12, 60)
  check_box(m.boxes, 2, {22, 72, 54, 96}, 0);   // x [6, 70), y [60, 108)
  check_box(m.boxes, 3, {86, 72, 118, 96}, 0);  // x [70, 134), y [60, 108)
  for (Eigen::Index k = 0; k < 4; ++k) {
    CHECK(m.labels(k) == k);
    const int cx = int((m.boxes(k, 0) + m.boxes(k, 2)) / 2), cy = int((m.boxes(k, 1) + m.boxes(k, 3)) / 2);
    CHECK(m.image.at<cv::Vec3b>(cy, cx) == colour_of(k));
  }
  CHECK(m.image.at<cv::Vec3b>(2, 2) == cv::Vec3b(114, 114, 114));  // above tile 0

  // A centre near the corner cuts tile 0's box away entirely (zero area after clipping): dropped.
  const LabeledImage corner = mosaic4_canvas(solid_tiles(), 64, 10, 10);
  // Tiles 1 and 2 lose theirs the same way; only tile 3 (from the centre to x, y = 74, 58) keeps its box.
  REQUIRE(corner.boxes.rows() == 1);
  CHECK(corner.labels(0) == 3);
  check_box(corner.boxes, 0, {26, 22, 58, 46}, 0);
}

TEST_CASE("mosaic4 keeps every box inside the output and on its own tile's pixels", "[yolo]") {
  AugmentOptions o;  // upstream defaults: translate 0.1, scale 0.5
  int seen = 0;
  for (uint64_t seed = 0; seed < 12; ++seed) {
    std::mt19937_64 rng(seed);
    const LabeledImage m = mosaic4(solid_tiles(), 64, o, rng);
    REQUIRE(m.image.size() == cv::Size(64, 64));
    for (Eigen::Index k = 0; k < m.boxes.rows(); ++k) {
      CHECK(m.boxes(k, 0) >= 0);
      CHECK(m.boxes(k, 1) >= 0);
      CHECK(m.boxes(k, 2) <= 64);
      CHECK(m.boxes(k, 3) <= 64);
      CHECK(m.boxes(k, 2) - m.boxes(k, 0) > 2);
      CHECK(m.boxes(k, 3) - m.boxes(k, 1) > 2);
      const int cx = int((m.boxes(k, 0) + m.boxes(k, 2)) / 2), cy = int((m.boxes(k, 1) + m.boxes(k, 3)) / 2);
      CHECK(nearest_tile(m.image.at<cv::Vec3b>(cy, cx)) == m.labels(k));
      ++seen;
    }
  }
  CHECK(seen > 12);  // boxes survive the crop on average
}

TEST_CASE("augment_sample is square, deterministic for a seed and respects use_mosaic", "[yolo]") {
  std::vector<LabeledImage> data;
  for (int i = 0; i < 4; ++i)
    data.push_back({cv::Mat(60, 80, CV_8UC3, kTileColours[size_t(i)]), boxes({{20, 15, 60, 45}}), ids({i})});
  std::vector<size_t> loads;
  const auto load = [&](size_t i) {
    loads.push_back(i);
    return data[i];
  };
  AugmentOptions o;
  std::mt19937_64 a(7), b(7);
  const LabeledImage x = augment_sample(1, 4, load, 64, o, true, a);
  CHECK(loads.size() == 4);  // a mosaic (probability 1) loads three partners
  const LabeledImage y = augment_sample(1, 4, load, 64, o, true, b);
  REQUIRE(x.image.size() == cv::Size(64, 64));
  CHECK(cv::norm(x.image, y.image, cv::NORM_INF) == 0);
  CHECK(x.boxes == y.boxes);
  CHECK(x.labels == y.labels);

  loads.clear();
  std::mt19937_64 c(7);
  const LabeledImage z = augment_sample(2, 4, load, 64, o, false, c);
  CHECK(loads == std::vector<size_t>{2});
  REQUIRE(z.image.size() == cv::Size(64, 64));
  for (Eigen::Index k = 0; k < z.labels.rows(); ++k) CHECK(z.labels(k) == 2);
}
