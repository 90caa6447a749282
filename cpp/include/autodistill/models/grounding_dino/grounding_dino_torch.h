#pragma once
/// \file
/// LibTorch access to `GroundingDINO` (includes ATen): the raw forward pass under Hugging Face's
/// tensor names, the image processor and upstream's post-processing, for parity checks and
/// benchmarks.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

#include "autodistill/models/grounding_dino/grounding_dino.h"

namespace autodistill {

using TensorMap = std::map<std::string, at::Tensor>;

/// Inputs: pixel_values (B, 3, H, W) float, input_ids (B, L) int64 (required); pixel_mask (B, H, W)
/// (1 = real pixel), attention_mask (B, L), token_type_ids (B, L) (optional). Outputs (float32,
/// CPU) under transformers' names: logits (B, Q, max_text_len), pred_boxes (B, Q, 4) cxcywh in
/// [0, 1] of the unpadded image, last_hidden_state, init_reference_points,
/// intermediate_hidden_states, intermediate_reference_points, encoder_last_hidden_state_vision /
/// _text, enc_outputs_class, enc_outputs_coord_logits (two-stage), encoder_text_hidden_states.i,
/// decoder_hidden_states.i; with `debug` also the debug.* intermediates of the fixture manifest.
TensorMap forward_raw(GroundingDINO& model, const TensorMap& inputs, bool debug = false);

/// GroundingDinoImageProcessor on 8-bit BGR images: {"pixel_values" (N, 3, Hmax, Wmax) float32,
/// "pixel_mask" (N, Hmax, Wmax) int64}, zero-padded bottom/right to the batch's largest size.
TensorMap preprocess(GroundingDINO& model, const std::vector<cv::Mat>& images);

/// Output size (height, width) of upstream's shortest_edge / longest_edge resize rule.
std::pair<int64_t, int64_t> grounding_dino_resize_hw(int64_t height, int64_t width, int64_t shortest_edge, int64_t longest_edge);

/// One image's result of `post_process_grounded_object_detection`.
struct GroundingDinoRaw {
  at::Tensor scores;                ///< (K) float32, max token probability
  at::Tensor boxes;                 ///< (K, 4) xyxy in the target size's pixels
  at::Tensor query_indices;         ///< (K) int64
  std::vector<std::string> labels;  ///< tokenizer.decode of the tokens above text_threshold
};
/// Upstream's post-processing: probs = sigmoid(logits); keep queries whose max prob >
/// box_threshold (query order); label tokens: positions 1 .. max_text_len-2 with prob >
/// text_threshold, decoded with the model's tokenizer.
std::vector<GroundingDinoRaw> post_process_grounded_object_detection(GroundingDINO& model, const at::Tensor& logits,
                                                                     const at::Tensor& pred_boxes, const at::Tensor& input_ids,
                                                                     double box_threshold, double text_threshold,
                                                                     const std::vector<std::pair<int64_t, int64_t>>& target_sizes_hw);

/// Tokenises `caption` as GroundingDinoProcessor does: input_ids, attention_mask, token_type_ids (1, L).
TensorMap encode_caption(GroundingDINO& model, const std::string& caption);

/// Per-stage wall time of the last predict() calls (seconds, accumulated; reset with zeros).
struct GroundingDinoTimes {
  double backbone = 0, text = 0, encoder = 0, decoder = 0;
};
GroundingDinoTimes& stage_times(GroundingDINO& model);

}  // namespace autodistill
