// Loading CLIP / OWL-ViT / OWLv2 checkpoints: error messages for bad folders and configs that do
// not match the weights, and tiny random checkpoints in other configurations (activations,
// layer-norm eps, non-legacy EOS, patch and image sizes) written here and loaded by the production
// loader.
#include <fstream>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "../../../cpp/src/models/common/clip_layers.h"
#include "../../../cpp/src/models/common/owl_detector.h"
#include "../catch_torch.h"
#include "../test_paths.h"
#include "autodistill/core/error.h"
#include "autodistill/io/safetensors_torch.h"
#include "autodistill/models/clip/clip_torch.h"
#include "autodistill/models/owlvit/owlvit_torch.h"
#include "autodistill/models/registry.h"
#include "torch_fixtures.h"

using namespace autodistill;
namespace fs = std::filesystem;

namespace {

std::string options_for(const fs::path& folder) {
  return R"({"ontology": {"a cat": "cat"}, "device": "cpu", "weights": ")" + folder.string() + "\"}";
}

void copy_tokenizer(const fs::path& to) {
  for (const char* f : {"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"})
    fs::copy_file(test::fixtures_dir() / "clip_tokenizer" / f, to / f, fs::copy_options::overwrite_existing);
}

std::string error_of(const std::string& model, const std::string& options) {
  try {
    create_base_model(model, options);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// A random checkpoint of `config` (diff-form JSON) written to `folder` with save_safetensors.
void write_random_checkpoint(const fs::path& folder, const nlohmann::json& config, clip_common::Family family) {
  fs::create_directories(folder);
  const auto cfg = clip_common::parse_config(config, family, "test config");
  std::shared_ptr<torch::nn::Module> module;
  if (family == clip_common::Family::kClip) module = std::make_shared<clip_common::TwoTower>(cfg);
  else module = std::make_shared<clip_common::OwlDetector>(cfg);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  at::manual_seed(0);
  for (const auto& p : module->named_parameters()) {
    at::Tensor t = at::randn(p.value().sizes()) * 0.2;
    if (p.key().find("norm") != std::string::npos && p.key().find(".weight") != std::string::npos) t = t + 1.0;
    tensors.emplace_back(p.key(), t);
  }
  save_safetensors(folder / "model.safetensors", tensors);
  std::ofstream(folder / "config.json") << config.dump(2);
  const int64_t s = cfg.vision.image_size;
  const nlohmann::json pre = family == clip_common::Family::kClip
                                 ? nlohmann::json{{"size", {{"shortest_edge", s}}}, {"crop_size", s}}
                                 : nlohmann::json{{"size", {{"height", s}, {"width", s}}}};
  std::ofstream(folder / "preprocessor_config.json") << pre.dump();
  copy_tokenizer(folder);
}

}  // namespace

TEST_CASE("clip/owl loading: missing folder, missing files, wrong family", "[models][clip][errors]") {
  const fs::path nowhere = test::fixtures_dir() / "no_such_model";
  CHECK_THAT(error_of("clip", options_for(nowhere)), Catch::Contains("no_such_model") && Catch::Contains("folder"));
  test::TempDir dir("clip_missing");
  fs::copy_file(test::fixtures_dir() / "clip/config.json", dir / "config.json");
  CHECK_THAT(error_of("clip", options_for(dir.path())), Catch::Contains("model.safetensors") && Catch::Contains("missing"));
  std::ofstream(dir / "pytorch_model.bin") << "x";
  CHECK_THAT(error_of("clip", options_for(dir.path())), Catch::Contains("convert"));
  fs::remove(dir / "config.json");
  CHECK_THAT(error_of("clip", options_for(dir.path())), Catch::Contains("config.json"));
  // An OWL-ViT folder is not a CLIP checkpoint.
  CHECK_THAT(error_of("clip", options_for(test::fixtures_dir() / "owlvit")),
             Catch::Contains("model_type") && Catch::Contains("owlvit"));
  CHECK_THAT(error_of("owlvit", R"({"ontology": {"a": "a"}})"), Catch::Contains("weights"));
  CHECK_THAT(error_of("owlv2", options_for(test::fixtures_dir() / "owlv2").insert(1, "\"dtype\": \"float64\", ")),
             Catch::Contains("dtype"));
}

TEST_CASE("clip/owl loading: a config that does not match the tensors lists them with shapes", "[models][clip][errors]") {
  test::TempDir dir("owl_mismatch");
  for (const auto& e : fs::directory_iterator(test::fixtures_dir() / "owlvit")) fs::copy_file(e.path(), dir / e.path().filename().string());
  std::ifstream in(dir / "config.json");
  auto cfg = nlohmann::json::parse(in);
  in.close();
  cfg["vision_config"]["intermediate_size"] = 100;  // fixture has 96
  cfg["text_config"]["num_hidden_layers"] = 3;      // fixture has 2
  std::ofstream(dir / "config.json") << cfg.dump();
  const std::string msg = error_of("owlvit", options_for(dir.path()));
  CHECK_THAT(msg, Catch::Contains("owlvit.vision_model.encoder.layers.0.mlp.fc1.weight"));
  CHECK_THAT(msg, Catch::Contains("[100, 48]") && Catch::Contains("[96, 48]"));
  CHECK_THAT(msg, Catch::Contains("missing") && Catch::Contains("owlvit.text_model.encoder.layers.2.mlp.fc1.weight"));
}

TEST_CASE("clip/owl loading: prompts longer than the context are an error", "[models][owlvit][errors]") {
  auto model = std::dynamic_pointer_cast<OWLViT>(create_base_model(
      "owlvit", R"({"ontology": {"a very long prompt with many many words that cannot fit in sixteen tokens at all": "x"},
                    "device": "cpu", "weights": ")" + (test::fixtures_dir() / "owlvit").string() + "\"}"));
  REQUIRE(model);
  cv::Mat img(32, 32, CV_8UC3, cv::Scalar(0, 0, 0));
  try {
    model->predict(img);
    FAIL("expected an error");
  } catch (const InvalidArgument& e) {
    CHECK_THAT(e.what(), Catch::Contains("context of 16 tokens"));
  }
}

TEST_CASE("clip: tiny random checkpoints in other configurations load and run", "[models][clip]") {
  struct Case {
    const char* act;
    double eps;
    int64_t eos;
    int64_t image, patch;
  };
  for (const Case& c : {Case{"gelu", 1e-6, 2, 40, 8}, Case{"relu", 1e-5, 50, 36, 12}, Case{"gelu_new", 1e-5, 50, 32, 16}}) {
    INFO(c.act << " eos " << c.eos);
    test::TempDir dir("clip_random");
    nlohmann::json cfg = {{"model_type", "clip"},
                          {"projection_dim", 16},
                          {"text_config",
                           {{"hidden_size", 24}, {"intermediate_size", 40}, {"num_attention_heads", 3},
                            {"num_hidden_layers", 1}, {"vocab_size", 700}, {"max_position_embeddings", 10},
                            {"hidden_act", c.act}, {"layer_norm_eps", c.eps}, {"eos_token_id", c.eos}}},
                          {"vision_config",
                           {{"hidden_size", 32}, {"intermediate_size", 48}, {"num_attention_heads", 2},
                            {"num_hidden_layers", 2}, {"image_size", c.image}, {"patch_size", c.patch},
                            {"hidden_act", c.act}, {"layer_norm_eps", c.eps}}}};
    write_random_checkpoint(dir.path(), cfg, clip_common::Family::kClip);
    auto model = std::dynamic_pointer_cast<CLIP>(create_base_model("clip", options_for(dir.path())));
    REQUIRE(model);
    // eos 50 is not the largest id: pooling must take the first eos (position 2), not the argmax (3)
    const at::Tensor ids = at::tensor({1, 70, 50, 80, 50}, at::kLong).view({1, 5});
    const TensorMap out = forward_raw(*model, {{"pixel_values", at::randn({2, 3, c.image, c.image})}, {"input_ids", ids}});
    const int64_t g = c.image / c.patch;
    CHECK(out.at("vision_last_hidden_state").sizes() == at::IntArrayRef({2, 1 + g * g, 32}));
    CHECK(out.at("image_embeds").sizes() == at::IntArrayRef({2, 16}));
    CHECK(out.at("logits_per_image").sizes() == at::IntArrayRef({2, 1}));
    const int64_t pos = c.eos == 2 ? 3 : 2;
    CHECK(at::allclose(out.at("text_pooler_output")[0], out.at("text_last_hidden_state")[0][pos]));
    CHECK(model->predict(cv::Mat(20, 30, CV_8UC3, cv::Scalar(1, 2, 3))).size() == 1);
  }
}

TEST_CASE("owl: tiny random checkpoints with other patch/image sizes load and run", "[models][owlvit][owlv2]") {
  for (const auto family : {clip_common::Family::kOwlViT, clip_common::Family::kOwlV2}) {
    const std::string name = clip_common::family_name(family);
    INFO(name);
    test::TempDir dir("owl_random");
    nlohmann::json cfg = {{"model_type", name},
                          {"projection_dim", 20},
                          {"text_config",
                           {{"hidden_size", 20}, {"intermediate_size", 30}, {"num_attention_heads", 2},
                            {"num_hidden_layers", 1}, {"vocab_size", 700}, {"hidden_act", "gelu"}}},
                          {"vision_config",
                           {{"hidden_size", 24}, {"intermediate_size", 30}, {"num_attention_heads", 4},
                            {"num_hidden_layers", 1}, {"image_size", 40}, {"patch_size", 8},
                            {"layer_norm_eps", 1e-6}}}};
    write_random_checkpoint(dir.path(), cfg, family);
    auto model = create_base_model(name, options_for(dir.path()).insert(1, "\"box_threshold\": 0.0, \"nms_iou\": 1.0, "));
    const Detections d = model->predict(cv::Mat(30, 50, CV_8UC3, cv::Scalar(9, 99, 199)));
    CHECK(d.size() == 25);  // 5 x 5 patches, threshold 0, no NMS
  }
}

TEST_CASE("owl: box bias is the inverse sigmoid of the patch grid's corners and size", "[models][owlvit]") {
  const at::Tensor b = clip_common::owl_box_bias(2);
  REQUIRE(b.sizes() == at::IntArrayRef({4, 4}));
  auto logit = [](double p) { return std::log(p + 1e-4) - std::log1p(-p + 1e-4); };
  // patch (row 0, col 1): x corner 1.0, y corner 0.5, size 0.5
  CHECK(std::abs(b[1][0].item<double>() - logit(1.0)) < 1e-3);
  CHECK(std::abs(b[1][1].item<double>() - logit(0.5)) < 1e-4);
  CHECK(std::abs(b[1][2].item<double>() - logit(0.5)) < 1e-4);
}
