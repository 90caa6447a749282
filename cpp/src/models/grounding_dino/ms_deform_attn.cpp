#include "ms_deform_attn.h"

#include <ATen/Parallel.h>

#include "autodistill/core/error.h"

namespace autodistill::grounding_dino {
namespace {

at::Tensor msda_grid_sample(const at::Tensor& value, const std::vector<std::pair<int64_t, int64_t>>& shapes,
                            const at::Tensor& loc, const at::Tensor& attn) {
  const int64_t B = value.size(0), H = value.size(2), Dh = value.size(3);
  const int64_t Q = loc.size(1), L = loc.size(3), P = loc.size(4);
  const at::Tensor grids = loc * 2 - 1;
  std::vector<at::Tensor> sampled;
  int64_t start = 0;
  for (int64_t l = 0; l < L; ++l) {
    const auto [h, w] = shapes[size_t(l)];
    const at::Tensor v = value.narrow(1, start, h * w).flatten(2).transpose(1, 2).reshape({B * H, Dh, h, w});
    start += h * w;
    const at::Tensor g = grids.select(3, l).transpose(1, 2).flatten(0, 1);  // (B*H, Q, P, 2)
    sampled.push_back(at::grid_sampler(v, g, /*bilinear*/ 0, /*zeros*/ 0, /*align_corners*/ false));
  }
  const at::Tensor w = attn.transpose(1, 2).reshape({B * H, 1, Q, L * P});
  const at::Tensor out = (at::stack(sampled, -2).flatten(-2) * w).sum(-1).view({B, H * Dh, Q});
  return out.transpose(1, 2).contiguous();
}

template <typename T>
void msda_fused_kernel(const T* value, const int64_t* shape_hw, const int64_t* starts, const T* loc, const T* attn, T* out,
                       int64_t B, int64_t S, int64_t Q, int64_t H, int64_t Dh, int64_t L, int64_t P) {
  // value is (B, H, S, Dh): one head's maps are contiguous, and work is ordered (b, h, q) so that
  // consecutive queries (neighbouring pixels in the encoder) read the same, cache-resident head
  // slice. Each corner is a contiguous Dh vector; accumulation in float.
  at::parallel_for(0, B * H * Q, 64, [&](int64_t begin, int64_t end) {
    std::vector<float> acc(static_cast<size_t>(Dh), 0.f);
    for (int64_t idx = begin; idx < end; ++idx) {
      const int64_t q = idx % Q, bh = idx / Q, h = bh % H, b = bh / H;
      std::fill(acc.begin(), acc.end(), 0.f);
      const int64_t base = (((b * Q + q) * H + h) * L) * P;
      const T* vhead = value + bh * S * Dh;
      for (int64_t l = 0; l < L; ++l) {
        const int64_t hl = shape_hw[2 * l], wl = shape_hw[2 * l + 1];
        const T* vlevel = vhead + starts[l] * Dh;
        for (int64_t p = 0; p < P; ++p) {
          const int64_t i = base + l * P + p;
          const float a = float(attn[i]);
          // grid_sample, align_corners=False: pixel = loc * size - 0.5
          const float x = float(loc[2 * i]) * float(wl) - 0.5f;
          const float y = float(loc[2 * i + 1]) * float(hl) - 0.5f;
          const float fx = std::floor(x), fy = std::floor(y);
          const int64_t x0 = int64_t(fx), y0 = int64_t(fy);
          const float dx = x - fx, dy = y - fy;
          const float wts[4] = {(1 - dx) * (1 - dy) * a, dx * (1 - dy) * a, (1 - dx) * dy * a, dx * dy * a};
          const int64_t xs[4] = {x0, x0 + 1, x0, x0 + 1}, ys[4] = {y0, y0, y0 + 1, y0 + 1};
          for (int c = 0; c < 4; ++c) {
            if (xs[c] < 0 || ys[c] < 0 || xs[c] >= wl || ys[c] >= hl) continue;
            const T* v = vlevel + (ys[c] * wl + xs[c]) * Dh;
            const float wc = wts[c];
            for (int64_t d = 0; d < Dh; ++d) acc[size_t(d)] += wc * float(v[d]);
          }
        }
      }
      T* o = out + ((b * Q + q) * H + h) * Dh;
      for (int64_t d = 0; d < Dh; ++d) o[d] = T(acc[size_t(d)]);
    }
  });
}

at::Tensor msda_fused(const at::Tensor& value_in, const std::vector<std::pair<int64_t, int64_t>>& shapes,
                      const at::Tensor& loc_in, const at::Tensor& attn_in) {
  const at::Tensor value = value_in.permute({0, 2, 1, 3}).contiguous(), loc = loc_in.contiguous(), attn = attn_in.contiguous();
  const int64_t B = value.size(0), H = value.size(1), S = value.size(2), Dh = value.size(3);
  const int64_t Q = loc.size(1), L = loc.size(3), P = loc.size(4);
  std::vector<int64_t> shape_hw, starts;
  int64_t start = 0;
  for (const auto& [h, w] : shapes) {
    shape_hw.push_back(h);
    shape_hw.push_back(w);
    starts.push_back(start);
    start += h * w;
  }
  at::Tensor out = at::empty({B, Q, H * Dh}, value.options());
  if (value.scalar_type() == at::kFloat) {
    msda_fused_kernel<float>(value.data_ptr<float>(), shape_hw.data(), starts.data(), loc.data_ptr<float>(),
                             attn.data_ptr<float>(), out.data_ptr<float>(), B, S, Q, H, Dh, L, P);
  } else if (value.scalar_type() == at::kBFloat16) {
    msda_fused_kernel<at::BFloat16>(value.data_ptr<at::BFloat16>(), shape_hw.data(), starts.data(),
                                    loc.data_ptr<at::BFloat16>(), attn.data_ptr<at::BFloat16>(),
                                    out.data_ptr<at::BFloat16>(), B, S, Q, H, Dh, L, P);
  } else {
    return msda_grid_sample(value, shapes, loc, attn);
  }
  return out;
}

}  // namespace

at::Tensor ms_deform_attn(const at::Tensor& value, const std::vector<std::pair<int64_t, int64_t>>& shapes,
                          const at::Tensor& sampling_locations, const at::Tensor& attention_weights, MsdaImpl impl) {
  AD_CHECK(value.dim() == 4 && sampling_locations.dim() == 6 && attention_weights.dim() == 5,
           "ms_deform_attn: expected value (B,S,H,Dh), locations (B,Q,H,L,P,2), weights (B,Q,H,L,P); got {}-d, {}-d, {}-d",
           value.dim(), sampling_locations.dim(), attention_weights.dim());
  AD_CHECK(int64_t(shapes.size()) == sampling_locations.size(3), "ms_deform_attn: {} level shapes for {} levels",
           shapes.size(), sampling_locations.size(3));
  int64_t total = 0;
  for (const auto& [h, w] : shapes) total += h * w;
  AD_CHECK(total == value.size(1), "ms_deform_attn: level shapes cover {} positions, value has {}", total, value.size(1));
  if (impl == MsdaImpl::kFused && value.device().is_cpu())
    return msda_fused(value, shapes, sampling_locations.to(value.scalar_type()), attention_weights.to(value.scalar_type()));
  // LibTorch's CPU grid_sampler has no reduced-precision kernels: sample in float32 there.
  if (value.device().is_cpu() && value.scalar_type() != at::kFloat && value.scalar_type() != at::kDouble)
    return msda_grid_sample(value.to(at::kFloat), shapes, sampling_locations.to(at::kFloat), attention_weights.to(at::kFloat))
        .to(value.scalar_type());
  return msda_grid_sample(value, shapes, sampling_locations, attention_weights);
}

}  // namespace autodistill::grounding_dino
