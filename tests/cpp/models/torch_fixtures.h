#pragma once
// Helpers for the LibTorch model parity tests: reading fixture tensors, comparing with a tolerance
// and reporting the largest difference.
#include <algorithm>
#include <filesystem>
#include <map>
#include <string>

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "autodistill/io/safetensors.h"
#include "autodistill/io/safetensors_torch.h"

namespace autodistill::test {

inline std::map<std::string, at::Tensor> read_tensors(const std::filesystem::path& path) {
  const SafetensorsFile file = SafetensorsFile::open(path);
  std::map<std::string, at::Tensor> out;
  for (auto& [name, t] : load_safetensors(file)) out[name] = t.clone();  // own the memory
  return out;
}

/// Largest |a - b| over entries where the reference is finite (finfo.min entries of masked
/// queries compared for equality separately).
inline double max_abs_diff(const at::Tensor& got, const at::Tensor& ref) {
  if (got.numel() == 0) return 0.0;
  return (got.to(at::kDouble) - ref.to(at::kDouble)).abs().max().item<double>();
}

inline bool all_close(const at::Tensor& got, const at::Tensor& ref, double atol, double rtol) {
  return got.sizes() == ref.sizes() && at::allclose(got.to(at::kDouble), ref.to(at::kDouble), rtol, atol);
}

/// (H, W, 3) uint8 RGB tensor -> 8-bit BGR cv::Mat (the library's image convention).
inline cv::Mat bgr_from_rgb_hwc(const at::Tensor& hwc) {
  const at::Tensor c = hwc.contiguous();
  cv::Mat rgb(int(c.size(0)), int(c.size(1)), CV_8UC3, c.data_ptr<uint8_t>());
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

}  // namespace autodistill::test
