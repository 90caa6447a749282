#include "activations.h"

#include <cmath>
#include <utility>
#include <vector>

#include "autodistill/core/error.h"

namespace autodistill::clip_common {
namespace {
const std::vector<std::pair<const char*, Activation>>& table() {
  static const std::vector<std::pair<const char*, Activation>> t = {
      {"gelu", Activation::kGelu},           {"gelu_new", Activation::kGeluNew},
      {"gelu_pytorch_tanh", Activation::kGeluNew}, {"gelu_fast", Activation::kGeluFast},
      {"gelu_accurate", Activation::kGeluAccurate}, {"quick_gelu", Activation::kQuickGelu},
      {"relu", Activation::kRelu},           {"relu6", Activation::kRelu6},
      {"silu", Activation::kSilu},           {"swish", Activation::kSilu},
      {"sigmoid", Activation::kSigmoid},     {"tanh", Activation::kTanh},
      {"mish", Activation::kMish},           {"linear", Activation::kLinear},
      {"leaky_relu", Activation::kLeakyRelu}, {"gelu_10", Activation::kGelu10},
  };
  return t;
}
}  // namespace

Activation parse_activation(const std::string& name, const std::string& where) {
  std::string names;
  for (const auto& [n, a] : table()) {
    if (name == n) return a;
    names += names.empty() ? n : std::string(", ") + n;
  }
  AD_THROW(InvalidArgument, "{}: unknown activation '{}'; known: {}", where, name, names);
}

at::Tensor apply_activation(Activation act, const at::Tensor& x) {
  switch (act) {
    case Activation::kGelu: return at::gelu(x);
    case Activation::kGeluNew: return at::gelu(x, "tanh");
    case Activation::kGeluFast:
      // 0.5 x (1 + tanh(x * sqrt(2/pi) * (1 + 0.044715 x^2)))
      return 0.5 * x * (1.0 + at::tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)));
    case Activation::kGeluAccurate:
      return 0.5 * x * (1 + at::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * at::pow(x, 3))));
    case Activation::kQuickGelu: return x * at::sigmoid(1.702 * x);
    case Activation::kRelu: return at::relu(x);
    case Activation::kRelu6: return at::hardtanh(x, 0.0, 6.0);
    case Activation::kSilu: return at::silu(x);
    case Activation::kSigmoid: return at::sigmoid(x);
    case Activation::kTanh: return at::tanh(x);
    case Activation::kMish: return at::mish(x);
    case Activation::kLinear: return x;
    case Activation::kLeakyRelu: return at::leaky_relu(x, 0.01);
    case Activation::kGelu10: return at::clamp(at::gelu(x), -10.0, 10.0);
  }
  return x;
}

}  // namespace autodistill::clip_common
