#include "autodistill/models/registry.h"

#include <algorithm>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"

namespace autodistill {
namespace {
struct Registry {
  std::mutex mutex;
  std::map<std::string, ModelInfo> models;
};
Registry& registry() {
  static Registry r;  // constructed on first use, so registrars in any TU may run first
  return r;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}
}  // namespace

void register_base_model(ModelInfo info) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  AD_CHECK(!info.name.empty(), "register_base_model: the model name is empty");
  AD_CHECK(info.factory != nullptr, "register_base_model: model '{}' has no factory", info.name);
  AD_CHECK(r.models.count(info.name) == 0, "register_base_model: a model named '{}' is already registered", info.name);
  r.models.emplace(info.name, std::move(info));
}

std::vector<std::string> list_models() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, info] : r.models) names.push_back(name);
  return names;
}

const ModelInfo& model_info(const std::string& name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.models.find(name);
  if (it == r.models.end()) {
    std::vector<std::string> names;
    for (const auto& [n, info] : r.models) names.push_back(n);
    AD_THROW(InvalidArgument, "unknown model '{}'; registered models: {}", name, join(names));
  }
  return it->second;  // entries are never removed, so the reference stays valid
}

std::shared_ptr<BaseModel> create_base_model(const std::string& name, const ModelOptions& options) {
  const ModelInfo& info = model_info(name);
  AD_CHECK(options.is_object() || options.is_null(), "options for model '{}' must be a JSON object, got {}", name,
           options.dump());
  return info.factory(options);
}

std::shared_ptr<BaseModel> create_base_model(const std::string& name, const std::string& options_json) {
  ModelOptions options;
  try {
    options = options_json.empty() ? ModelOptions::object() : ModelOptions::parse(options_json);
  } catch (const nlohmann::json::parse_error& e) {
    AD_THROW(InvalidArgument, "options for model '{}' are not valid JSON: {}", name, e.what());
  }
  return create_base_model(name, options);
}

namespace detail {
ModelRegistrar::ModelRegistrar(ModelInfo (*make_info)()) { register_base_model(make_info()); }
}  // namespace detail

}  // namespace autodistill
