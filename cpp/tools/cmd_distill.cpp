// `autodistill-cpp distill`: label a folder with a base model, train the YOLO target model on the
// labels, and report what the target learned (against the base model's labels and, with --truth,
// against human labels). Each stage resumes: labelling continues an earlier run in OUTPUT, training
// continues its run folder (OUTPUT/target/<target>_run) from the last epoch or Ctrl-C, and a
// finished checkpoint is reused (delete it, or --overwrite, to retrain).
// Exit codes: 0 done, 2 bad usage or unreadable input, 1 failure while working, 130 Ctrl-C.
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/progress.h"
#include "autodistill/label/label.h"
#include "autodistill/label/read_dataset.h"
#include "autodistill/models/yolo/yolo.h"
#include "cli.h"
#include "commands.h"
#include "model_args.h"
#include "train_args.h"

namespace autodistill::cli {
namespace {
namespace fs = std::filesystem;

struct DistillArgs {
  ModelArgs base;
  std::string input, output, target = "yolo-n", truth;
  YoloTrainOptions train;
  float confidence = 0;
  bool no_progress = false;
  bool overwrite = false;
};

int run_distill(const DistillArgs& a) {
  AD_CHECK(a.target == "yolo-n" || a.target == "yolo-s", "--target must be yolo-n or yolo-s, got '{}'", a.target);
  const fs::path output(a.output);
  // 1. Label (resumes an earlier run with the same model and ontology).
  LabelOptions lo;
  lo.overwrite = a.overwrite;
  lo.confidence = a.confidence;
  std::unique_ptr<ProgressReporter> progress = a.no_progress ? nullptr : make_default_progress();
  lo.progress = progress.get();
  const std::shared_ptr<BaseModel> base = build_model(a.base);
  const LabelSummary s = label(*base, a.input, output, lo);
  std::printf("labelled %lld, skipped (already done) %lld, bad images %lld of %lld\n", (long long)s.labelled,
              (long long)s.skipped, (long long)s.errors, (long long)s.total);

  // 2. Train the target (a finished checkpoint is reused).
  const fs::path checkpoint = output / "target" / (a.target + ".safetensors");
  YoloTrainOptions train = a.train;
  train.project = output / "target" / (a.target + "_run");
  if (!a.base.device.empty()) train.device = a.base.device;  // one --device for labelling and training
  train.resume = true;
  train.progress = progress.get();
  train.on_epoch = [&](const YoloEpoch& e) { print_epoch(e, train.epochs); };
  std::error_code ec;
  if (a.overwrite) {
    fs::remove(checkpoint, ec);
    fs::remove_all(train.project, ec);
  }
  YOLO target = [&] {
    if (fs::exists(checkpoint, ec)) {
      std::printf("using the trained target %s (delete it to retrain)\n", checkpoint.string().c_str());
      return YOLO::load(checkpoint);
    }
    YOLO y(a.target.substr(5), s.classes, train.imgsz);
    std::printf("training YOLO-%s on %s (run folder %s)\n", y.scale().c_str(), (output / "data.yaml").string().c_str(),
                train.project.string().c_str());
    std::fflush(stdout);
    y.train(output / "data.yaml", train);
    y.save(checkpoint);
    std::printf("saved %s\n", checkpoint.string().c_str());
    return y;
  }();

  // 3. What the target learned: against the base model's labels on the held-out split, and
  //    against human labels when given.
  const DetectionDataset labels = load_label_output(output);
  // The held-out split shows generalisation; when it holds no labels at all (tiny runs), every image
  // is evaluated instead, which shows what the target reproduced of what it was trained on.
  bool valid_has_labels = false;
  for (const DatasetImage& im : labels.images()) valid_has_labels |= im.split == "valid" && im.detections.size() > 0;
  const std::string split = valid_has_labels ? "valid" : "";
  std::printf("\n== target vs the base model's labels (%s) ==\n%s",
              valid_has_labels ? "valid split" : "all images: the valid split has no labels",
              target.evaluate(labels, split).to_table().c_str());
  if (!a.truth.empty()) {
    const DetectionDataset truth = read_dataset(a.truth);
    std::printf("\n== target vs human labels (%s) ==\n%s", a.truth.c_str(), target.evaluate(truth).to_table().c_str());
    std::printf("\n== base model vs human labels ==\n%s", evaluate(labels, truth).to_table().c_str());
  }
  return kExitOk;
}

}  // namespace

SubcommandRunner add_distill_command(CLI::App& app) {
  auto a = std::make_shared<DistillArgs>();
  CLI::App* cmd = app.add_subcommand("distill", "Label INPUT with a base model, train the YOLO target on the labels, "
                                                "and evaluate it (resumable: run again to continue).");
  add_model_args(cmd, a->base);
  cmd->add_option("--input", a->input, "folder of images")->required();
  cmd->add_option("--output", a->output, "output folder: the dataset, target/<target>.safetensors")->required();
  cmd->add_option("--target", a->target, "yolo-n or yolo-s")->capture_default_str();
  cmd->add_option("--confidence", a->confidence, "labelling: keep base-model detections at least this confident")
      ->capture_default_str();
  cmd->add_option("--truth", a->truth, "human-labelled dataset to evaluate against (any format)");
  add_train_args(cmd, a->train, /*with_device=*/false);
  cmd->add_flag("--no-progress", a->no_progress, "no progress bar");
  cmd->add_flag("--overwrite", a->overwrite, "start over: delete an earlier labelling run and checkpoint in OUTPUT");
  return [cmd, a]() -> int {
    if (!cmd->parsed()) return -1;
    try {
      InterruptOnSigint sigint;
      return run_distill(*a);
    } catch (const Interrupted&) {
      std::fprintf(stderr, "interrupted: run the same command again to resume\n");
      return kExitInterrupted;
    }
  };
}

}  // namespace autodistill::cli
