#include "autodistill/viz/chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "autodistill/core/error.h"
#include "autodistill/viz/plot.h"

namespace autodistill {
namespace {

std::string tick(double v) {
  if (v == 0) return "0";
  const double a = std::abs(v);
  return a >= 1000 || a < 0.01 ? fmt::format("{:.2g}", v) : fmt::format("{:.3g}", v);
}

void text(cv::Mat& img, const std::string& s, cv::Point at, double scale, const cv::Scalar& color) {
  cv::putText(img, s, at, cv::FONT_HERSHEY_SIMPLEX, scale, color, 1, cv::LINE_AA);
}

}  // namespace

cv::Mat line_chart(const std::string& title, const std::vector<ChartSeries>& series, int width, int height) {
  AD_CHECK(width >= 120 && height >= 90, "line_chart: size {}x{} is below 120x90", width, height);
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const ChartSeries& s : series) {
    AD_CHECK(s.x.size() == s.y.size(), "line_chart: series '{}' has {} x values and {} y values", s.name, s.x.size(),
             s.y.size());
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
    }
  }
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Scalar ink(40, 40, 40), grey(200, 200, 200);
  text(img, title, {8, 18}, 0.5, ink);
  // Plot area: room for y tick labels on the left, x labels below.
  const cv::Rect area(52, 28, width - 52 - 12, height - 28 - 26);
  cv::rectangle(img, area, grey, 1);
  if (!(x0 <= x1)) {  // nothing finite to draw
    text(img, "no data", {area.x + area.width / 2 - 28, area.y + area.height / 2}, 0.5, grey * 0.7);
    return img;
  }
  if (x1 == x0) x0 -= 0.5, x1 += 0.5;
  if (y1 == y0) y0 -= std::max(0.5, std::abs(y0) * 0.1), y1 += std::max(0.5, std::abs(y1) * 0.1);
  const auto px = [&](double x, double y) {
    return cv::Point(area.x + int(std::lround((x - x0) / (x1 - x0) * (area.width - 1))),
                     area.y + int(std::lround((y1 - y) / (y1 - y0) * (area.height - 1))));
  };
  text(img, tick(y1), {4, area.y + 10}, 0.38, ink);
  text(img, tick(y0), {4, area.y + area.height}, 0.38, ink);
  text(img, tick(x0), {area.x, area.y + area.height + 16}, 0.38, ink);
  const std::string xr = tick(x1);
  text(img, xr, {area.x + area.width - 7 * int(xr.size()), area.y + area.height + 16}, 0.38, ink);
  int legend_y = area.y + 14;
  for (size_t k = 0; k < series.size(); ++k) {
    const ChartSeries& s = series[k];
    const cv::Scalar color = class_color(int64_t(k));
    std::vector<cv::Point> line;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      line.push_back(px(s.x[i], s.y[i]));
      cv::circle(img, line.back(), 2, color, cv::FILLED, cv::LINE_AA);
    }
    if (line.size() > 1) cv::polylines(img, line, false, color, 2, cv::LINE_AA);
    if (!s.name.empty()) {
      cv::line(img, {area.x + area.width - 110, legend_y - 4}, {area.x + area.width - 92, legend_y - 4}, color, 2);
      text(img, s.name, {area.x + area.width - 88, legend_y}, 0.4, ink);
      legend_y += 16;
    }
  }
  return img;
}

}  // namespace autodistill
