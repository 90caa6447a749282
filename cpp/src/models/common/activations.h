#pragma once
// Hugging Face's ACT2FN names (transformers/activations.py) as LibTorch functions.

#include <string>

#include <ATen/core/Tensor.h>

namespace autodistill::clip_common {

enum class Activation {
  kGelu,          // "gelu": exact, erf-based
  kGeluNew,       // "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_accurate": tanh approximations
  kGeluFast,
  kGeluAccurate,
  kQuickGelu,     // x * sigmoid(1.702 x)
  kRelu,
  kRelu6,
  kSilu,          // "silu", "swish"
  kSigmoid,
  kTanh,
  kMish,
  kLinear,        // identity
  kLeakyRelu,     // slope 0.01
  kGelu10,        // gelu clipped to [-10, 10]
};

/// InvalidArgument listing the accepted names (with `where` as context) for an unknown name.
Activation parse_activation(const std::string& name, const std::string& where);
at::Tensor apply_activation(Activation act, const at::Tensor& x);

}  // namespace autodistill::clip_common
