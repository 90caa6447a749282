// `autodistill-cpp predict`: run one base model on a few images, print the detections (a table or
// JSON) and optionally write annotated PNGs. Bad input (ontology, options, unreadable image) exits 2
// with a message naming the file; a failure to write an output exits 1.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/models/registry.h"
#include "autodistill/viz/plot.h"
#include "cli.h"
#include "commands.h"
#include "model_args.h"

namespace autodistill::cli {
namespace {
namespace fs = std::filesystem;

struct PredictArgs {
  ModelArgs model;
  std::vector<std::string> images;
  std::string out;
  std::string out_dir;
  bool json = false;
};

// Output path per image: --out for one image, else DIR/<stem>.png (stems made unique).
std::vector<fs::path> output_paths(const PredictArgs& a) {
  std::vector<fs::path> out;
  if (!a.out.empty()) {
    AD_CHECK(a.images.size() == 1, "--out writes one file but {} images were given; use --out-dir", a.images.size());
    out.emplace_back(a.out);
  } else if (!a.out_dir.empty()) {
    std::set<std::string> used;
    for (const auto& image : a.images) {
      std::string stem = fs::path(image).stem().string();
      std::string name = stem + ".png";
      for (int k = 1; used.count(name); ++k) name = stem + "_" + std::to_string(k) + ".png";
      used.insert(name);
      out.push_back(fs::path(a.out_dir) / name);
    }
  }
  return out;
}

int run_predict(const PredictArgs& a) {
  const ModelOptions options = model_options(a.model);
  const std::vector<fs::path> outputs = output_paths(a);
  std::shared_ptr<BaseModel> model = create_base_model(a.model.model, options);
  const std::vector<std::string>& classes = model->ontology().classes();
  if (!a.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(a.out_dir, ec);
    AD_CHECK_IO(!ec, "cannot create --out-dir '{}': {}", a.out_dir, ec.message());
  }

  nlohmann::ordered_json report = {{"model", a.model.model}, {"classes", classes}, {"images", nlohmann::ordered_json::array()}};
  for (size_t i = 0; i < a.images.size(); ++i) {
    cv::Mat image;
    try {
      image = load_image(a.images[i]);
    } catch (const IOError& e) {
      // Bad input, not a failure while working: exit 2 as for a bad ontology.
      AD_THROW(InvalidArgument, "{}", e.message());
    }
    const auto t0 = std::chrono::steady_clock::now();
    const Detections d = model->predict(image);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

    nlohmann::ordered_json entry = {{"path", a.images[i]}, {"width", image.cols}, {"height", image.rows},
                                    {"milliseconds", ms}, {"detections", nlohmann::ordered_json::array()}};
    if (!a.json)
      std::printf("%s (%dx%d): %lld detection(s) in %.1f ms\n", a.images[i].c_str(), image.cols, image.rows,
                  static_cast<long long>(d.size()), ms);
    if (!a.json && d.size() > 0)
      std::printf("  %-20s %6s %8s %8s %8s %8s\n", "class", "conf", "x1", "y1", "x2", "y2");
    for (int64_t k = 0; k < d.size(); ++k) {
      const int64_t id = d.class_id()(k);
      const std::string name = (id >= 0 && size_t(id) < classes.size()) ? classes[size_t(id)] : std::to_string(id);
      const auto b = d.xyxy().row(k);
      entry["detections"].push_back({{"class_id", id},
                                     {"class", name},
                                     {"confidence", d.confidence()(k)},
                                     {"xyxy", {b(0), b(1), b(2), b(3)}}});
      if (!a.json)
        std::printf("  %-20s %6.3f %8.1f %8.1f %8.1f %8.1f\n", name.c_str(), d.confidence()(k), b(0), b(1), b(2),
                    b(3));
    }
    if (!outputs.empty()) {
      save_image(outputs[i], plot(image, d, classes));  // IOError -> exit 1
      entry["annotated"] = outputs[i].string();
      if (!a.json) std::printf("  wrote %s\n", outputs[i].string().c_str());
    }
    report["images"].push_back(std::move(entry));
  }
  if (a.json) std::printf("%s\n", report.dump(2).c_str());
  return kExitOk;
}
}  // namespace

SubcommandRunner add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand("predict", "Run a base model on images; print detections, write annotated PNGs");
  add_model_args(cmd, args->model);
  cmd->add_option("--image", args->images, "Input image (repeat for several)")->required();
  auto* out = cmd->add_option("--out", args->out, "Annotated PNG for a single --image");
  auto* out_dir = cmd->add_option("--out-dir", args->out_dir, "Folder for annotated PNGs (<image stem>.png)");
  out->excludes(out_dir);
  cmd->add_flag("--json", args->json, "Print JSON instead of a table");
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    return run_predict(*args);
  };
}

}  // namespace autodistill::cli
