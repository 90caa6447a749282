#pragma once
// GroundingDinoForObjectDetection (transformers 4.43) as LibTorch modules. Every module registers
// its children under the names of Hugging Face's state_dict (model.backbone.conv_encoder.model.
// encoder.layers.0.blocks.0.attention.self.query.weight, model.encoder.layers.0.fusion_layer...,
// bbox_embed.0.layers.0.weight), so a checkpoint loads with io/weights_map.h by name alone.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "../common/activations.h"
#include "../common/clip_layers.h"
#include "gd_config.h"
#include "ms_deform_attn.h"

namespace autodistill::grounding_dino {

using clip_common::Activation;
using clip_common::Embedding;
using clip_common::LayerNorm;
using TensorMap = std::map<std::string, at::Tensor>;

/// y = x W^T + b (weight (out, in)). Large float32 CPU inputs run through oneDNN when a one-time
/// measurement finds it faster than LibTorch's BLAS (Debian's generic BLAS is ~3x slower than
/// oneDNN here; bf16 GEMMs already use oneDNN inside addmm).
class Linear : public torch::nn::Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  at::Tensor forward(const at::Tensor& x) const;
  at::Tensor weight, bias;
};

/// Which stages to time (seconds accumulated per forward call).
struct StageTimes {
  double backbone = 0, text = 0, encoder = 0, decoder = 0;
};

/// The model inputs (HF names): pixel_values (B, 3, H, W), pixel_mask (B, H, W) (1 = real pixel,
/// optional), input_ids (B, L), attention_mask (B, L) (optional), token_type_ids (B, L) (optional).
/// Returns the HF outputs plus debug.* intermediates (see the fixture manifest) when `debug`.
class GroundingDinoModel : public torch::nn::Module {
 public:
  explicit GroundingDinoModel(const Config& config);
  /// `vision_cache`: when given and empty, filled with the text-independent image features
  /// (backbone, projections, masks, position embeddings); when given and filled, those are reused
  /// and pixel_values is only checked, so several captions cost one backbone pass.
  TensorMap forward(const TensorMap& inputs, bool debug = false, StageTimes* times = nullptr, TensorMap* vision_cache = nullptr);

  /// Text-only part (BERT + projection), for caching prompt features: returns
  /// text_features (B, L, d_model), text_self_attention_masks (B, L, L) bool, text_position_ids.
  TensorMap encode_text(const at::Tensor& input_ids, const at::Tensor& token_type_ids) const;

  const Config& config() const { return config_; }
  MsdaImpl msda_impl = MsdaImpl::kGridSample;

  struct Impl;
  std::shared_ptr<Impl> impl;

 private:
  Config config_;
};

/// Names of file tensors the loader may skip (tied copies of the box head, BERT's position_ids
/// buffer) for this config.
std::vector<std::string> ignored_checkpoint_names(const Config& config);

/// HF's generate_masks_with_special_tokens_and_transfer_map: (B, L, L) bool phrase blocks and
/// (B, L) int64 position ids restarting after each of the ids 101, 102, 1012, 1029.
std::pair<at::Tensor, at::Tensor> phrase_masks_and_positions(const at::Tensor& input_ids);

}  // namespace autodistill::grounding_dino
