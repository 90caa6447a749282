#include "runtime.h"

#include "autodistill/core/device.h"
#include "autodistill/core/error.h"
#include "autodistill/io/safetensors.h"
#include "autodistill/io/weights_map.h"

namespace autodistill::clip_common {

c10::ScalarType parse_dtype(const std::string& name, const std::string& model) {
  if (name == "float32" || name == "fp32" || name == "float") return at::kFloat;
  if (name == "float16" || name == "fp16" || name == "half") return at::kHalf;
  if (name == "bfloat16" || name == "bf16") return at::kBFloat16;
  AD_THROW(InvalidArgument, "{}: dtype must be one of float32, float16, bfloat16; got '{}'", model, name);
}

c10::Device resolve_device(const std::string& spec) {
  const Device d = parse_device(spec);
  return d.is_cuda() ? c10::Device(c10::DeviceType::CUDA, c10::DeviceIndex(d.index)) : c10::Device(c10::DeviceType::CPU);
}

void check_dtype_supported(c10::ScalarType dtype, const c10::Device& device, const std::string& model) {
  AD_CHECK(!(dtype == at::kHalf && device.is_cpu()),
           "{}: dtype float16 needs a CUDA device (LibTorch's CPU kernels lack fp16 layer norm / matmul); "
           "use bfloat16 or float32 on the CPU",
           model);
}

void load_checkpoint(torch::nn::Module& module, const std::filesystem::path& folder,
                     const std::vector<std::string>& ignore_unexpected, const c10::Device& device,
                     c10::ScalarType dtype) {
  const auto path = folder / "model.safetensors";
  if (!std::filesystem::exists(path)) {
    const bool has_bin = std::filesystem::exists(folder / "pytorch_model.bin");
    AD_THROW(IOError, "{}: missing{}", path.string(),
             has_bin ? " (the folder has pytorch_model.bin, a pickle LibTorch cannot read; convert it once with "
                       "python -c \"import torch, safetensors.torch as s; "
                       "s.save_file(torch.load('pytorch_model.bin'), 'model.safetensors')\")"
                     : "");
  }
  const SafetensorsFile file = SafetensorsFile::open(path);
  WeightsLoadOptions options;
  options.ignore_unexpected = ignore_unexpected;
  module.to(at::kFloat);
  load_state_dict(module, file, options);
  module.to(device, dtype);
}

}  // namespace autodistill::clip_common
