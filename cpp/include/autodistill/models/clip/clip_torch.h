#pragma once
/// \file
/// LibTorch access to `CLIP` (includes ATen): the raw forward pass under Hugging Face's tensor
/// names, for parity checks, and the pre-processing.

#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "autodistill/models/clip/clip.h"

namespace autodistill {

using TensorMap = std::map<std::string, at::Tensor>;

/// Inputs: pixel_values (B, 3, S, S) float, input_ids (M, L) int64, attention_mask (M, L) (optional).
/// Outputs (float32, CPU): image_embeds (B, P), text_embeds (M, P) (both normalised),
/// logits_per_image (B, M), logits_per_text (M, B), text_last_hidden_state (M, L, Dt),
/// text_pooler_output (M, Dt), vision_last_hidden_state (B, 1+g*g, Dv) (encoder output),
/// vision_pooler_output (B, Dv) (post_layernorm of the class token). Either tower may be absent
/// from the inputs; its outputs (and the logits) are then absent too.
TensorMap forward_raw(CLIP& model, const TensorMap& inputs);

/// pixel_values (N, 3, S, S) float32 of 8-bit BGR images, as CLIPImageProcessor computes them.
at::Tensor preprocess(CLIP& model, const std::vector<cv::Mat>& images);

}  // namespace autodistill
