// `autodistill-cpp train`: trains the YOLO target model on a data.yaml (models/yolo/yolo.h) and saves it.
// Exit codes: 0 done, 2 bad usage or unreadable input, 1 failure while working, 130 Ctrl-C (resumable).
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/progress.h"
#include "autodistill/io/dataset.h"
#include "autodistill/models/yolo/yolo.h"
#include "cli.h"
#include "commands.h"
#include "train_args.h"

namespace autodistill::cli {
namespace {
namespace fs = std::filesystem;

struct TrainArgs {
  std::string data, out, scale = "n", weights, project;
  bool no_progress = false;
  YoloTrainOptions options;
};

int run_train(TrainArgs a) {
  DetectionDataset ds;
  try {
    ds = DetectionDataset::from_yolo(a.data);
  } catch (const IOError& e) {
    std::fprintf(stderr, "error: %s\n", e.message().c_str());
    return kExitUsage;
  }
  const fs::path out(a.out);
  // The run folder (checkpoints, results.csv/png) sits next to the checkpoint unless given.
  a.options.project = a.project.empty() ? out.parent_path() / (out.stem().string() + "_run") : fs::path(a.project);
  std::unique_ptr<ProgressReporter> progress = a.no_progress ? nullptr : make_default_progress();
  a.options.progress = progress.get();
  a.options.on_epoch = [&](const YoloEpoch& e) { print_epoch(e, a.options.epochs); };
  YOLO model = a.weights.empty() ? YOLO(a.scale, ds.classes(), a.options.imgsz) : YOLO::load(a.weights);
  std::printf("training YOLO-%s (%ld parameters) on %s: %zu classes, %zu images; run folder %s\n",
              model.scale().c_str(), long(model.num_parameters()), a.data.c_str(), ds.classes().size(),
              ds.images().size(), a.options.project.string().c_str());
  std::fflush(stdout);
  try {
    InterruptOnSigint sigint;
    model.train(a.data, a.options);
  } catch (const Interrupted&) {
    std::fprintf(stderr, "interrupted: %s holds the run; add --resume to the same command to continue\n",
                 (a.options.project / "weights" / "last.safetensors").string().c_str());
    return kExitInterrupted;
  }
  model.save(out);
  std::printf("saved %s (results: %s)\n", a.out.c_str(), (a.options.project / "results.csv").string().c_str());
  return kExitOk;
}

}  // namespace

SubcommandRunner add_train_command(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train the YOLO target model on a data.yaml (e.g. label's output) and "
                                              "save its best weights as one .safetensors checkpoint.");
  cmd->add_option("--data", a->data, "data.yaml (train and valid splits)")->required();
  cmd->add_option("--out", a->out, "checkpoint to write (the best epoch's weights)")->required();
  cmd->add_option("--model", a->scale, "scale of a new model: n or s")->check(CLI::IsMember({"n", "s"}))
      ->capture_default_str();
  cmd->add_option("--weights", a->weights, "start from this checkpoint instead of a new model");
  cmd->add_option("--project", a->project,
                  "run folder: weights/last.safetensors, weights/best.safetensors, results.csv, results.png "
                  "(default: next to --out, named <out>_run)");
  cmd->add_flag("--resume", a->options.resume, "continue the unfinished run in the run folder");
  cmd->add_flag("--no-progress", a->no_progress, "no progress bar");
  add_train_args(cmd, a->options);
  return [cmd, a]() -> int {
    if (!cmd->parsed()) return -1;
    return run_train(*a);
  };
}

}  // namespace autodistill::cli
