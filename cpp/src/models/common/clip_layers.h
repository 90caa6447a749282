#pragma once
// The CLIP transformer as LibTorch modules, shared by CLIP, OWL-ViT and OWLv2. Every module
// registers its children under the names of Hugging Face's state_dict (text_model.encoder.layers.0
// .self_attn.q_proj.weight, ...), so a checkpoint loads with io/weights_map.h by name alone.
// Numerics follow transformers 4.43's eager path (scale applied to q before q @ k^T, additive masks
// filled with the dtype's lowest value).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "activations.h"
#include "clip_config.h"

namespace autodistill::clip_common {

/// y = x W^T + b. weight (out, in), bias (out) unless constructed without.
class Linear : public torch::nn::Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  at::Tensor forward(const at::Tensor& x) const;
  at::Tensor weight, bias;
};

class LayerNorm : public torch::nn::Module {
 public:
  LayerNorm(int64_t dim, double eps);
  at::Tensor forward(const at::Tensor& x) const;
  at::Tensor weight, bias;
  int64_t dim;
  double eps;
};

/// Lookup table: weight (num, dim).
class Embedding : public torch::nn::Module {
 public:
  Embedding(int64_t num, int64_t dim);
  at::Tensor weight;
};

/// Multi-head self-attention (q_proj, k_proj, v_proj, out_proj).
class Attention : public torch::nn::Module {
 public:
  Attention(int64_t dim, int64_t heads);
  /// x (B, L, D); `mask` additive, broadcastable to (B, heads, L, L), or undefined.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask) const;
  std::shared_ptr<Linear> k_proj, v_proj, q_proj, out_proj;
  int64_t heads, head_dim;
  double scale;

 private:
  // q, k and v projections concatenated into one GEMM; rebuilt when the parameters' storage
  // changes (loading, .to(dtype/device)). Not a parameter, so checkpoints never see it.
  mutable at::Tensor fused_weight_, fused_bias_;
  mutable const void* fused_from_[3] = {nullptr, nullptr, nullptr};
};

/// fc1 -> activation -> fc2.
class Mlp : public torch::nn::Module {
 public:
  Mlp(int64_t dim, int64_t hidden, Activation act);
  at::Tensor forward(const at::Tensor& x) const;
  std::shared_ptr<Linear> fc1, fc2;
  Activation act;
};

/// Pre-norm block: x + attn(ln1(x)), then x + mlp(ln2(x)).
class EncoderLayer : public torch::nn::Module {
 public:
  EncoderLayer(int64_t dim, int64_t heads, int64_t hidden, Activation act, double eps);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask) const;
  std::shared_ptr<Attention> self_attn;
  std::shared_ptr<LayerNorm> layer_norm1, layer_norm2;
  std::shared_ptr<Mlp> mlp;
};

/// "layers.N" stack.
class Encoder : public torch::nn::Module {
 public:
  Encoder(int64_t num_layers, int64_t dim, int64_t heads, int64_t hidden, Activation act, double eps);
  at::Tensor forward(at::Tensor x, const at::Tensor& mask) const;
  std::vector<std::shared_ptr<EncoderLayer>> layers;
};

/// How the text tower picks the pooled token of each row.
enum class TextPooling {
  kArgmaxId,   // position of the largest id (CLIP with eos_token_id == 2, and OWL-ViT/OWLv2)
  kFirstEos,   // first position whose id == eos_token_id (CLIP otherwise)
};

class TextTransformer : public torch::nn::Module {
 public:
  TextTransformer(const TextConfig& config, TextPooling pooling);
  /// input_ids (N, L) int64, attention_mask (N, L) 0/1 or undefined.
  /// Returns {last_hidden_state (N, L, D) after final_layer_norm, pooled (N, D)}.
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& input_ids, const at::Tensor& attention_mask) const;

  TextConfig config;
  TextPooling pooling;
  std::shared_ptr<torch::nn::Module> embeddings;
  std::shared_ptr<Embedding> token_embedding, position_embedding;  // children of `embeddings`
  std::shared_ptr<Encoder> encoder;
  std::shared_ptr<LayerNorm> final_layer_norm;
};

class VisionTransformer : public torch::nn::Module {
 public:
  /// `pre_norm_name`: "pre_layrnorm" (CLIP's spelling) or "pre_layernorm" (OWL-ViT, OWLv2).
  VisionTransformer(const VisionConfig& config, const std::string& pre_norm_name);
  /// pixel_values (B, C, H, W) with H == W == image_size -> encoder output (B, 1 + g*g, D),
  /// before post_layernorm.
  at::Tensor forward(const at::Tensor& pixel_values) const;

  VisionConfig config;
  std::shared_ptr<torch::nn::Module> embeddings;
  at::Tensor class_embedding;                        // (D), in `embeddings`
  std::shared_ptr<torch::nn::Module> patch_embedding;  // weight (D, C, p, p), no bias
  std::shared_ptr<Embedding> position_embedding;     // (1 + g*g, D)
  std::shared_ptr<LayerNorm> pre_norm, post_layernorm;
  std::shared_ptr<Encoder> encoder;
};

/// CLIPModel / OwlViTModel / Owlv2Model: both towers, projections and logit_scale.
class TwoTower : public torch::nn::Module {
 public:
  explicit TwoTower(const Config& config);
  /// Unnormalised projected text embeddings and the text tower outputs.
  struct TextOut {
    at::Tensor last_hidden_state, pooled, embeds;
  };
  TextOut encode_text(const at::Tensor& input_ids, const at::Tensor& attention_mask) const;

  Config config;
  std::shared_ptr<TextTransformer> text_model;
  std::shared_ptr<VisionTransformer> vision_model;
  std::shared_ptr<Linear> visual_projection, text_projection;
  at::Tensor logit_scale;  // scalar, stored as log
};

/// "[2, 3]" for error messages.
std::string shape_of(const at::Tensor& t);

/// The most negative finite value of a floating dtype (torch.finfo(dtype).min).
double finfo_min(c10::ScalarType dtype);

/// x / ||x||_2 along the last dimension (no epsilon, as upstream).
at::Tensor l2_normalize(const at::Tensor& x);

/// Names of state_dict entries some checkpoints carry that are no parameters of ours.
std::vector<std::string> ignorable_buffers(const std::string& prefix);

}  // namespace autodistill::clip_common
