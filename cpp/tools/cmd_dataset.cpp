// `autodistill-cpp dataset convert|stats|merge`: YOLO / COCO / Pascal VOC datasets and shard outputs.
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "autodistill/core/error.h"
#include "autodistill/io/dataset.h"
#include "autodistill/label/label.h"
#include "cli.h"
#include "commands.h"

namespace autodistill::cli {
namespace {
namespace fs = std::filesystem;

struct DatasetArgs {
  std::string from, to, in, out, images;
  double split = -1;
  uint64_t seed = 0;
  bool hardlink = false;
  std::string stats_dir;
  std::string merge_out;
  std::vector<std::string> shards;
};

// Reads IN in `format`: yolo = data.yaml or its folder; coco = a json file (images in --images, else
// next to it); voc = a folder with Annotations/ and JPEGImages/ (or --images).
DetectionDataset read_dataset(const std::string& format, const fs::path& in, const std::string& images) {
  if (format == "yolo") return DetectionDataset::from_yolo(in);
  std::error_code ec;
  if (format == "coco") {
    fs::path json = in;
    if (fs::is_directory(in, ec)) {
      json = in / "annotations.coco.json";
      if (!fs::exists(json, ec)) json = in / "_annotations.coco.json";
    }
    return DetectionDataset::from_coco(images.empty() ? json.parent_path() : fs::path(images), json);
  }
  if (format == "voc") {
    const fs::path ann = fs::is_directory(in / "Annotations", ec) ? in / "Annotations" : in;
    return DetectionDataset::from_pascal_voc(images.empty() ? in / "JPEGImages" : fs::path(images), ann);
  }
  AD_THROW(InvalidArgument, "format must be yolo, coco or voc, got '{}'", format);
}

std::string detect_format(const fs::path& in) {
  std::error_code ec;
  if (in.extension() == ".yaml" || in.extension() == ".yml" || fs::exists(in / "data.yaml", ec)) return "yolo";
  if (in.extension() == ".json" || fs::exists(in / "annotations.coco.json", ec)) return "coco";
  if (fs::is_directory(in / "Annotations", ec)) return "voc";
  AD_THROW(InvalidArgument, "cannot tell the format of '{}' (no data.yaml, .json or Annotations/); use dataset convert "
           "--from to read it", in.string());
}

void print_stats(const DetectionDataset& ds) {
  const DatasetStats s = ds.stats();
  std::printf("images %lld, boxes %lld, empty images %lld\n", (long long)s.images, (long long)s.boxes,
              (long long)s.empty_images);
  for (const auto& [split, n] : s.images_per_split)
    std::printf("  split %-8s %lld images\n", split.empty() ? "(none)" : split.c_str(), (long long)n);
  for (size_t c = 0; c < ds.classes().size(); ++c)
    std::printf("  %-20s %lld boxes\n", ds.classes()[c].c_str(), (long long)s.boxes_per_class[c]);
}

int run_dataset(const DatasetArgs& args, bool do_convert, bool do_stats, bool do_merge);

}  // namespace

SubcommandRunner add_dataset_command(CLI::App& app) {
  auto a = std::make_shared<DatasetArgs>();
  CLI::App* cmd = app.add_subcommand("dataset", "Convert, inspect and merge datasets (YOLO, COCO json, Pascal VOC).");
  cmd->require_subcommand(1);
  CLI::App* convert = cmd->add_subcommand(
      "convert", "Convert IN (yolo: data.yaml or folder; coco: json or folder; voc: folder with Annotations/ and "
                 "JPEGImages/) to OUT (a folder).");
  convert->add_option("--from", a->from, "yolo, coco or voc")->required()->check(CLI::IsMember({"yolo", "coco", "voc"}));
  convert->add_option("--to", a->to, "yolo, coco or voc")->required()->check(CLI::IsMember({"yolo", "coco", "voc"}));
  convert->add_option("IN", a->in, "input dataset")->required();
  convert->add_option("OUT", a->out, "output folder")->required();
  convert->add_option("--images", a->images, "images folder of a COCO or VOC input");
  convert->add_option("--split", a->split, "re-split into train/valid with this train share");
  convert->add_option("--seed", a->seed, "split seed")->capture_default_str();
  convert->add_flag("--hardlink", a->hardlink, "hard-link images instead of copying them");
  CLI::App* stats = cmd->add_subcommand("stats", "Print images, boxes per class and empty images of a dataset.");
  stats->add_option("DIR", a->stats_dir, "a YOLO folder/data.yaml, a COCO json, or a VOC folder")->required();
  stats->add_option("--from", a->from, "format (default: detected)");
  stats->add_option("--images", a->images, "images folder of a COCO or VOC input");
  CLI::App* merge = cmd->add_subcommand("merge", "Merge `label --shard i/n` outputs into one dataset.");
  merge->add_option("OUT", a->merge_out, "output folder")->required();
  merge->add_option("SHARD", a->shards, "shard output folders")->required();

  return [cmd, convert, stats, merge, a]() -> int {
    if (!cmd->parsed()) return -1;
    try {
      return run_dataset(*a, convert->parsed(), stats->parsed(), merge->parsed());
    } catch (const IOError& e) {
      // A malformed or missing dataset is bad input (exit 2), not a failure while working.
      std::fprintf(stderr, "error: %s\n", e.message().c_str());
      return kExitUsage;
    }
  };
}

namespace {
int run_dataset(const DatasetArgs& args, bool do_convert, bool do_stats, bool do_merge) {
  const DatasetArgs* a = &args;
  {
    if (do_convert) {
      DetectionDataset ds = read_dataset(a->from, a->in, a->images);
      if (a->split >= 0) ds.split(a->split, a->seed);
      const auto transfer = a->hardlink ? ImageTransfer::Hardlink : ImageTransfer::Copy;
      const fs::path out(a->out);
      if (a->to == "yolo") ds.as_yolo(out, transfer);
      if (a->to == "coco") ds.as_coco(out / "annotations.coco.json", out / "images", transfer);
      if (a->to == "voc") ds.as_pascal_voc(out / "Annotations", out / "JPEGImages", transfer);
      std::printf("wrote %zu images to %s (%s)\n", ds.size(), out.string().c_str(), a->to.c_str());
      return kExitOk;
    }
    if (do_stats) {
      const std::string format = a->from.empty() ? detect_format(a->stats_dir) : a->from;
      print_stats(read_dataset(format, a->stats_dir, a->images));
      return kExitOk;
    }
    if (do_merge) {
      std::vector<fs::path> shards(a->shards.begin(), a->shards.end());
      const DetectionDataset ds = merge_shards(shards, a->merge_out);
      std::printf("merged %zu shards, %zu images into %s\n", shards.size(), ds.size(), a->merge_out.c_str());
      return kExitOk;
    }
    return kExitUsage;
  }
}
}  // namespace

}  // namespace autodistill::cli
