#include "autodistill/viz/plot.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"

namespace autodistill {
namespace {

// Tableau 10 (matplotlib's default cycle), BGR: distinct at a glance and readable under white or
// black text. Grey sits at the end so that the first classes get saturated colours.
const std::vector<cv::Scalar> kPalette = {
    {180, 119, 31},   // blue
    {14, 127, 255},   // orange
    {44, 160, 44},    // green
    {40, 39, 214},    // red
    {189, 103, 148},  // purple
    {75, 86, 140},    // brown
    {194, 119, 227},  // pink
    {34, 189, 188},   // olive
    {207, 190, 23},   // cyan
    {127, 127, 127},  // grey
};
const cv::Scalar kUnknownColor{127, 127, 127};

// White text on dark backgrounds, black on light ones (ITU-R BT.601 luma).
cv::Scalar text_color_for(const cv::Scalar& bg) {
  const double luma = 0.114 * bg[0] + 0.587 * bg[1] + 0.299 * bg[2];
  return luma > 150 ? cv::Scalar(0, 0, 0) : cv::Scalar(255, 255, 255);
}

cv::Mat bgr_copy(const cv::Mat& image, const char* where) {
  AD_CHECK(!image.empty(), "{}: the image is empty", where);
  cv::Mat out = to_bgr8(image);
  // to_bgr8 may return a view of the input: never draw on the caller's pixels.
  if (out.data == image.data) out = image.clone();
  return out;
}

void blend_mask(cv::Mat& canvas, const uint8_t* mask, const cv::Scalar& color, float alpha) {
  for (int y = 0; y < canvas.rows; ++y) {
    cv::Vec3b* row = canvas.ptr<cv::Vec3b>(y);
    const uint8_t* m = mask + size_t(y) * size_t(canvas.cols);
    for (int x = 0; x < canvas.cols; ++x) {
      if (!m[x]) continue;
      for (int c = 0; c < 3; ++c)
        row[x][c] = cv::saturate_cast<uint8_t>((1.f - alpha) * row[x][c] + alpha * float(color[c]));
    }
  }
}

}  // namespace

const std::vector<cv::Scalar>& class_palette() { return kPalette; }

cv::Scalar class_color(int64_t class_id) {
  if (class_id < 0) return kUnknownColor;
  return kPalette[size_t(class_id % int64_t(kPalette.size()))];
}

cv::Mat plot(const cv::Mat& image, const Detections& detections, const std::vector<std::string>& class_names,
             const PlotOptions& options) {
  AD_CHECK(options.thickness >= 0, "plot: thickness must be >= 0 (0 = automatic), got {}", options.thickness);
  AD_CHECK(options.font_scale >= 0.0, "plot: font_scale must be >= 0 (0 = automatic), got {}", options.font_scale);
  AD_CHECK(options.mask_alpha >= 0.f && options.mask_alpha <= 1.f, "plot: mask_alpha must be in [0, 1], got {}",
           options.mask_alpha);
  detections.validate();
  cv::Mat canvas = bgr_copy(image, "plot");
  const int W = canvas.cols, H = canvas.rows;
  const int longer = std::max(W, H);
  const int thickness = options.thickness > 0 ? options.thickness : std::max(1, int(std::lround(longer / 500.0)));
  const double font_scale = options.font_scale > 0 ? options.font_scale : std::clamp(longer / 1200.0, 0.4, 2.0);
  const int text_thickness = std::max(1, int(std::lround(font_scale * 1.5)));
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const int n = int(detections.size());

  if (const auto& mask = detections.mask(); mask && n > 0) {
    AD_CHECK(mask->height == H && mask->width == W, "plot: masks are {}x{} (W x H) but the image is {}x{}", mask->width,
             mask->height, W, H);
    for (int i = 0; i < n; ++i)
      blend_mask(canvas, mask->data.data() + size_t(i) * size_t(W) * size_t(H), class_color(detections.class_id()(i)),
                 options.mask_alpha);
  }

  // Boxes first, then labels, so that no box line crosses a label.
  std::vector<cv::Rect> rects(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto b = detections.xyxy().row(i);
    const int x1 = std::clamp(int(std::lround(b(0))), 0, W - 1), y1 = std::clamp(int(std::lround(b(1))), 0, H - 1);
    const int x2 = std::clamp(int(std::lround(b(2))), 0, W - 1), y2 = std::clamp(int(std::lround(b(3))), 0, H - 1);
    rects[size_t(i)] = cv::Rect(cv::Point(x1, y1), cv::Point(x2, y2));
    cv::rectangle(canvas, cv::Point(x1, y1), cv::Point(x2, y2), class_color(detections.class_id()(i)), thickness,
                  cv::LINE_AA);
  }
  if (!options.labels) return canvas;
  for (int i = 0; i < n; ++i) {
    const int64_t id = detections.class_id()(i);
    std::string text = (id >= 0 && size_t(id) < class_names.size()) ? class_names[size_t(id)] : fmt::format("class {}", id);
    if (options.show_confidence) text += fmt::format(" {:.2f}", detections.confidence()(i));
    int baseline = 0;
    const cv::Size ts = cv::getTextSize(text, font, font_scale, text_thickness, &baseline);
    const int pad = std::max(2, thickness);
    const int label_h = ts.height + baseline + 2 * pad;
    const int label_w = ts.width + 2 * pad;
    const cv::Rect& r = rects[size_t(i)];
    // Above the box; inside it (below its top edge) when there is no room above.
    int top = r.y - label_h;
    if (top < 0) top = r.y;
    const int left = std::clamp(r.x, 0, std::max(0, W - label_w));
    const cv::Rect bg = cv::Rect(left, top, label_w, label_h) & cv::Rect(0, 0, W, H);
    const cv::Scalar color = class_color(id);
    cv::rectangle(canvas, bg, color, cv::FILLED);
    cv::putText(canvas, text, cv::Point(left + pad, top + pad + ts.height), font, font_scale, text_color_for(color),
                text_thickness, cv::LINE_AA);
  }
  return canvas;
}

cv::Mat grid(const std::vector<cv::Mat>& images, int columns, int cell_size, const GridOptions& options) {
  AD_CHECK(!images.empty(), "grid: no images to tile");
  AD_CHECK(columns >= 1, "grid: columns must be >= 1, got {}", columns);
  AD_CHECK(cell_size >= 16, "grid: cell_size must be >= 16 pixels, got {}", cell_size);
  AD_CHECK(options.gap >= 0, "grid: gap must be >= 0, got {}", options.gap);
  const int n = int(images.size());
  const int cols = std::min(columns, n);
  const int rows = (n + cols - 1) / cols;
  const int gap = options.gap;
  cv::Mat canvas(rows * cell_size + (rows + 1) * gap, cols * cell_size + (cols + 1) * gap, CV_8UC3,
                 options.background);
  const double font_scale = std::clamp(cell_size / 640.0, 0.35, 1.0);
  for (int i = 0; i < n; ++i) {
    AD_CHECK(!images[size_t(i)].empty(), "grid: image {} is empty", i);
    const cv::Mat bgr = to_bgr8(images[size_t(i)]);
    const double s = std::min(double(cell_size) / bgr.cols, double(cell_size) / bgr.rows);
    const int w = std::clamp(int(std::lround(bgr.cols * s)), 1, cell_size);
    const int h = std::clamp(int(std::lround(bgr.rows * s)), 1, cell_size);
    const int cell_x = gap + (i % cols) * (cell_size + gap), cell_y = gap + (i / cols) * (cell_size + gap);
    const cv::Rect dst(cell_x + (cell_size - w) / 2, cell_y + (cell_size - h) / 2, w, h);
    cv::Mat cell = canvas(dst);  // same size and type: resize writes into the canvas
    cv::resize(bgr, cell, dst.size(), 0, 0, s < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
    if (size_t(i) < options.titles.size() && !options.titles[size_t(i)].empty()) {
      const std::string& title = options.titles[size_t(i)];
      int baseline = 0;
      const cv::Size ts = cv::getTextSize(title, cv::FONT_HERSHEY_SIMPLEX, font_scale, 1, &baseline);
      const cv::Rect bg = cv::Rect(cell_x, cell_y, std::min(cell_size, ts.width + 6), ts.height + baseline + 6);
      cv::rectangle(canvas, bg, cv::Scalar(0, 0, 0), cv::FILLED);
      cv::putText(canvas, title, cv::Point(cell_x + 3, cell_y + 3 + ts.height), cv::FONT_HERSHEY_SIMPLEX, font_scale,
                  cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
    }
  }
  return canvas;
}

cv::Mat grid(const std::vector<cv::Mat>& images, const std::vector<Detections>& detections,
             const std::vector<std::string>& class_names, int columns, int cell_size, const GridOptions& options,
             const PlotOptions& plot_options) {
  AD_CHECK(images.size() == detections.size(), "grid: {} images but {} detection sets", images.size(),
           detections.size());
  std::vector<cv::Mat> plotted;
  plotted.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) plotted.push_back(plot(images[i], detections[i], class_names, plot_options));
  return grid(plotted, columns, cell_size, options);
}

cv::Mat side_by_side(const cv::Mat& image, const Detections& truth, const Detections& predictions,
                     const std::vector<std::string>& class_names, float min_confidence, int cell_size,
                     const std::vector<std::string>& titles) {
  std::vector<bool> keep(static_cast<size_t>(predictions.size()));
  for (Eigen::Index i = 0; i < predictions.size(); ++i)
    keep[static_cast<size_t>(i)] = predictions.confidence()(i) >= min_confidence;
  PlotOptions human;
  human.show_confidence = false;  // human labels carry no confidence (a COCO reader may set 1.0)
  GridOptions g;
  g.titles = titles;
  return grid({plot(image, truth, class_names, human), plot(image, predictions.select(keep), class_names)}, 2,
              cell_size, g);
}

}  // namespace autodistill
