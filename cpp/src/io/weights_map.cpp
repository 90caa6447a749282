#include "autodistill/io/weights_map.h"

#include <map>
#include <unordered_map>

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "autodistill/core/error.h"
#include "autodistill/io/safetensors_torch.h"

namespace autodistill {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

bool any_prefix(const std::string& s, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (starts_with(s, p)) return true;
  return false;
}

std::string shape_str(at::IntArrayRef shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

}  // namespace

WeightsLoadReport load_state_dict(const std::vector<std::pair<std::string, at::Tensor>>& params,
                                  const SafetensorsFile& file, const WeightsLoadOptions& options) {
  // Model name -> file name, after renames.
  std::unordered_map<std::string, std::string> from_file;
  WeightsLoadReport report;
  std::vector<std::string> unexpected;
  std::unordered_map<std::string, const at::Tensor*> wanted;
  for (const auto& [name, t] : params) wanted.emplace(name, &t);

  for (const auto& file_name : file.names()) {
    std::string model_name = file_name;
    for (const auto& [from, to] : options.renames) {
      if (starts_with(file_name, from)) {
        model_name = to + file_name.substr(from.size());
        break;
      }
    }
    if (!wanted.count(model_name)) {
      if (any_prefix(model_name, options.ignore_unexpected))
        report.ignored.push_back(file_name);
      else
        unexpected.push_back(model_name == file_name ? file_name : file_name + " (as " + model_name + ")");
      continue;
    }
    from_file.emplace(model_name, file_name);
  }

  std::vector<std::string> missing, misshapen, bad_dtype;
  for (const auto& [name, t] : params) {
    auto it = from_file.find(name);
    if (it == from_file.end()) {
      if (any_prefix(name, options.allow_missing))
        report.allowed_missing.push_back(name);
      else
        missing.push_back(fmt::format("{} {}", name, shape_str(t.sizes())));
      continue;
    }
    const SafetensorsInfo& info = file.info(it->second);
    if (at::IntArrayRef(info.shape) != t.sizes()) {
      misshapen.push_back(fmt::format("{} expected {} got {}", name, shape_str(t.sizes()), shape_str(info.shape)));
      continue;
    }
    c10::ScalarType type{};
    if (!safetensors_to_scalar_type(info.dtype, &type)) {
      bad_dtype.push_back(fmt::format("{} has dtype {} (no LibTorch equivalent)", name, safetensors_dtype_name(info.dtype)));
    } else if (!options.convert_dtype && type != t.scalar_type()) {
      bad_dtype.push_back(fmt::format("{} expected {} got {}", name, c10::toString(t.scalar_type()),
                                      safetensors_dtype_name(info.dtype)));
    }
  }

  if (!missing.empty() || !unexpected.empty() || !misshapen.empty() || !bad_dtype.empty()) {
    std::string msg = fmt::format("weights file '{}' does not match the model:", file.path().string());
    auto section = [&msg](const char* title, const std::vector<std::string>& items) {
      if (items.empty()) return;
      msg += fmt::format("\n  {} ({}):", title, items.size());
      for (const auto& item : items) msg += "\n    " + item;
    };
    section("missing", missing);
    section("unexpected", unexpected);
    section("misshapen", misshapen);
    section("dtype", bad_dtype);
    AD_THROW(IOError, "{}", msg);
  }

  at::NoGradGuard no_grad;
  for (const auto& [name, t] : params) {
    auto it = from_file.find(name);
    if (it == from_file.end()) continue;
    at::Tensor target = t;  // a handle sharing storage with the module's tensor
    target.copy_(file.tensor(it->second));
    report.loaded.push_back(name);
  }
  return report;
}

WeightsLoadReport load_state_dict(torch::nn::Module& module, const SafetensorsFile& file,
                                  const WeightsLoadOptions& options) {
  std::vector<std::pair<std::string, at::Tensor>> params;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) params.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers(/*recurse=*/true)) params.emplace_back(item.key(), item.value());
  return load_state_dict(params, file, options);
}

}  // namespace autodistill
