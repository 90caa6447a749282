#pragma once
// The arguments every model-running subcommand shares (--model, --ontology, --options, --weights,
// --device), parsed in one place so `predict` and `label` accept exactly the same forms.
#include <memory>
#include <string>

#include "autodistill/models/registry.h"

namespace CLI {
class App;
}

namespace autodistill::cli {

struct ModelArgs {
  std::string model;
  std::string ontology;        ///< inline JSON or a .json file
  std::string options = "{}";  ///< inline JSON object or a .json file
  std::string weights;         ///< shortcut for options["weights"]
  std::string device;          ///< shortcut for options["device"]
};

/// Registers the options on `cmd`.
void add_model_args(CLI::App* cmd, ModelArgs& args);

/// True when `s` starts (after blanks) with '{' or '['.
bool looks_like_json(const std::string& s);
/// Inline JSON, or the contents of the file `arg`; `what` names the argument in messages.
std::string json_text_or_file(const std::string& arg, const char* what);

/// Options with the ontology, --weights and --device folded in (InvalidArgument naming the argument).
ModelOptions model_options(const ModelArgs& args);
/// Builds the model through the registry.
std::shared_ptr<BaseModel> build_model(const ModelArgs& args);

}  // namespace autodistill::cli
