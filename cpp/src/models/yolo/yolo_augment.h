#pragma once
// Training-time augmentation for the YOLO target, following Ultralytics YOLOv8's defaults: mosaic of
// four images, random affine (rotation, scale, shear, translation), HSV gains, horizontal flips.
// OpenCV + Eigen only. Every random draw comes from the caller's std::mt19937_64 through the helpers
// below, so a seed gives the same result on every platform.
#include <array>
#include <cstdint>
#include <functional>
#include <random>

#include <opencv2/core/mat.hpp>

#include "autodistill/core/boxes.h"
#include "autodistill/core/detections.h"

namespace autodistill::yolo {

/// Ranges as Ultralytics' hyper-parameters of the same names (their v8 defaults).
struct AugmentOptions {
  double hsv_h = 0.015, hsv_s = 0.7, hsv_v = 0.4;  ///< gains drawn in [1 - g, 1 + g] per channel
  double degrees = 0;     ///< rotation drawn in [-degrees, degrees]
  double translate = 0.1; ///< output-size fraction: the input centre lands in [0.5 - t, 0.5 + t] x size
  double scale = 0.5;     ///< zoom drawn in [1 - scale, 1 + scale]
  double shear = 0;       ///< x and y shear angles drawn in [-shear, shear] degrees
  double fliplr = 0.5;    ///< probability of a horizontal flip
  double mosaic = 1.0;    ///< probability of a 4-image mosaic (else letterbox + affine)
};

/// One training image: 8-bit BGR, (N, 4) xyxy boxes in its own pixels and N class ids.
struct LabeledImage {
  cv::Mat image;
  BoxArray boxes;
  ClassIdArray labels;
};

/// Uniform double in [a, b) from 53 random bits (std::uniform_real_distribution differs between
/// standard libraries; this does not).
double uniform(std::mt19937_64& rng, double a, double b);
/// Uniform integer in [0, n) (n > 0), by rejection so it is unbiased and portable.
uint64_t uniform_index(std::mt19937_64& rng, uint64_t n);

/// Multiplies hue, saturation and value by gains drawn in [1 - g, 1 + g] through one lookup table
/// per channel (hue wraps at 180, OpenCV's 8-bit hue range; the others saturate). In place. All
/// gains zero leaves the image untouched (and draws nothing).
void hsv_jitter(cv::Mat& bgr, double hgain, double sgain, double vgain, std::mt19937_64& rng);

/// Mirrors the image left-right and its boxes: x -> width - x.
void hflip(LabeledImage& sample);

/// Resizes so that the longer side is `size` (keeping the aspect ratio; no padding), boxes scaled.
/// Mosaic tiles are prepared this way, as upstream's image loader does.
LabeledImage resize_long_side(const LabeledImage& sample, int size);

/// Letterboxes to `size` x `size` (autodistill::letterbox, 114 padding), boxes mapped the same way.
LabeledImage letterbox_sample(const LabeledImage& sample, int size);

/// One draw of the affine parameters; `tx`, `ty` are where the input's centre lands, in output px.
struct AffineParams {
  double angle = 0;    ///< degrees, counter-clockwise on screen (cv::getRotationMatrix2D)
  double scale = 1;
  double shear_x = 0;  ///< degrees
  double shear_y = 0;  ///< degrees
  double tx = 0, ty = 0;
};

/// The 2x3 matrix T * S * R * C (upstream's order): C moves the input centre to the origin, R rotates
/// and scales, S shears, T translates to (tx, ty).
cv::Matx23d affine_matrix(const AffineParams& params, cv::Size input_size);

/// Warps the image to `output_size` (114 border), maps each box through its 4 corners to their
/// enclosing box, clips to the output and keeps the box candidates: both sides > 2 px, aspect
/// ratio < 100 and area > 0.1 of the input box scaled by `params.scale`.
LabeledImage apply_affine(const LabeledImage& sample, const AffineParams& params, cv::Size output_size);

/// Draws AffineParams from `options` (degrees, scale, shear, translate of `output_size`) and applies them.
LabeledImage random_affine(const LabeledImage& sample, cv::Size output_size, const AugmentOptions& options,
                           std::mt19937_64& rng);

/// Places four tiles (already resized by resize_long_side to `size`) on a 2*size square canvas of 114
/// around the centre (xc, yc): tile 0 ends at the centre from the top-left, 1 top-right, 2 bottom-left,
/// 3 bottom-right; parts beyond the canvas are cut. Boxes are shifted, clipped to the canvas and
/// zero-area ones dropped.
LabeledImage mosaic4_canvas(const std::array<LabeledImage, 4>& tiles, int size, int xc, int yc);

/// Upstream's mosaic: a centre drawn in [size/2, 3*size/2) on each axis, mosaic4_canvas, then
/// random_affine from the 2*size canvas to `size` x `size` (which crops it around its centre).
LabeledImage mosaic4(const std::array<LabeledImage, 4>& tiles, int size, const AugmentOptions& options,
                     std::mt19937_64& rng);

/// The training pipeline for one sample: with probability `options.mosaic` (and `use_mosaic`) a mosaic
/// of `load(index)` and three images drawn uniformly from [0, dataset_size), else letterbox + random
/// affine; then HSV jitter and a horizontal flip with probability `options.fliplr`. `load(i)` returns
/// image i at any scale with boxes in its pixels (the loader passes images already resized by
/// resize_long_side, which then leaves them as they are). The result is `size` x `size`.
LabeledImage augment_sample(size_t index, size_t dataset_size, const std::function<LabeledImage(size_t)>& load,
                            int size, const AugmentOptions& options, bool use_mosaic, std::mt19937_64& rng);

}  // namespace autodistill::yolo
