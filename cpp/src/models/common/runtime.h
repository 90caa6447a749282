#pragma once
// Device and dtype options of the torch models, and loading a checkpoint folder into a module.

#include <filesystem>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/nn/module.h>

namespace autodistill::clip_common {

/// "float32" | "float16" | "bfloat16" (also "fp32", "fp16", "bf16"); InvalidArgument otherwise.
c10::ScalarType parse_dtype(const std::string& name, const std::string& model);
/// core/device.h's parse_device ("auto", "cpu", "cuda:N") as a c10::Device.
c10::Device resolve_device(const std::string& spec);
/// InvalidArgument when `dtype` cannot run on `device` with this LibTorch (fp16 on CPU).
void check_dtype_supported(c10::ScalarType dtype, const c10::Device& device, const std::string& model);

/// Loads `folder/model.safetensors` into `module` (every name and shape checked, see
/// io/weights_map.h), then moves it to `device` and `dtype`. IOError naming the folder when the
/// file is missing (and saying how to convert a pytorch_model.bin).
void load_checkpoint(torch::nn::Module& module, const std::filesystem::path& folder,
                     const std::vector<std::string>& ignore_unexpected, const c10::Device& device,
                     c10::ScalarType dtype);

}  // namespace autodistill::clip_common
