// Grounding DINO against transformers 4.43.4 on the random-weight fixture (tests/fixtures/grounding_dino):
// every output and debug intermediate, both batch-1 runs, pre- and post-processing.
#include <cmath>
#include <fstream>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "../catch_torch.h"
#include "../test_paths.h"
#include "autodistill/models/grounding_dino/grounding_dino_torch.h"
#include "autodistill/models/registry.h"
#include "torch_fixtures.h"

using namespace autodistill;

namespace {

const std::filesystem::path kDir = test::fixtures_dir() / "grounding_dino";

std::shared_ptr<GroundingDINO> load_gdino(const std::string& extra = "",
                                          const std::string& ontology = R"({"two dogs": "dog", "a red bicycle": "bicycle"})") {
  const std::string opts = R"({"ontology": )" + ontology + R"(, "device": "cpu", "weights": ")" + kDir.string() + "\"" + extra + "}";
  auto model = std::dynamic_pointer_cast<GroundingDINO>(create_base_model("grounding_dino", opts));
  REQUIRE(model);
  return model;
}

nlohmann::json manifest() {
  std::ifstream f(kDir / "manifest.json");
  return nlohmann::json::parse(f);
}

// Finite entries within atol + rtol * |ref|; infinite entries equal.
void check_close(const std::string& name, const at::Tensor& got, const at::Tensor& ref, double atol) {
  INFO("output " << name);
  REQUIRE(got.sizes() == ref.sizes());
  if (ref.scalar_type() == at::kBool || ref.scalar_type() == at::kLong) {
    CHECK(at::equal(got.to(ref.scalar_type()), ref));
    return;
  }
  const at::Tensor r = ref.to(at::kDouble), g = got.to(at::kDouble);
  const at::Tensor finite = at::isfinite(r);
  CHECK(at::equal(at::isfinite(g), finite));
  CHECK(at::equal(g.masked_select(~finite), r.masked_select(~finite)));
  const at::Tensor gf = g.masked_select(finite), rf = r.masked_select(finite);
  const double diff = gf.numel() ? (gf - rf).abs().max().item<double>() : 0.0;
  WARN("grounding_dino " << name << " max abs diff " << diff);
  CHECK(at::allclose(gf, rf, 1e-4, atol));
}

double tolerance_for(const std::string& key) {
  return (key.find("logits") != std::string::npos && key.find("coord") == std::string::npos) || key.find("enc_outputs_class") != std::string::npos
             ? 1e-3 : 1e-4;
}

}  // namespace

TEST_CASE("grounding_dino: every output and intermediate matches transformers 4.43.4", "[models][grounding_dino][parity]") {
  auto model = load_gdino(R"(, "deform_attn": "grid_sample")");
  const auto inputs = test::read_tensors(kDir / "inputs.safetensors");
  const auto expected = test::read_tensors(kDir / "outputs.safetensors");
  const TensorMap got = forward_raw(*model, inputs, /*debug=*/true);
  int compared = 0;
  for (const auto& [key, ref] : expected) {
    if (key.rfind("single", 0) == 0) continue;
    INFO("output " << key);
    REQUIRE(got.count(key) == 1);
    check_close(key, got.at(key), ref, tolerance_for(key));
    ++compared;
  }
  CHECK(compared == 33);
}

TEST_CASE("grounding_dino: the fused deformable attention matches the grid_sample path", "[models][grounding_dino][parity]") {
  auto fused = load_gdino(R"(, "deform_attn": "fused")");
  const auto inputs = test::read_tensors(kDir / "inputs.safetensors");
  const auto expected = test::read_tensors(kDir / "outputs.safetensors");
  const TensorMap got = forward_raw(*fused, inputs, false);
  for (const std::string key : {"logits", "pred_boxes", "last_hidden_state", "encoder_last_hidden_state_vision", "enc_outputs_coord_logits"})
    check_close(key, got.at(key), expected.at(key), tolerance_for(key));
}

TEST_CASE("grounding_dino: batch-1 runs on each caption alone match upstream", "[models][grounding_dino][parity]") {
  auto model = load_gdino();
  const auto pre = test::read_tensors(kDir / "preprocess.safetensors");
  const auto expected = test::read_tensors(kDir / "outputs.safetensors");
  for (const std::string i : {"0", "1"}) {
    const at::Tensor ids = expected.at("single" + i + ".input_ids");
    const TensorMap got = forward_raw(*model,
                                      {{"pixel_values", pre.at("image" + i + "_pixel_values")},
                                       {"pixel_mask", pre.at("image" + i + "_pixel_mask")},
                                       {"input_ids", ids}},
                                      true);
    for (const std::string key : {"logits", "pred_boxes", "last_hidden_state", "init_reference_points", "encoder_last_hidden_state_text"})
      check_close("single" + i + "." + key, got.at(key), expected.at("single" + i + "." + key), tolerance_for(key));
    CHECK(at::equal(got.at("debug.enc_topk_indices"), expected.at("single" + i + ".enc_topk_indices")));
  }
}
