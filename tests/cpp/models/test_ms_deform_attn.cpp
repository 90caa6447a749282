// The multi-scale deformable attention core: the fused CPU loop against the grid_sample
// formulation (upstream's), including samples outside the map (zeros padding) and bf16.
#include <ATen/ATen.h>

#include "../../../cpp/src/models/grounding_dino/ms_deform_attn.h"
#include "../catch_torch.h"

using namespace autodistill::grounding_dino;

TEST_CASE("ms_deform_attn: fused equals grid_sample (bilinear, zeros outside, align_corners=False)", "[models][grounding_dino]") {
  at::manual_seed(3);
  const std::vector<std::pair<int64_t, int64_t>> shapes{{7, 9}, {4, 5}, {2, 3}, {1, 1}};
  int64_t S = 0;
  for (const auto& [h, w] : shapes) S += h * w;
  const int64_t B = 2, Q = 11, H = 3, Dh = 5, L = 4, P = 3;
  const at::Tensor value = at::randn({B, S, H, Dh});
  // locations in [-0.3, 1.3]: some corners fall outside and must read zero
  const at::Tensor loc = at::rand({B, Q, H, L, P, 2}) * 1.6 - 0.3;
  const at::Tensor aw = at::rand({B, Q, H, L, P});
  const at::Tensor ref = ms_deform_attn(value, shapes, loc, aw, MsdaImpl::kGridSample);
  const at::Tensor fused = ms_deform_attn(value, shapes, loc, aw, MsdaImpl::kFused);
  REQUIRE(fused.sizes() == at::IntArrayRef{B, Q, H * Dh});
  CHECK((fused - ref).abs().max().item<double>() < 1e-5);
  // a hand-worked case: one level 1x2, one point at the centre of pixel 0 -> value of pixel 0;
  // halfway between the pixel centres -> their mean; left of the map by half a pixel -> half of pixel 0
  const at::Tensor v = at::tensor({2.f, 4.f}).view({1, 2, 1, 1});
  const at::Tensor w1 = at::ones({1, 3, 1, 1, 1});
  const at::Tensor l1 = at::tensor({0.25f, 0.5f, 0.5f, 0.5f, 0.0f, 0.5f}).view({1, 3, 1, 1, 1, 2});
  for (auto impl : {MsdaImpl::kGridSample, MsdaImpl::kFused}) {
    const at::Tensor o = ms_deform_attn(v, {{1, 2}}, l1, w1, impl).view(-1);
    CHECK(o[0].item<float>() == Approx(2.f));
    CHECK(o[1].item<float>() == Approx(3.f));
    CHECK(o[2].item<float>() == Approx(1.f));
  }
  // bf16: both paths accept it and agree to bf16 precision
  const at::Tensor rb = ms_deform_attn(value.to(at::kBFloat16), shapes, loc.to(at::kBFloat16), aw.to(at::kBFloat16), MsdaImpl::kGridSample);
  const at::Tensor fb = ms_deform_attn(value.to(at::kBFloat16), shapes, loc.to(at::kBFloat16), aw.to(at::kBFloat16), MsdaImpl::kFused);
  CHECK(rb.scalar_type() == at::kBFloat16);
  CHECK((fb.to(at::kFloat) - ref).abs().max().item<double>() < 0.1);
  CHECK((rb.to(at::kFloat) - ref).abs().max().item<double>() < 0.1);
  CHECK_THROWS(ms_deform_attn(value, {{7, 9}}, loc, aw, MsdaImpl::kFused));
}
