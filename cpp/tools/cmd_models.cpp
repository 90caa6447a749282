// `autodistill-cpp models`: the registered base models, the prompts they understand, their options.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "autodistill/models/registry.h"
#include "commands.h"

namespace autodistill::cli {

SubcommandRunner add_models_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("models", "List the registered base models, their prompts and options");
  return [cmd]() -> int {
    if (!cmd->parsed()) return -1;
    for (const std::string& name : list_models()) {
      const ModelInfo& info = model_info(name);
      std::printf("%s\n  %s\n", name.c_str(), info.description.c_str());
      if (info.supported_prompts.empty()) {
        std::printf("  prompts: any text (open vocabulary)\n");
      } else {
        std::string prompts;
        for (const auto& p : info.supported_prompts) prompts += (prompts.empty() ? "" : ", ") + p;
        std::printf("  prompts: %s\n", prompts.c_str());
      }
      std::printf("  options: %s\n", info.default_options_json.c_str());
    }
    return 0;
  };
}

}  // namespace autodistill::cli
