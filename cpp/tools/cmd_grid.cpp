// `autodistill-cpp grid`: N random images of a dataset with their boxes, tiled (viz/plot.h grid()).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

#include <CLI/CLI.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/viz/plot.h"
#include "cli.h"
#include "commands.h"
#include "autodistill/label/read_dataset.h"

namespace autodistill::cli {
namespace {

struct GridArgs {
  std::string dataset, format, out;
  int n = 16, columns = 0, cell = 320;
  double min_confidence = 0.5;
  uint64_t seed = 0;
};

int run_grid(const GridArgs& a) {
  AD_CHECK(a.n >= 1, "--n must be >= 1, got {}", a.n);
  DetectionDataset ds;
  try {
    ds = read_dataset(a.dataset, a.format);
  } catch (const IOError& e) {
    std::fprintf(stderr, "error: %s\n", e.message().c_str());
    return kExitUsage;
  }
  AD_CHECK(ds.size() > 0, "dataset '{}' has no images", a.dataset);
  ds.sort();  // the sample depends on the seed and the names only, not on the reader's order
  std::vector<size_t> order(ds.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::mt19937_64 rng(a.seed);
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(std::min(order.size(), static_cast<size_t>(a.n)));
  std::sort(order.begin(), order.end());
  std::vector<cv::Mat> images;
  std::vector<Detections> dets;
  GridOptions g;
  for (size_t i : order) {
    const DatasetImage& im = ds.images()[i];
    try {
      images.push_back(load_image(im.path));
    } catch (const IOError& e) {
      std::fprintf(stderr, "error: %s\n", e.message().c_str());
      return kExitUsage;
    }
    const Detections& d = im.detections;
    std::vector<bool> keep(static_cast<size_t>(d.size()));
    for (Eigen::Index k = 0; k < d.size(); ++k) keep[static_cast<size_t>(k)] = d.confidence()(k) >= a.min_confidence;
    dets.push_back(d.select(keep));
    g.titles.push_back(im.relative_path);
  }
  const int n = static_cast<int>(images.size());
  const int columns = a.columns > 0 ? a.columns : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  const cv::Mat tiled = grid(images, dets, ds.classes(), columns, a.cell, g);
  save_image(a.out, tiled);
  std::printf("wrote %s (%d images, %dx%d)\n", a.out.c_str(), n, tiled.cols, tiled.rows);
  return kExitOk;
}

}  // namespace

SubcommandRunner add_grid_command(CLI::App& app) {
  auto a = std::make_shared<GridArgs>();
  CLI::App* cmd = app.add_subcommand("grid", "Draw N random images of a dataset with their boxes as one PNG grid.");
  cmd->add_option("--dataset", a->dataset, "YOLO folder/data.yaml, COCO json/folder or VOC folder")->required();
  cmd->add_option("--format", a->format, "yolo, coco or voc (default: detected)")
      ->check(CLI::IsMember({"yolo", "coco", "voc"}));
  cmd->add_option("--n", a->n, "number of images")->capture_default_str();
  cmd->add_option("--min-confidence", a->min_confidence, "boxes below this confidence are not drawn")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "sampling seed")->capture_default_str();
  cmd->add_option("--columns", a->columns, "columns (default: ceil(sqrt(n)), 4 for 16)");
  cmd->add_option("--cell", a->cell, "pixels per cell side")->capture_default_str();
  cmd->add_option("--out", a->out, "output image (.png)")->required();
  return [cmd, a]() -> int {
    if (!cmd->parsed()) return -1;
    return run_grid(*a);
  };
}

}  // namespace autodistill::cli
