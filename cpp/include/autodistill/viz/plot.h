#pragma once
/// \file
/// Drawing detections and tiling images, for eyeballing labels and for reports.
/// Every function returns a new 8-bit BGR image (CV_8UC3) and never modifies its inputs.
/// Inputs may be 8/16-bit or float, 1/3/4 channels (converted as `to_bgr8` does).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "autodistill/core/detections.h"

namespace autodistill {

/// A fixed palette of readable, mutually distinct colours, BGR. Class id k gets entry
/// k % size(); a negative class id gets grey.
const std::vector<cv::Scalar>& class_palette();
/// The colour `plot` uses for a class id.
cv::Scalar class_color(int64_t class_id);

struct PlotOptions {
  /// Box line width in pixels; 0 picks one from the image size (1 px per ~500 px of the longer side).
  int thickness = 0;
  /// OpenCV Hershey font scale; 0 picks one from the image size.
  double font_scale = 0.0;
  /// Draw a "name 0.87" label above each box.
  bool labels = true;
  /// Append the confidence to the label.
  bool show_confidence = true;
  /// Opacity of masks blended over the image, in [0, 1].
  float mask_alpha = 0.45f;
};

/// Draws `detections` on a copy of `image`: a box per detection in its class colour, masks (when
/// present; they must be image-sized) blended in that colour, and a label "name 0.87" on a filled
/// background above the box (inside the box when the box touches the top edge). `class_names`
/// indexes class ids; ids outside it are labelled "class <id>". Boxes are xyxy in image pixels and
/// are clipped when drawn.
cv::Mat plot(const cv::Mat& image, const Detections& detections, const std::vector<std::string>& class_names,
             const PlotOptions& options = {});

struct GridOptions {
  /// Pixels between cells and around the border.
  int gap = 4;
  /// Colour of the gaps and of the letterbox bars, BGR.
  cv::Scalar background{40, 40, 40};
  /// Optional caption per image (drawn at the top-left of its cell); empty or shorter is fine.
  std::vector<std::string> titles;
};

/// Tiles `images` row by row, `columns` per row, each letterboxed (aspect kept, centred) into a
/// `cell_size` x `cell_size` square. The result is
/// (rows * cell_size + (rows + 1) * gap) x (min(columns, n) * cell_size + (min(columns, n) + 1) * gap).
/// InvalidArgument for no images, an empty image, columns < 1 or cell_size < 16.
cv::Mat grid(const std::vector<cv::Mat>& images, int columns = 4, int cell_size = 320,
             const GridOptions& options = {});

/// plot() each image with its detections (same count), then grid() them.
cv::Mat grid(const std::vector<cv::Mat>& images, const std::vector<Detections>& detections,
             const std::vector<std::string>& class_names, int columns = 4, int cell_size = 320,
             const GridOptions& options = {}, const PlotOptions& plot_options = {});

/// The same image twice, side by side: `truth` drawn on the left (no confidences), `predictions` on
/// the right, each cell `cell_size` square, captioned `titles` (default "human" and "AI"). Predictions
/// with confidence < `min_confidence` are not drawn. Class ids of both index `class_names`.
cv::Mat side_by_side(const cv::Mat& image, const Detections& truth, const Detections& predictions,
                     const std::vector<std::string>& class_names, float min_confidence = 0.0f, int cell_size = 480,
                     const std::vector<std::string>& titles = {"human", "AI"});

}  // namespace autodistill
