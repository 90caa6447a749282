// `autodistill-cpp export`: a YOLO checkpoint (train's output) to a TorchScript archive that
// torch::jit::load / torch.jit.load run without this library (docs/target_model.md, Export).
// Exit codes: 0 done, 2 bad usage, unreadable checkpoint or unwritable output, 1 other failures.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "autodistill/core/error.h"
#include "autodistill/models/yolo/yolo.h"
#include "cli.h"
#include "commands.h"

namespace autodistill::cli {
namespace {

struct ExportArgs {
  std::string checkpoint, output;
};

int run_export(const ExportArgs& a) {
  try {
    const YOLO model = YOLO::load(a.checkpoint);
    model.export_torchscript(a.output);
    std::printf("exported YOLO-%s (%zu classes, imgsz %ld) to %s\n", model.scale().c_str(), model.classes().size(),
                long(model.imgsz()), a.output.c_str());
  } catch (const IOError& e) {
    std::fprintf(stderr, "error: %s\n", e.message().c_str());
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace

SubcommandRunner add_export_command(CLI::App& app) {
  auto a = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand("export", "Export a YOLO checkpoint to TorchScript (.pt) for torch::jit::load "
                                               "or torch.jit.load.");
  cmd->add_option("checkpoint", a->checkpoint, "YOLO .safetensors checkpoint (train's --out)")->required();
  cmd->add_option("output", a->output, "TorchScript archive to write, e.g. model.torchscript.pt")->required();
  return [cmd, a]() -> int {
    if (!cmd->parsed()) return -1;
    return run_export(*a);
  };
}

}  // namespace autodistill::cli
