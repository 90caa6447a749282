#pragma once
/// \file
/// LibTorch side of the safetensors support: tensors from a `SafetensorsFile` and writing
/// `at::Tensor`s. Including this header pulls in ATen.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "autodistill/io/safetensors.h"

namespace autodistill {

/// at::ScalarType of a safetensors dtype; IOError-free: returns false for dtypes LibTorch 1.13
/// cannot represent (U16, U32, U64, F8_E5M2, F8_E4M3).
bool safetensors_to_scalar_type(SafetensorsDtype dtype, c10::ScalarType* out);
/// InvalidArgument for scalar types the format lacks (complex, quantized).
SafetensorsDtype safetensors_from_scalar_type(c10::ScalarType type);

/// Every tensor of the file, in file order (zero-copy views as `SafetensorsFile::tensor`).
std::vector<std::pair<std::string, at::Tensor>> load_safetensors(const SafetensorsFile& file);

/// Writes tensors (any device, any layout: made contiguous on CPU first) with `save_safetensors_raw`.
void save_safetensors(const std::filesystem::path& path,
                      const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace autodistill
