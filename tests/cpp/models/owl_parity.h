#pragma once
// Shared body of the OWL-ViT and OWLv2 parity tests (the fixtures have the same layout).
#include <fstream>
#include <limits>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "../catch_torch.h"
#include "../test_paths.h"
#include "autodistill/models/owlvit/owlvit_torch.h"
#include "autodistill/models/registry.h"
#include "torch_fixtures.h"

namespace autodistill::test {

template <typename Model>
std::shared_ptr<Model> load_owl(const std::string& name, const std::string& extra = "") {
  const std::string opts = R"({"ontology": {"a cat": "cat", "a dog": "dog", "a car": "car"}, "device": "cpu", "weights": ")" +
                           (fixtures_dir() / name).string() + "\"" + extra + "}";
  auto model = std::dynamic_pointer_cast<Model>(create_base_model(name, opts));
  REQUIRE(model);
  return model;
}

// Every reference output; logits of masked queries (finfo.min) compared exactly and counted.
template <typename Model>
void check_owl_outputs(Model& model, const std::string& name) {
  const auto inputs = read_tensors(fixtures_dir() / name / "inputs.safetensors");
  const auto expected = read_tensors(fixtures_dir() / name / "outputs.safetensors");
  const TensorMap got = forward_raw(model, inputs);
  REQUIRE(got.size() == expected.size());
  std::ifstream mf(fixtures_dir() / name / "manifest.json");
  const auto manifest = nlohmann::json::parse(mf);
  for (const auto& [key, ref] : expected) {
    INFO(name << " output " << key);
    REQUIRE(got.count(key) == 1);
    const at::Tensor& g = got.at(key);
    REQUIRE(g.sizes() == ref.sizes());
    if (key == "logits") {
      const double lowest = double(std::numeric_limits<float>::lowest());
      const at::Tensor masked = ref == lowest;
      CHECK(masked.sum().item<int64_t>() == manifest["outputs"]["logits"]["num_finfo_min_entries_excluded"].get<int64_t>());
      CHECK(at::equal(g.masked_select(masked), ref.masked_select(masked)));
      const at::Tensor gk = g.masked_select(~masked), rk = ref.masked_select(~masked);
      WARN(name << " logits (unmasked) max abs diff " << max_abs_diff(gk, rk));
      CHECK(all_close(gk, rk, 1e-4, 1e-4));
    } else {
      WARN(name << " " << key << " max abs diff " << max_abs_diff(g, ref));
      CHECK(all_close(g, ref, 1e-4, 1e-4));
    }
  }
}

template <typename Model>
void check_owl_preprocess(Model& model, const std::string& name, double tol) {
  const auto pre = read_tensors(fixtures_dir() / name / "preprocess.safetensors");
  for (const std::string i : {"0", "1"}) {
    const cv::Mat bgr = bgr_from_rgb_hwc(pre.at("image" + i + "_u8_hwc"));
    const at::Tensor px = preprocess(model, {bgr});
    const at::Tensor& ref = pre.at("image" + i + "_pixel_values");
    REQUIRE(px.sizes() == ref.sizes());
    const double diff = max_abs_diff(px, ref);
    WARN(name << " pre-processing image" << i << " max abs diff " << diff);
    CHECK(diff < tol);
  }
}

// post_process_object_detection on the reference logits/boxes against the recorded results.
inline void check_owl_postprocess(const std::string& name) {
  const auto expected = read_tensors(fixtures_dir() / name / "outputs.safetensors");
  std::ifstream f(fixtures_dir() / name / "postprocess.json");
  const auto pp = nlohmann::json::parse(f);
  std::vector<std::pair<int64_t, int64_t>> sizes;
  for (const auto& s : pp["target_sizes_hw"]) sizes.emplace_back(s[0].get<int64_t>(), s[1].get<int64_t>());
  const auto results = post_process_object_detection(expected.at("logits"), expected.at("pred_boxes"),
                                                     pp["threshold"].get<double>(), sizes);
  REQUIRE(results.size() == pp["results"].size());
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& ref = pp["results"][i];
    const auto scores = ref["scores"].get<std::vector<float>>();
    const auto labels = ref["labels"].get<std::vector<int64_t>>();
    const auto boxes = ref["boxes_xyxy"].get<std::vector<std::vector<float>>>();
    REQUIRE(results[i].scores.size(0) == int64_t(scores.size()));
    for (size_t k = 0; k < scores.size(); ++k) {
      CHECK(std::abs(results[i].scores[long(k)].item<float>() - scores[k]) < 1e-6f);
      CHECK(results[i].labels[long(k)].item<int64_t>() == labels[k]);
      for (int j = 0; j < 4; ++j) CHECK(std::abs(results[i].boxes[long(k)][j].item<float>() - boxes[k][size_t(j)]) < 1e-3f);
    }
  }
}

}  // namespace autodistill::test
