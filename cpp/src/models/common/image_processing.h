#pragma once
// Pre-processing as transformers 4.43's image processors do it, in C++:
//  - CLIPImageProcessor: resize the shortest edge (PIL resampling), center crop, rescale, normalise.
//  - OwlViTImageProcessor: resize to (height, width) (PIL resampling), optional center crop, ...
//  - Owlv2ImageProcessor: rescale, pad bottom/right to a square with 0.5, Gaussian anti-aliasing +
//    linear zoom (scipy.ndimage semantics), clip to the input's range, normalise.
// `pil_resize` reproduces Pillow's separable resampling for 8-bit images bit for bit (same filter
// support, coefficient rounding to 22 fractional bits, horizontal pass first, 8-bit intermediate).

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

#include "clip_config.h"

namespace autodistill::clip_common {

/// PIL resampling filters by their PIL.Image.Resampling number.
enum class PilFilter { kNearest = 0, kLanczos = 1, kBilinear = 2, kBicubic = 3, kBox = 4, kHamming = 5 };

/// Pillow's `Image.resize((width, height), resample)` of an 8-bit image with 1 to 4 channels.
/// kNearest is not supported (InvalidArgument).
cv::Mat pil_resize(const cv::Mat& image_u8, int width, int height, PilFilter filter);

struct ImageProcessorConfig {
  enum class Kind { kClip, kOwlViT, kOwlV2 };
  Kind kind = Kind::kClip;
  bool do_resize = true;
  int64_t shortest_edge = 0;            // CLIP: resize so the shorter side is this (0: use height/width)
  int64_t height = 224, width = 224;    // resize target when shortest_edge == 0
  PilFilter resample = PilFilter::kBicubic;
  bool do_center_crop = true;
  int64_t crop_height = 224, crop_width = 224;
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::array<float, 3> image_mean{0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> image_std{0.26862954f, 0.26130258f, 0.27577711f};
  bool do_pad = true;                   // OWLv2 only

  /// Height and width of the pixel_values this produces.
  int64_t output_height() const;
  int64_t output_width() const;
};

/// Upstream defaults of each processor class.
ImageProcessorConfig default_image_processor(Family family);
/// `folder/preprocessor_config.json` over the family's defaults; defaults alone when the file is
/// absent (logged as a warning). IOError on malformed JSON.
ImageProcessorConfig load_image_processor(const std::filesystem::path& folder, Family family);

/// InvalidArgument when the processor's output size is not the model's vision_config.image_size.
void check_processor_matches(const ImageProcessorConfig& processor, const Config& config,
                             const std::filesystem::path& folder);

/// One RGB 8-bit image (H, W, 3) -> pixel_values (3, out_h, out_w) float32 on the CPU.
at::Tensor preprocess_rgb(const cv::Mat& rgb_u8, const ImageProcessorConfig& config);

/// Library images (8-bit BGR, or gray / BGRA, converted) -> RGB 8-bit. InvalidArgument for other
/// depths or channel counts, naming what arrived.
cv::Mat to_rgb_u8(const cv::Mat& image);

}  // namespace autodistill::clip_common
