#include "clip_layers.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include "autodistill/core/error.h"

namespace autodistill::clip_common {

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias) {
  weight = register_parameter("weight", at::empty({out_features, in_features}), false);
  if (with_bias) bias = register_parameter("bias", at::zeros({out_features}), false);
}

at::Tensor Linear::forward(const at::Tensor& x) const { return at::linear(x, weight, bias); }

LayerNorm::LayerNorm(int64_t d, double e) : dim(d), eps(e) {
  weight = register_parameter("weight", at::ones({d}), false);
  bias = register_parameter("bias", at::zeros({d}), false);
}

at::Tensor LayerNorm::forward(const at::Tensor& x) const { return at::layer_norm(x, {dim}, weight, bias, eps); }

Embedding::Embedding(int64_t num, int64_t d) { weight = register_parameter("weight", at::empty({num, d}), false); }

Attention::Attention(int64_t dim, int64_t h) : heads(h), head_dim(dim / h), scale(std::pow(double(dim / h), -0.5)) {
  k_proj = register_module("k_proj", std::make_shared<Linear>(dim, dim));
  v_proj = register_module("v_proj", std::make_shared<Linear>(dim, dim));
  q_proj = register_module("q_proj", std::make_shared<Linear>(dim, dim));
  out_proj = register_module("out_proj", std::make_shared<Linear>(dim, dim));
}

at::Tensor Attention::forward(const at::Tensor& x, const at::Tensor& mask) const {
  const int64_t b = x.size(0), l = x.size(1), e = x.size(2);
  // (B, L, D) -> (B, heads, L, head_dim)
  auto split = [&](const at::Tensor& t) { return t.view({b, l, heads, head_dim}).transpose(1, 2); };
  const void* src[3] = {q_proj->weight.data_ptr(), k_proj->weight.data_ptr(), v_proj->weight.data_ptr()};
  if (!fused_weight_.defined() || !std::equal(src, src + 3, fused_from_)) {
    fused_weight_ = at::cat({q_proj->weight, k_proj->weight, v_proj->weight}, 0);
    fused_bias_ = at::cat({q_proj->bias, k_proj->bias, v_proj->bias}, 0);
    std::copy(src, src + 3, fused_from_);
  }
  const auto qkv = at::linear(x, fused_weight_, fused_bias_).split(e, -1);
  const at::Tensor q = split(qkv[0] * scale);
  const at::Tensor k = split(qkv[1]);
  const at::Tensor v = split(qkv[2]);
  at::Tensor attn = at::matmul(q, k.transpose(-1, -2));
  if (mask.defined()) attn.add_(mask);
  attn = at::softmax(attn, -1);
  const at::Tensor out = at::matmul(attn, v).transpose(1, 2).reshape({b, l, e});
  return out_proj->forward(out);
}

Mlp::Mlp(int64_t dim, int64_t hidden, Activation a) : act(a) {
  fc1 = register_module("fc1", std::make_shared<Linear>(dim, hidden));
  fc2 = register_module("fc2", std::make_shared<Linear>(hidden, dim));
}

at::Tensor Mlp::forward(const at::Tensor& x) const { return fc2->forward(apply_activation(act, fc1->forward(x))); }

EncoderLayer::EncoderLayer(int64_t dim, int64_t heads, int64_t hidden, Activation act, double eps) {
  self_attn = register_module("self_attn", std::make_shared<Attention>(dim, heads));
  layer_norm1 = register_module("layer_norm1", std::make_shared<LayerNorm>(dim, eps));
  mlp = register_module("mlp", std::make_shared<Mlp>(dim, hidden, act));
  layer_norm2 = register_module("layer_norm2", std::make_shared<LayerNorm>(dim, eps));
}

at::Tensor EncoderLayer::forward(const at::Tensor& x, const at::Tensor& mask) const {
  at::Tensor h = x + self_attn->forward(layer_norm1->forward(x), mask);
  return h + mlp->forward(layer_norm2->forward(h));
}

Encoder::Encoder(int64_t num_layers, int64_t dim, int64_t heads, int64_t hidden, Activation act, double eps) {
  auto list = register_module("layers", std::make_shared<torch::nn::Module>());
  for (int64_t i = 0; i < num_layers; ++i)
    layers.push_back(list->register_module(std::to_string(i), std::make_shared<EncoderLayer>(dim, heads, hidden, act, eps)));
}

at::Tensor Encoder::forward(at::Tensor x, const at::Tensor& mask) const {
  for (const auto& layer : layers) x = layer->forward(x, mask);
  return x;
}

std::string shape_of(const at::Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes(), ", ")); }

double finfo_min(c10::ScalarType dtype) {
  switch (dtype) {
    case at::kHalf: return -65504.0;
    case at::kBFloat16: return double(std::numeric_limits<c10::BFloat16>::lowest());
    case at::kDouble: return std::numeric_limits<double>::lowest();
    default: return double(std::numeric_limits<float>::lowest());
  }
}

at::Tensor l2_normalize(const at::Tensor& x) { return x / at::linalg_vector_norm(x, 2, {-1}, true); }

TextTransformer::TextTransformer(const TextConfig& c, TextPooling p) : config(c), pooling(p) {
  embeddings = register_module("embeddings", std::make_shared<torch::nn::Module>());
  token_embedding = embeddings->register_module("token_embedding", std::make_shared<Embedding>(c.vocab_size, c.hidden_size));
  position_embedding = embeddings->register_module(
      "position_embedding", std::make_shared<Embedding>(c.max_position_embeddings, c.hidden_size));
  encoder = register_module("encoder", std::make_shared<Encoder>(c.num_hidden_layers, c.hidden_size, c.num_attention_heads,
                                                                  c.intermediate_size,
                                                                  parse_activation(c.hidden_act, "text_config"),
                                                                  c.layer_norm_eps));
  final_layer_norm = register_module("final_layer_norm", std::make_shared<LayerNorm>(c.hidden_size, c.layer_norm_eps));
}

std::pair<at::Tensor, at::Tensor> TextTransformer::forward(const at::Tensor& input_ids,
                                                           const at::Tensor& attention_mask) const {
  AD_CHECK(input_ids.dim() == 2, "text model: input_ids must be (N, L), got {}", shape_of(input_ids));
  const int64_t n = input_ids.size(0), l = input_ids.size(1);
  AD_CHECK(l >= 1 && l <= config.max_position_embeddings,
           "text model: sequence length {} is outside [1, {}] (max_position_embeddings); truncate the prompt", l,
           config.max_position_embeddings);
  const at::Tensor ids = input_ids.to(token_embedding->weight.device(), at::kLong);
  if (ids.numel() > 0) {
    const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
    AD_CHECK(lo >= 0 && hi < config.vocab_size, "text model: input_ids must be in [0, {}) (vocab_size), got [{}, {}]",
             config.vocab_size, lo, hi);
  }
  const auto dtype = token_embedding->weight.scalar_type();
  at::Tensor h = at::embedding(token_embedding->weight, ids) +
                 position_embedding->weight.narrow(0, 0, l).unsqueeze(0);

  const double lowest = finfo_min(dtype);
  // Causal mask (1, 1, L, L): lowest above the diagonal.
  at::Tensor mask = at::full({l, l}, lowest, h.options()).triu_(1).view({1, 1, l, l});
  if (attention_mask.defined()) {
    AD_CHECK(attention_mask.sizes() == input_ids.sizes(), "text model: attention_mask must be {} like input_ids, got {}",
             shape_of(input_ids), shape_of(attention_mask));
    const at::Tensor pad = (attention_mask.to(h.device()) == 0).view({n, 1, 1, l});
    mask = mask + at::zeros({n, 1, 1, l}, h.options()).masked_fill_(pad, lowest);
  }
  h = encoder->forward(h, mask);
  h = final_layer_norm->forward(h);

  at::Tensor index;
  if (pooling == TextPooling::kArgmaxId) {
    index = ids.to(at::kInt).argmax(-1);
  } else {
    index = (ids == config.eos_token_id).to(at::kInt).argmax(-1);
  }
  const int64_t d = h.size(2);
  const at::Tensor pooled = h.gather(1, index.to(at::kLong).view({n, 1, 1}).expand({n, 1, d})).squeeze(1);
  return {h, pooled};
}

VisionTransformer::VisionTransformer(const VisionConfig& c, const std::string& pre_norm_name) : config(c) {
  embeddings = register_module("embeddings", std::make_shared<torch::nn::Module>());
  class_embedding = embeddings->register_parameter("class_embedding", at::empty({c.hidden_size}), false);
  patch_embedding = embeddings->register_module("patch_embedding", std::make_shared<torch::nn::Module>());
  patch_embedding->register_parameter("weight", at::empty({c.hidden_size, c.num_channels, c.patch_size, c.patch_size}),
                                      false);
  const int64_t g = c.grid();
  position_embedding = embeddings->register_module("position_embedding", std::make_shared<Embedding>(1 + g * g, c.hidden_size));
  pre_norm = register_module(pre_norm_name, std::make_shared<LayerNorm>(c.hidden_size, c.layer_norm_eps));
  encoder = register_module("encoder", std::make_shared<Encoder>(c.num_hidden_layers, c.hidden_size, c.num_attention_heads,
                                                                  c.intermediate_size,
                                                                  parse_activation(c.hidden_act, "vision_config"),
                                                                  c.layer_norm_eps));
  post_layernorm = register_module("post_layernorm", std::make_shared<LayerNorm>(c.hidden_size, c.layer_norm_eps));
}

at::Tensor VisionTransformer::forward(const at::Tensor& pixel_values) const {
  const at::Tensor& w = patch_embedding->named_parameters(false)["weight"];
  AD_CHECK(pixel_values.dim() == 4 && pixel_values.size(1) == config.num_channels &&
               pixel_values.size(2) == config.image_size && pixel_values.size(3) == config.image_size,
           "vision model: pixel_values must be (B, {}, {}, {}), got {}", config.num_channels, config.image_size,
           config.image_size, shape_of(pixel_values));
  const int64_t b = pixel_values.size(0), d = config.hidden_size;
  const at::Tensor x = pixel_values.to(w.device(), w.scalar_type());
  // (B, D, g, g) -> (B, g*g, D), patches row-major.
  const at::Tensor patches = at::conv2d(x, w, {}, {config.patch_size, config.patch_size}).flatten(2).transpose(1, 2);
  at::Tensor h = at::cat({class_embedding.view({1, 1, d}).expand({b, 1, d}), patches}, 1);
  h = h + position_embedding->weight.unsqueeze(0);
  h = pre_norm->forward(h);
  return encoder->forward(h, at::Tensor());
}

TwoTower::TwoTower(const Config& c) : config(c) {
  const bool clip = c.family == Family::kClip;
  const TextPooling pooling =
      (!clip || c.text.eos_token_id == 2) ? TextPooling::kArgmaxId : TextPooling::kFirstEos;
  text_model = register_module("text_model", std::make_shared<TextTransformer>(c.text, pooling));
  vision_model = register_module("vision_model",
                                 std::make_shared<VisionTransformer>(c.vision, clip ? "pre_layrnorm" : "pre_layernorm"));
  visual_projection = register_module("visual_projection", std::make_shared<Linear>(c.vision.hidden_size, c.projection_dim, false));
  text_projection = register_module("text_projection", std::make_shared<Linear>(c.text.hidden_size, c.projection_dim, false));
  logit_scale = register_parameter("logit_scale", at::full({}, c.logit_scale_init_value), false);
}

TwoTower::TextOut TwoTower::encode_text(const at::Tensor& input_ids, const at::Tensor& attention_mask) const {
  TextOut out;
  std::tie(out.last_hidden_state, out.pooled) = text_model->forward(input_ids, attention_mask);
  out.embeds = text_projection->forward(out.pooled);
  return out;
}

std::vector<std::string> ignorable_buffers(const std::string& prefix) {
  return {prefix + "text_model.embeddings.position_ids", prefix + "vision_model.embeddings.position_ids"};
}

}  // namespace autodistill::clip_common
