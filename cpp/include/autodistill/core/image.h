#pragma once
/// \file
/// Image decoding and geometry helpers. Every image the library hands out is an 8-bit,
/// 3-channel BGR `cv::Mat` (CV_8UC3, OpenCV's and numpy/cv2's convention), with EXIF orientation
/// applied: grayscale is replicated to 3 channels, alpha is dropped (as PIL's convert("RGB")),
/// 16-bit images are scaled to 8 bits, float images are taken as [0, 1] and scaled.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "autodistill/core/boxes.h"

namespace autodistill {

/// Reads and decodes an image file (JPEG, PNG, BMP, WebP, TIFF, ... whatever OpenCV decodes).
/// Throws IOError naming the file when it is missing, unreadable, empty, truncated or not an image.
cv::Mat load_image(const std::filesystem::path& path);

/// Decodes encoded bytes; `name` is used in error messages.
cv::Mat decode_image(const uint8_t* data, size_t size, const std::string& name = "<memory>");

/// Converts any 1/3/4-channel 8/16-bit or float image to 8-bit BGR (see the file comment).
/// Throws InvalidArgument for other layouts.
cv::Mat to_bgr8(const cv::Mat& image);

/// Encodes by extension and writes atomically (temporary file + rename). IOError on failure.
void save_image(const std::filesystem::path& path, const cv::Mat& image);

/// True when `data` holds a JPEG whose marker structure ends in an EOI marker. A JPEG cut short
/// still "decodes" in libjpeg (grey bottom rows), so this is how truncation is detected.
bool jpeg_is_complete(const uint8_t* data, size_t size);

/// How letterbox() placed the source image inside the target canvas.
struct LetterboxTransform {
  float scale = 1.f;  ///< source pixel -> canvas pixel
  int pad_left = 0;
  int pad_top = 0;
  int width = 0;   ///< canvas width
  int height = 0;  ///< canvas height

  /// Maps xyxy boxes from canvas pixels back to source-image pixels (not clipped).
  BoxArray to_source(const BoxArray& xyxy) const;
  /// Maps xyxy boxes from source-image pixels to canvas pixels.
  BoxArray to_canvas(const BoxArray& xyxy) const;
};

struct LetterboxResult {
  cv::Mat image;
  LetterboxTransform transform;
};

/// Resizes keeping the aspect ratio so the image fits `width` x `height`, then pads symmetrically
/// with `pad_value` (the YOLO convention is 114). With `allow_upscale` false, small images keep
/// their size and are only padded.
LetterboxResult letterbox(const cv::Mat& image, int width, int height, uint8_t pad_value = 114,
                          bool allow_upscale = true);

/// Resizes so that the shorter side is `shortest_edge` unless the longer side would then exceed
/// `longest_edge` (then the longer side is `longest_edge`), as DETR-style processors do.
/// Returns the new (width, height).
std::pair<int, int> fit_shortest_edge(int width, int height, int shortest_edge, int longest_edge);

}  // namespace autodistill
