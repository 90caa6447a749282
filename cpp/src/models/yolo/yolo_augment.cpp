#include "yolo_augment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"

namespace autodistill::yolo {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr uint8_t kPad = 114;

// Keeps the rows of `s` where keep[i] is true.
LabeledImage select_rows(LabeledImage s, const std::vector<Eigen::Index>& keep) {
  BoxArray b(Eigen::Index(keep.size()), 4);
  ClassIdArray l(Eigen::Index(keep.size()));
  for (size_t i = 0; i < keep.size(); ++i) {
    b.row(Eigen::Index(i)) = s.boxes.row(keep[i]);
    l(Eigen::Index(i)) = s.labels(keep[i]);
  }
  s.boxes = std::move(b);
  s.labels = std::move(l);
  return s;
}

void check_sample(const LabeledImage& s, const char* where) {
  AD_CHECK(!s.image.empty() && s.image.type() == CV_8UC3, "{}: expected a non-empty 8-bit BGR image, got type {} size {}x{}",
           where, s.image.type(), s.image.cols, s.image.rows);
  AD_CHECK(s.boxes.rows() == s.labels.rows(), "{}: {} boxes but {} labels", where, s.boxes.rows(), s.labels.rows());
}

}  // namespace

double uniform(std::mt19937_64& rng, double a, double b) {
  const double u = double(rng() >> 11) * (1.0 / 9007199254740992.0);  // [0, 1) with 53 bits
  return a + (b - a) * u;
}

uint64_t uniform_index(std::mt19937_64& rng, uint64_t n) {
  AD_CHECK(n > 0, "uniform_index: the range must not be empty");
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
  uint64_t x;
  do x = rng();
  while (x >= limit);
  return x % n;
}

void hsv_jitter(cv::Mat& bgr, double hgain, double sgain, double vgain, std::mt19937_64& rng) {
  AD_CHECK(bgr.type() == CV_8UC3, "hsv_jitter: expected an 8-bit BGR image, got type {}", bgr.type());
  if (hgain == 0 && sgain == 0 && vgain == 0) return;  // the BGR->HSV->BGR round trip is lossy: skip it
  const double rh = uniform(rng, -1, 1) * hgain + 1;
  const double rs = uniform(rng, -1, 1) * sgain + 1;
  const double rv = uniform(rng, -1, 1) * vgain + 1;
  cv::Mat lut(1, 256, CV_8UC3);
  for (int x = 0; x < 256; ++x) {
    // Truncation towards zero matches numpy's astype(uint8) on the non-negative products.
    lut.at<cv::Vec3b>(0, x) = cv::Vec3b(uint8_t(std::fmod(x * rh, 180.0)), uint8_t(std::clamp(x * rs, 0.0, 255.0)),
                                        uint8_t(std::clamp(x * rv, 0.0, 255.0)));
  }
  cv::Mat hsv;
  cv::cvtColor(bgr, hsv, cv::COLOR_BGR2HSV);
  cv::LUT(hsv, lut, hsv);
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
}

void hflip(LabeledImage& s) {
  cv::Mat flipped;
  cv::flip(s.image, flipped, 1);
  s.image = flipped;
  const float w = float(s.image.cols);
  const Eigen::VectorXf x1 = s.boxes.col(0);
  s.boxes.col(0) = w - s.boxes.col(2).array();
  s.boxes.col(2) = w - x1.array();
}

LabeledImage resize_long_side(const LabeledImage& s, int size) {
  check_sample(s, "resize_long_side");
  AD_CHECK(size > 0, "resize_long_side: size must be positive, got {}", size);
  const double r = double(size) / std::max(s.image.cols, s.image.rows);
  if (r == 1.0) return s;
  // As upstream: ceil, capped at the size, so the long side is exactly `size`.
  const int w = std::max(1, std::min(int(std::ceil(s.image.cols * r)), size));
  const int h = std::max(1, std::min(int(std::ceil(s.image.rows * r)), size));
  LabeledImage out;
  cv::resize(s.image, out.image, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
  out.boxes = box_scale(s.boxes, float(w) / float(s.image.cols), float(h) / float(s.image.rows));
  out.labels = s.labels;
  return out;
}

LabeledImage letterbox_sample(const LabeledImage& s, int size) {
  check_sample(s, "letterbox_sample");
  LetterboxResult lb = letterbox(s.image, size, size, kPad);
  return {lb.image, lb.transform.to_canvas(s.boxes), s.labels};
}

cv::Matx23d affine_matrix(const AffineParams& p, cv::Size in) {
  const cv::Matx33d C(1, 0, -in.width / 2.0, 0, 1, -in.height / 2.0, 0, 0, 1);
  const cv::Mat r2 = cv::getRotationMatrix2D(cv::Point2f(0, 0), p.angle, p.scale);
  const cv::Matx33d R(r2.at<double>(0, 0), r2.at<double>(0, 1), 0, r2.at<double>(1, 0), r2.at<double>(1, 1), 0, 0, 0, 1);
  const cv::Matx33d S(1, std::tan(p.shear_x * kPi / 180), 0, std::tan(p.shear_y * kPi / 180), 1, 0, 0, 0, 1);
  const cv::Matx33d T(1, 0, p.tx, 0, 1, p.ty, 0, 0, 1);
  const cv::Matx33d M = T * S * R * C;  // right to left: centre, rotate/scale, shear, translate
  return cv::Matx23d(M(0, 0), M(0, 1), M(0, 2), M(1, 0), M(1, 1), M(1, 2));
}

LabeledImage apply_affine(const LabeledImage& s, const AffineParams& p, cv::Size out_size) {
  check_sample(s, "apply_affine");
  AD_CHECK(out_size.width > 0 && out_size.height > 0, "apply_affine: output size must be positive, got {}x{}",
           out_size.width, out_size.height);
  const cv::Matx23d M = affine_matrix(p, s.image.size());
  LabeledImage out;
  cv::warpAffine(s.image, out.image, M, out_size, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(kPad));
  const Eigen::Index n = s.boxes.rows();
  out.boxes.resize(n, 4);
  out.labels = s.labels;
  const float W = float(out_size.width), H = float(out_size.height);
  std::vector<Eigen::Index> keep;
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto b = s.boxes.row(i);
    const double xs[4] = {b(0), b(2), b(0), b(2)}, ys[4] = {b(1), b(3), b(3), b(1)};
    double x1 = 1e300, y1 = 1e300, x2 = -1e300, y2 = -1e300;
    for (int k = 0; k < 4; ++k) {
      const double x = M(0, 0) * xs[k] + M(0, 1) * ys[k] + M(0, 2);
      const double y = M(1, 0) * xs[k] + M(1, 1) * ys[k] + M(1, 2);
      x1 = std::min(x1, x), x2 = std::max(x2, x), y1 = std::min(y1, y), y2 = std::max(y2, y);
    }
    const float cx1 = std::clamp(float(x1), 0.f, W), cx2 = std::clamp(float(x2), 0.f, W);
    const float cy1 = std::clamp(float(y1), 0.f, H), cy2 = std::clamp(float(y2), 0.f, H);
    out.boxes.row(i) << cx1, cy1, cx2, cy2;
    // Box candidates (upstream's wh_thr=2, ar_thr=100, area_thr=0.1) against the input box at the drawn scale.
    const double w1 = (b(2) - b(0)) * p.scale, h1 = (b(3) - b(1)) * p.scale;
    const double w2 = cx2 - cx1, h2 = cy2 - cy1;
    const double eps = 1e-16;
    const double ar = std::max(w2 / (h2 + eps), h2 / (w2 + eps));
    if (w2 > 2 && h2 > 2 && w2 * h2 / (w1 * h1 + eps) > 0.1 && ar < 100) keep.push_back(i);
  }
  return select_rows(std::move(out), keep);
}

LabeledImage random_affine(const LabeledImage& s, cv::Size out_size, const AugmentOptions& o, std::mt19937_64& rng) {
  AffineParams p;
  // Draw order as upstream: rotation, scale, shear x, shear y, translation x, y.
  p.angle = uniform(rng, -o.degrees, o.degrees);
  p.scale = uniform(rng, 1 - o.scale, 1 + o.scale);
  p.shear_x = uniform(rng, -o.shear, o.shear);
  p.shear_y = uniform(rng, -o.shear, o.shear);
  p.tx = uniform(rng, 0.5 - o.translate, 0.5 + o.translate) * out_size.width;
  p.ty = uniform(rng, 0.5 - o.translate, 0.5 + o.translate) * out_size.height;
  return apply_affine(s, p, out_size);
}

LabeledImage mosaic4_canvas(const std::array<LabeledImage, 4>& tiles, int size, int xc, int yc) {
  AD_CHECK(size > 0, "mosaic4: size must be positive, got {}", size);
  const int S2 = 2 * size;
  AD_CHECK(xc >= 0 && xc <= S2 && yc >= 0 && yc <= S2, "mosaic4: centre ({}, {}) outside the {}x{} canvas", xc, yc, S2, S2);
  LabeledImage out;
  out.image = cv::Mat(S2, S2, CV_8UC3, cv::Scalar::all(kPad));
  Eigen::Index total = 0;
  for (const LabeledImage& t : tiles) {
    check_sample(t, "mosaic4");
    total += t.boxes.rows();
  }
  BoxArray boxes(total, 4);
  ClassIdArray labels(total);
  Eigen::Index row = 0;
  for (int i = 0; i < 4; ++i) {
    const LabeledImage& t = tiles[size_t(i)];
    const int w = t.image.cols, h = t.image.rows;
    // Canvas rectangle a and the tile rectangle b copied into it: each tile touches the centre.
    int x1a, y1a, x2a, y2a;
    if (i == 0) x1a = std::max(xc - w, 0), y1a = std::max(yc - h, 0), x2a = xc, y2a = yc;
    else if (i == 1) x1a = xc, y1a = std::max(yc - h, 0), x2a = std::min(xc + w, S2), y2a = yc;
    else if (i == 2) x1a = std::max(xc - w, 0), y1a = yc, x2a = xc, y2a = std::min(yc + h, S2);
    else x1a = xc, y1a = yc, x2a = std::min(xc + w, S2), y2a = std::min(yc + h, S2);
    const int x1b = (i == 0 || i == 2) ? w - (x2a - x1a) : 0;
    const int y1b = (i == 0 || i == 1) ? h - (y2a - y1a) : 0;
    if (x2a > x1a && y2a > y1a)
      t.image(cv::Rect(x1b, y1b, x2a - x1a, y2a - y1a)).copyTo(out.image(cv::Rect(x1a, y1a, x2a - x1a, y2a - y1a)));
    const float padw = float(x1a - x1b), padh = float(y1a - y1b);
    for (Eigen::Index k = 0; k < t.boxes.rows(); ++k, ++row) {
      boxes.row(row) << t.boxes(k, 0) + padw, t.boxes(k, 1) + padh, t.boxes(k, 2) + padw, t.boxes(k, 3) + padh;
      labels(row) = t.labels(k);
    }
  }
  out.boxes = box_clip(boxes, float(S2), float(S2));
  out.labels = labels;
  std::vector<Eigen::Index> keep;
  for (Eigen::Index k = 0; k < total; ++k)
    if (out.boxes(k, 2) > out.boxes(k, 0) && out.boxes(k, 3) > out.boxes(k, 1)) keep.push_back(k);
  return select_rows(std::move(out), keep);
}

LabeledImage mosaic4(const std::array<LabeledImage, 4>& tiles, int size, const AugmentOptions& o, std::mt19937_64& rng) {
  const int half = size / 2;
  // int() of the draw, as upstream (truncation; the range is positive).
  const int xc = int(uniform(rng, half, 2 * size - half));
  const int yc = int(uniform(rng, half, 2 * size - half));
  return random_affine(mosaic4_canvas(tiles, size, xc, yc), cv::Size(size, size), o, rng);
}

LabeledImage augment_sample(size_t index, size_t dataset_size, const std::function<LabeledImage(size_t)>& load, int size,
                            const AugmentOptions& o, bool use_mosaic, std::mt19937_64& rng) {
  AD_CHECK(index < dataset_size, "augment_sample: index {} out of range for {} images", index, dataset_size);
  LabeledImage out;
  // The mosaic draw happens even when mosaic is off so that the later draws do not shift with it.
  const bool do_mosaic = uniform(rng, 0, 1) < o.mosaic && use_mosaic;
  if (do_mosaic) {
    std::array<LabeledImage, 4> tiles;
    tiles[0] = resize_long_side(load(index), size);
    for (size_t k = 1; k < 4; ++k) tiles[k] = resize_long_side(load(size_t(uniform_index(rng, dataset_size))), size);
    out = mosaic4(tiles, size, o, rng);
  } else {
    out = random_affine(letterbox_sample(load(index), size), cv::Size(size, size), o, rng);
  }
  hsv_jitter(out.image, o.hsv_h, o.hsv_s, o.hsv_v, rng);
  if (uniform(rng, 0, 1) < o.fliplr) hflip(out);
  return out;
}

}  // namespace autodistill::yolo
