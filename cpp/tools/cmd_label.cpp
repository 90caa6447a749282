// `autodistill-cpp label`: label a folder of images into a dataset (see label/label.h).
// Exit codes: 0 done, 1 failure while working, 2 bad usage or input, 3 done but some images were bad
// (listed in OUT/.autodistill/errors.jsonl), 130 interrupted (Ctrl-C; run the same command to resume).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/core/progress.h"
#include "autodistill/label/label.h"
#include "autodistill/models/registry.h"
#include "cli.h"
#include "commands.h"
#include "model_args.h"

namespace autodistill::cli {
namespace {
namespace fs = std::filesystem;

struct LabelArgs {
  ModelArgs model;
  std::string input, output, shard, sahi, nms = "none";
  std::vector<std::string> extensions;
  int batch = 8, workers = 0;
  double split = 0.8, confidence = 0;
  uint64_t seed = 0;
  int64_t max_pixels = LabelOptions{}.max_pixels;
  bool resume = false, overwrite = false, strict = false, hardlink = false, no_progress = false, json = false;
};

ShardSpec parse_shard(const std::string& s) {
  std::smatch m;
  AD_CHECK(std::regex_match(s, m, std::regex(R"((\d+)/(\d+))")), "--shard must be i/n (e.g. 0/4), got '{}'", s);
  return {std::stoi(m[1]), std::stoi(m[2])};
}

SliceOptions parse_sahi(const std::string& s) {
  std::smatch m;
  AD_CHECK(std::regex_match(s, m, std::regex(R"((\d+)x(\d+)(,([0-9.]+))?)")),
           "--sahi must be WxH or WxH,overlap (e.g. 640x640,0.2), got '{}'", s);
  SliceOptions o;
  o.tile_width = std::stoi(m[1]);
  o.tile_height = std::stoi(m[2]);
  if (m[4].matched) o.overlap = std::stod(m[4]);
  return o;
}

int run_label(const LabelArgs& a) {
  AD_CHECK(!(a.resume && a.overwrite), "--resume and --overwrite exclude each other");
  const ModelOptions options = model_options(a.model);

  LabelOptions o;
  if (!a.extensions.empty()) o.extensions = a.extensions;
  o.confidence = static_cast<float>(a.confidence);
  o.nms = parse_nms_mode(a.nms);
  o.split = a.split;
  o.seed = a.seed;
  o.batch_size = a.batch;
  o.workers = a.workers;
  if (!a.shard.empty()) o.shard = parse_shard(a.shard);
  if (!a.sahi.empty()) o.sahi = parse_sahi(a.sahi);
  o.overwrite = a.overwrite;
  o.strict = a.strict;
  o.images = a.hardlink ? ImageTransfer::Hardlink : ImageTransfer::Copy;
  o.max_pixels = a.max_pixels;
  o.validate();
  const fs::path input(a.input);
  fs::path output = a.output.empty() ? fs::path(input.string() + "_labeled") : fs::path(a.output);
  if (input.filename().empty() && a.output.empty()) output = fs::path(input.parent_path().string() + "_labeled");
  if (a.resume) {
    std::error_code ec;
    AD_CHECK(fs::exists(output / ".autodistill" / "manifest.json", ec),
             "--resume: '{}' holds no earlier labelling run", output.string());
  }

  std::unique_ptr<ProgressReporter> progress = a.no_progress ? nullptr : make_default_progress();
  o.progress = progress.get();
  const std::shared_ptr<BaseModel> model = create_base_model(a.model.model, options);

  LabelSummary s;
  try {
    InterruptOnSigint sigint;
    s = label(*model, input, output, o);
  } catch (const Interrupted&) {
    std::fprintf(stderr, "interrupted: run the same command again to resume\n");
    return kExitInterrupted;
  }

  if (a.json) {
    nlohmann::ordered_json j = {{"output", s.output.string()}, {"total", s.total},       {"labelled", s.labelled},
                                {"skipped", s.skipped},        {"errors", s.errors},     {"new_errors", s.new_errors},
                                {"classes", s.classes},        {"boxes_per_class", s.boxes_per_class},
                                {"elapsed_s", s.elapsed_s},    {"images_per_s", s.images_per_s}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("labelled %lld, skipped (already done) %lld, bad images %lld of %lld in %.1f s (%.1f images/s)\n",
                (long long)s.labelled, (long long)s.skipped, (long long)s.errors, (long long)s.total, s.elapsed_s,
                s.images_per_s);
    for (size_t c = 0; c < s.classes.size(); ++c)
      std::printf("  %-20s %lld boxes\n", s.classes[c].c_str(), (long long)s.boxes_per_class[c]);
    std::printf("wrote %s\n", output.string().c_str());
    if (s.errors) std::printf("bad images are listed in %s\n", (output / ".autodistill/errors.jsonl").string().c_str());
  }
  return s.errors > 0 ? kExitBadImages : kExitOk;
}

}  // namespace

SubcommandRunner add_label_command(CLI::App& app) {
  auto args = std::make_shared<LabelArgs>();
  CLI::App* cmd = app.add_subcommand(
      "label",
      "Label a folder of images with a base model into a YOLO dataset (+ COCO json), resumable and shardable.\n"
      "Exit codes: 0 done, 1 failure, 2 bad usage/input, 3 done with some bad images (see "
      "OUT/.autodistill/errors.jsonl), 130 interrupted (run again to resume).");
  add_model_args(cmd, args->model);
  cmd->add_option("--input", args->input, "folder of images")->required();
  cmd->add_option("--output", args->output, "output folder (default: INPUT_labeled)");
  cmd->add_option("--batch", args->batch, "images per model call")->capture_default_str();
  cmd->add_option("--workers", args->workers, "decoder threads (0 = one per CPU)")->capture_default_str();
  cmd->add_option("--shard", args->shard, "label only shard i of n (i/n); merge with `dataset merge`");
  cmd->add_option("--sahi", args->sahi, "slice into overlapping tiles: WxH[,overlap]");
  cmd->add_option("--confidence", args->confidence, "drop boxes below this confidence")->capture_default_str();
  cmd->add_option("--nms", args->nms, "none, class_specific or class_agnostic")->capture_default_str();
  cmd->add_option("--split", args->split, "share of images in train")->capture_default_str();
  cmd->add_option("--seed", args->seed, "split seed")->capture_default_str();
  cmd->add_option("--extensions", args->extensions, "image extensions (default .jpg .jpeg .png .bmp .webp .tif .tiff)");
  cmd->add_option("--max-pixels", args->max_pixels, "larger images are recorded as bad")->capture_default_str();
  auto* resume = cmd->add_flag("--resume", args->resume, "require an earlier run in OUTPUT and finish it (default: resume if there is one)");
  auto* overwrite = cmd->add_flag("--overwrite", args->overwrite, "delete an earlier run in OUTPUT and start over");
  resume->excludes(overwrite);
  cmd->add_flag("--strict", args->strict, "stop at the first bad image");
  cmd->add_flag("--hardlink", args->hardlink, "hard-link images instead of copying them");
  cmd->add_flag("--no-progress", args->no_progress, "no progress bar");
  cmd->add_flag("--json", args->json, "print the summary as JSON");
  return [cmd, args]() -> int { return cmd->parsed() ? run_label(*args) : -1; };
}

}  // namespace autodistill::cli
