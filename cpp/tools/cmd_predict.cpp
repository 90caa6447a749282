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

namespace autodistill::cli {
namespace {
namespace fs = std::filesystem;

struct PredictArgs {
  std::string model;
  std::string ontology;
  std::vector<std::string> images;
  std::string options = "{}";
  std::string out;
  std::string out_dir;
  bool json = false;
};

bool looks_like_json(const std::string& s) {
  const auto p = s.find_first_not_of(" \t\r\n");
  return p != std::string::npos && (s[p] == '{' || s[p] == '[');
}

// Inline JSON, or the contents of a file. `what` names the argument in messages.
std::string json_text_or_file(const std::string& arg, const char* what) {
  if (looks_like_json(arg)) return arg;
  std::error_code ec;
  AD_CHECK(fs::is_regular_file(arg, ec), "{} '{}' is neither inline JSON nor an existing file", what, arg);
  std::ifstream in(arg, std::ios::binary);
  AD_CHECK(in.good(), "cannot read {} file '{}'", what, arg);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ModelOptions parse_options(const std::string& arg) {
  const std::string text = json_text_or_file(arg, "--options");
  const std::string source = looks_like_json(arg) ? std::string("--options") : "--options file '" + arg + "'";
  ModelOptions options;
  try {
    options = ModelOptions::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    AD_THROW(InvalidArgument, "{}: not valid JSON ({})", source, e.what());
  }
  AD_CHECK(options.is_object(), "{}: expected a JSON object, got {}", source, options.dump());
  AD_CHECK(!options.contains("ontology"), "{}: give the ontology with --ontology, not inside the options", source);
  return options;
}

CaptionOntology parse_ontology(const std::string& arg) {
  if (looks_like_json(arg)) return CaptionOntology::from_json(arg, "--ontology");
  std::error_code ec;
  AD_CHECK(fs::is_regular_file(arg, ec), "--ontology '{}' is neither inline JSON nor an existing file", arg);
  return CaptionOntology::load(arg);  // names the file in its errors
}

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
  CaptionOntology ontology = parse_ontology(a.ontology);
  ModelOptions options = parse_options(a.options);
  options["ontology"] = nlohmann::ordered_json::parse(ontology.to_json());
  const std::vector<fs::path> outputs = output_paths(a);
  std::shared_ptr<BaseModel> model = create_base_model(a.model, options);
  const std::vector<std::string>& classes = model->ontology().classes();
  if (!a.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(a.out_dir, ec);
    AD_CHECK_IO(!ec, "cannot create --out-dir '{}': {}", a.out_dir, ec.message());
  }

  nlohmann::ordered_json report = {{"model", a.model}, {"classes", classes}, {"images", nlohmann::ordered_json::array()}};
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
  cmd->add_option("--model", args->model, "Registered model name (see `models`), e.g. hog_people, cascade")
      ->required();
  cmd->add_option("--ontology", args->ontology,
                  "Prompt -> class map: inline JSON ('{\"person\": \"person\"}') or a .json file")
      ->required();
  cmd->add_option("--image", args->images, "Input image (repeat for several)")->required();
  cmd->add_option("--options", args->options, "Model options: inline JSON object or a .json file")
      ->capture_default_str();
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
