#pragma once
/// \file
/// Line charts drawn with OpenCV, for training curves (a run's results.png) without a plotting
/// library at run time. Returns a new 8-bit BGR image.

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace autodistill {

struct ChartSeries {
  std::string name;        ///< legend entry ("" = none)
  std::vector<double> x;   ///< same length as y; non-finite points are skipped
  std::vector<double> y;
};

/// A titled line chart, `width` x `height` pixels: white background, axes with min/max tick labels,
/// one polyline (with dots) per series in class_palette() colours, a legend when any series is
/// named. Without any finite point the frame says "no data". InvalidArgument when x and y lengths
/// differ or the size is below 120 x 90.
cv::Mat line_chart(const std::string& title, const std::vector<ChartSeries>& series, int width = 400,
                   int height = 300);

}  // namespace autodistill
