#pragma once
// Multi-scale deformable attention core (Deformable DETR): for every query, head, level and point,
// bilinearly sample the value map at a location in [0, 1]^2 (grid_sample semantics: align_corners
// = False, zeros outside) and sum the samples weighted by the attention weights. Everything around
// it (projections, softmax, sampling locations) stays in the modules; only this core is swapped for
// a faster implementation (a fused CPU loop here, a CUDA kernel later) behind the same signature.

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace autodistill::grounding_dino {

enum class MsdaImpl {
  kGridSample,  // upstream's pure-PyTorch path: one grid_sample per level (reference)
  kFused,       // one pass over (batch, query, head): gather 4 corners, blend, accumulate (CPU)
};

/// value (B, S, H, Dh) with S = sum of h*w over `shapes` (row-major levels, concatenated);
/// sampling_locations (B, Q, H, L, P, 2) as (x, y) in [0, 1]; attention_weights (B, Q, H, L, P).
/// Returns (B, Q, H*Dh). Same dtype and device as `value`. kFused falls back to kGridSample
/// on non-CPU devices.
at::Tensor ms_deform_attn(const at::Tensor& value, const std::vector<std::pair<int64_t, int64_t>>& shapes,
                          const at::Tensor& sampling_locations, const at::Tensor& attention_weights,
                          MsdaImpl impl = MsdaImpl::kGridSample);

}  // namespace autodistill::grounding_dino
