#pragma once
/// \file
/// Registry of base models. Each model registers itself from its own folder with
/// `AD_REGISTER_BASE_MODEL`, so there is no central list to keep in sync.
/// Options are a JSON object: "ontology" (object or list, see CaptionOntology::from_json) plus the
/// model's own keys; unknown keys are rejected with the list of accepted ones.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "autodistill/models/base_model.h"

namespace autodistill {

using ModelOptions = nlohmann::ordered_json;
using BaseModelFactory = std::function<std::shared_ptr<BaseModel>(const ModelOptions& options)>;

struct ModelInfo {
  std::string name;
  std::string description;
  /// Prompts the model understands; empty for open-vocabulary models.
  std::vector<std::string> supported_prompts;
  /// JSON text of the accepted options and their defaults (without "ontology").
  std::string default_options_json;
  BaseModelFactory factory;
};

/// Adds a model; InvalidArgument if the name is taken. Thread-safe.
void register_base_model(ModelInfo info);
/// Names of all registered models, sorted.
std::vector<std::string> list_models();
/// InvalidArgument listing the registered names when `name` is unknown.
const ModelInfo& model_info(const std::string& name);
/// Builds a model from options (see the file comment).
std::shared_ptr<BaseModel> create_base_model(const std::string& name, const ModelOptions& options);
/// Same, with options given as JSON text.
std::shared_ptr<BaseModel> create_base_model(const std::string& name, const std::string& options_json);
/// JSON text as a string literal (without this, `create_base_model("x", "{...}")` is ambiguous
/// between the JSON-value and the JSON-text overloads).
inline std::shared_ptr<BaseModel> create_base_model(const std::string& name, const char* options_json) {
  return create_base_model(name, std::string(options_json));
}

namespace detail {
struct ModelRegistrar {
  explicit ModelRegistrar(ModelInfo (*make_info)());
};
}  // namespace detail

}  // namespace autodistill

/// In a model's .cpp file: `AD_REGISTER_BASE_MODEL(hog_people, &make_hog_people_info);` where the
/// function returns the model's ModelInfo. Runs when the library is loaded.
#define AD_REGISTER_BASE_MODEL(id, make_info_fn) \
  static const ::autodistill::detail::ModelRegistrar ad_model_registrar_##id(make_info_fn)
