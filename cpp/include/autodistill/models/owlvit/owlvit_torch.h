#pragma once
/// \file
/// LibTorch access to `OWLViT` and `OWLv2` (includes ATen): the raw forward pass under Hugging
/// Face's tensor names, pre-processing and upstream's post-processing, for parity checks.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "autodistill/models/owlv2/owlv2.h"
#include "autodistill/models/owlvit/owlvit.h"

namespace autodistill {

using TensorMap = std::map<std::string, at::Tensor>;

/// Inputs: pixel_values (B, 3, S, S) float (required), input_ids (B*Q, L) int64 grouped per image
/// (rows [i*Q, (i+1)*Q) belong to image i), attention_mask (B*Q, L) (optional).
/// Outputs (float32, CPU): pred_boxes (B, n, 4) cxcywh in [0, 1], image_embeds (B, g, g, Dv)
/// (the feature map), vision_last_hidden_state (B, 1+n, Dv); with input_ids also logits (B, n, Q)
/// (queries whose first id is 0 get finfo(float32).min), class_embeds (B, n, Dt), text_embeds
/// (B, Q, P), text_last_hidden_state, text_pooler_output; OWLv2 adds objectness_logits (B, n).
TensorMap forward_raw(OWLViT& model, const TensorMap& inputs);
TensorMap forward_raw(OWLv2& model, const TensorMap& inputs);

/// pixel_values (N, 3, S, S) float32 of 8-bit BGR images, as the upstream image processor.
at::Tensor preprocess(OWLViT& model, const std::vector<cv::Mat>& images);
at::Tensor preprocess(OWLv2& model, const std::vector<cv::Mat>& images);

/// One image's result of `post_process_object_detection`.
struct OwlDetectionsRaw {
  at::Tensor scores;  ///< (K) float32
  at::Tensor labels;  ///< (K) int64 query index
  at::Tensor boxes;   ///< (K, 4) xyxy in the target size's pixels
};
/// Upstream's post_process_object_detection: score = sigmoid(max over queries), label = argmax,
/// cxcywh -> xyxy scaled by each target (height, width); keeps score > threshold, patch order.
std::vector<OwlDetectionsRaw> post_process_object_detection(const at::Tensor& logits, const at::Tensor& pred_boxes,
                                                            double threshold,
                                                            const std::vector<std::pair<int64_t, int64_t>>& target_sizes_hw);

}  // namespace autodistill
