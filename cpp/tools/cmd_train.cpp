// `autodistill-cpp train`: trains the YOLO target model on a data.yaml (models/yolo/yolo.h) and saves it.
// Exit codes: 0 done, 2 bad usage or unreadable input, 1 failure while working.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "autodistill/core/error.h"
#include "autodistill/io/dataset.h"
#include "autodistill/models/yolo/yolo.h"
#include "cli.h"
#include "commands.h"

namespace autodistill::cli {
namespace {

struct TrainArgs {
  std::string data, out, scale = "n", weights;
  YoloTrainOptions options;
};

int run_train(const TrainArgs& a) {
  DetectionDataset ds;
  try {
    ds = DetectionDataset::from_yolo(a.data);
  } catch (const IOError& e) {
    std::fprintf(stderr, "error: %s\n", e.message().c_str());
    return kExitUsage;
  }
  YOLO model = a.weights.empty() ? YOLO(a.scale, ds.classes(), a.options.imgsz) : YOLO::load(a.weights);
  std::printf("training YOLO-%s (%ld parameters) on %s: %zu classes, %zu images\n", model.scale().c_str(),
              long(model.num_parameters()), a.data.c_str(), ds.classes().size(), ds.images().size());
  const std::vector<YoloEpoch> history = model.train(a.data, a.options);
  for (const YoloEpoch& e : history)
    std::printf("epoch %ld: box %.3f cls %.3f dfl %.3f  mAP50 %.3f mAP %.3f\n", long(e.epoch + 1), e.box, e.cls, e.dfl,
                e.map50, e.map);
  model.save(a.out);
  std::printf("saved %s\n", a.out.c_str());
  return kExitOk;
}

}  // namespace

SubcommandRunner add_train_command(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train the YOLO target model on a data.yaml (e.g. label's output) and "
                                              "save it as one .safetensors checkpoint.");
  cmd->add_option("--data", a->data, "data.yaml (train and valid splits)")->required();
  cmd->add_option("--out", a->out, "checkpoint to write")->required();
  cmd->add_option("--model", a->scale, "scale of a new model: n or s")->check(CLI::IsMember({"n", "s"}))
      ->capture_default_str();
  cmd->add_option("--weights", a->weights, "start from this checkpoint instead of a new model");
  cmd->add_option("--epochs", a->options.epochs)->capture_default_str();
  cmd->add_option("--imgsz", a->options.imgsz, "square size, a multiple of 32")->capture_default_str();
  cmd->add_option("--batch", a->options.batch)->capture_default_str();
  cmd->add_option("--lr", a->options.lr, "AdamW peak learning rate")->capture_default_str();
  cmd->add_option("--seed", a->options.seed)->capture_default_str();
  return [cmd, a]() -> int {
    if (!cmd->parsed()) return -1;
    return run_train(*a);
  };
}

}  // namespace autodistill::cli
