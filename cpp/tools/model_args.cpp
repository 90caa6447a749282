#include "model_args.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"

namespace autodistill::cli {
namespace fs = std::filesystem;

void add_model_args(CLI::App* cmd, ModelArgs& a) {
  cmd->add_option("--model", a.model, "registered base model (see `autodistill-cpp models`)")->required();
  cmd->add_option("--ontology", a.ontology, "prompt -> class map: inline JSON ('{\"person\": \"person\"}') or a .json file")
      ->required();
  cmd->add_option("--options", a.options, "model options: inline JSON object or a .json file")->capture_default_str();
  cmd->add_option("--weights", a.weights, "model weights folder (same as --options '{\"weights\": DIR}')");
  cmd->add_option("--device", a.device, "device for the model: auto, cpu, cuda, cuda:N");
}

bool looks_like_json(const std::string& s) {
  const auto p = s.find_first_not_of(" \t\r\n");
  return p != std::string::npos && (s[p] == '{' || s[p] == '[');
}

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

ModelOptions model_options(const ModelArgs& a) {
  const CaptionOntology ontology = looks_like_json(a.ontology)
                                       ? CaptionOntology::from_json(a.ontology, "--ontology")
                                       : CaptionOntology::from_json(json_text_or_file(a.ontology, "--ontology"),
                                                                    "--ontology file '" + a.ontology + "'");
  const std::string source = looks_like_json(a.options) ? std::string("--options") : "--options file '" + a.options + "'";
  ModelOptions options;
  try {
    options = ModelOptions::parse(json_text_or_file(a.options, "--options"));
  } catch (const nlohmann::json::parse_error& e) {
    AD_THROW(InvalidArgument, "{}: not valid JSON ({})", source, e.what());
  }
  AD_CHECK(options.is_object(), "{}: expected a JSON object, got {}", source, options.dump());
  AD_CHECK(!options.contains("ontology"), "{}: give the ontology with --ontology, not inside the options", source);
  options["ontology"] = ModelOptions::parse(ontology.to_json(-1));
  if (!a.weights.empty()) options["weights"] = a.weights;
  if (!a.device.empty()) options["device"] = a.device;
  return options;
}

std::shared_ptr<BaseModel> build_model(const ModelArgs& a) { return create_base_model(a.model, model_options(a)); }

}  // namespace autodistill::cli
