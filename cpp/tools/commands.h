#pragma once
// The subcommand table. A subcommand registers its options on `app` and returns a runner that
// returns -1 when its subcommand was not the one invoked, else the exit code.
#include <functional>
#include <vector>

namespace CLI {
class App;
}

namespace autodistill::cli {

using SubcommandRunner = std::function<int()>;
using SubcommandFactory = std::function<SubcommandRunner(CLI::App&)>;

SubcommandRunner add_info_command(CLI::App& app);
SubcommandRunner add_models_command(CLI::App& app);
SubcommandRunner add_predict_command(CLI::App& app);
SubcommandRunner add_label_command(CLI::App& app);
SubcommandRunner add_dataset_command(CLI::App& app);
SubcommandRunner add_eval_command(CLI::App& app);
SubcommandRunner add_grid_command(CLI::App& app);
SubcommandRunner add_train_command(CLI::App& app);
SubcommandRunner add_distill_command(CLI::App& app);
SubcommandRunner add_export_command(CLI::App& app);

/// Every subcommand, in --help order.
inline std::vector<SubcommandFactory> subcommands() { return {add_info_command, add_models_command, add_predict_command,
                                                                add_label_command, add_dataset_command,
                                                                add_eval_command, add_grid_command, add_train_command,
                                                                add_distill_command, add_export_command}; }

}  // namespace autodistill::cli
