#include <catch2/catch.hpp>

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "autodistill/io/safetensors_torch.h"
#include "autodistill/io/weights_map.h"
#include "test_paths.h"

using namespace autodistill;

namespace {
struct Tiny : torch::nn::Module {
  Tiny() {
    w = register_parameter("weight", at::zeros({2, 3}));
    b = register_buffer("running", at::zeros({2}));
  }
  at::Tensor w, b;
};
}  // namespace

TEST_CASE("load_state_dict fills a module's parameters and buffers", "[io][weights]") {
  test::TempDir dir("weights_module");
  save_safetensors(dir / "m.safetensors", {{"weight", at::arange(6, at::kFloat).reshape({2, 3})}, {"running", at::ones({2})}});
  const auto file = SafetensorsFile::open(dir / "m.safetensors");
  Tiny m;
  const auto report = load_state_dict(m, file);
  REQUIRE(report.loaded.size() == 2);
  REQUIRE(m.w[1][2].item<float>() == 5.0f);
  REQUIRE(m.b.sum().item<float>() == 2.0f);
  REQUIRE(m.w.requires_grad());
}
