#include "gd_model.h"

#include <chrono>
#include <functional>

#include <fmt/ranges.h>
#include <cmath>
#include <limits>

#include <c10/core/InferenceMode.h>

#include "autodistill/core/error.h"
#include "autodistill/core/logging.h"

namespace autodistill::grounding_dino {

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias) {
  weight = register_parameter("weight", at::empty({out_features, in_features}), false);
  if (with_bias) bias = register_parameter("bias", at::zeros({out_features}), false);
}

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Whether oneDNN's fp32 GEMM beats the BLAS LibTorch was built with, measured once on an
// encoder-sized product (constant inputs: the global RNG is left alone). Debian's generic BLAS runs
// ~3x slower than oneDNN; a tuned OpenBLAS/MKL wins and then keeps at::linear.
bool onednn_fp32_faster() {
  static const bool faster = [] {
    if (!at::hasMKLDNN()) return false;
    c10::InferenceMode guard;
    const at::Tensor x = at::full({2048, 256}, 0.5f), w = at::full({1024, 256}, 0.25f);
    auto best = [](const std::function<void()>& fn) {
      fn();
      double t = 1e30;
      for (int i = 0; i < 3; ++i) {
        const auto t0 = Clock::now();
        fn();
        t = std::min(t, seconds_since(t0));
      }
      return t;
    };
    const double blas = best([&] { (void)at::linear(x, w); });
    const double dnn = best([&] { (void)at::mkldnn_linear(x.to_mkldnn(), w.to_mkldnn(), c10::nullopt).to_dense(); });
    log_debug("grounding_dino: fp32 GEMM {:.2f} ms with the BLAS, {:.2f} ms with oneDNN", blas * 1e3, dnn * 1e3);
    return dnn < 0.8 * blas;
  }();
  return faster;
}

}  // namespace

at::Tensor Linear::forward(const at::Tensor& x) const {
  const int64_t in = x.size(-1), rows = in ? x.numel() / in : 0;
  // Below ~128 rows the layout conversions cost more than the GEMM saves.
  if (rows >= 128 && x.scalar_type() == at::kFloat && x.device().is_cpu() && onednn_fp32_faster()) {
    std::vector<int64_t> sizes = x.sizes().vec();
    sizes.back() = weight.size(0);
    const at::Tensor y = at::mkldnn_linear(x.reshape({rows, in}).contiguous().to_mkldnn(), weight.contiguous().to_mkldnn(),
                                           bias.defined() ? c10::optional<at::Tensor>(bias.contiguous().to_mkldnn()) : c10::nullopt);
    return y.to_dense().view(sizes);
  }
  return at::linear(x, weight, bias);
}

namespace {

constexpr double kPi = 3.14159265358979323846;

// Numbered children ("layers.0", "layers.1", ...) under one container, as nn.ModuleList.
template <typename T>
std::vector<std::shared_ptr<T>> make_list(torch::nn::Module& parent, const std::string& name, int64_t n,
                                          const std::function<std::shared_ptr<T>(int64_t)>& make) {
  auto list = parent.register_module(name, std::make_shared<torch::nn::Module>());
  std::vector<std::shared_ptr<T>> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(list->register_module(std::to_string(i), make(i)));
  return out;
}

class Conv2d : public torch::nn::Module {
 public:
  Conv2d(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, bool with_bias = true) : stride_(stride), pad_(pad) {
    weight = register_parameter("weight", at::empty({out, in, k, k}), false);
    if (with_bias) bias = register_parameter("bias", at::zeros({out}), false);
  }
  at::Tensor forward(const at::Tensor& x) const { return at::conv2d(x, weight, bias, {stride_, stride_}, {pad_, pad_}); }
  at::Tensor weight, bias;

 private:
  int64_t stride_, pad_;
};

class GroupNorm : public torch::nn::Module {
 public:
  GroupNorm(int64_t groups, int64_t channels, double eps) : groups_(groups), eps_(eps) {
    weight = register_parameter("weight", at::ones({channels}), false);
    bias = register_parameter("bias", at::zeros({channels}), false);
  }
  at::Tensor forward(const at::Tensor& x) const { return at::group_norm(x, groups_, weight, bias, eps_); }
  at::Tensor weight, bias;

 private:
  int64_t groups_;
  double eps_;
};

// DETR's MLP head: Linear layers with ReLU between.
class MlpHead : public torch::nn::Module {
 public:
  MlpHead(int64_t in, int64_t hidden, int64_t out, int64_t num_layers) {
    layers = make_list<Linear>(*this, "layers", num_layers, [&](int64_t i) {
      return std::make_shared<Linear>(i == 0 ? in : hidden, i == num_layers - 1 ? out : hidden);
    });
  }
  at::Tensor forward(at::Tensor x) const {
    for (size_t i = 0; i < layers.size(); ++i) {
      x = layers[i]->forward(x);
      if (i + 1 < layers.size()) x = at::relu(x);
    }
    return x;
  }
  std::vector<std::shared_ptr<Linear>> layers;
};

at::Tensor finfo_min_like(const at::Tensor& mask_float) {
  switch (mask_float.scalar_type()) {
    case at::kHalf: return at::scalar_tensor(-65504.0, mask_float.options());
    case at::kBFloat16: return at::scalar_tensor(-3.3895313892515355e38, mask_float.options());
    default: return at::scalar_tensor(double(std::numeric_limits<float>::lowest()), mask_float.options());
  }
}

// (1 - m) * finfo(dtype).min for a boolean "may attend" mask.
at::Tensor additive_mask(const at::Tensor& allowed, at::ScalarType dtype) {
  const at::Tensor m = allowed.to(dtype);
  return (1.0 - m) * finfo_min_like(m);
}

at::Tensor logit_eps(const at::Tensor& x, double eps) {
  const at::Tensor c = x.clamp(eps, 1.0 - eps);
  return at::log(c / (1 - c));
}

// get_sine_pos_embed: every coordinate -> num_pos_feats interleaved sin/cos features; the first
// two coordinates swapped when exchange_xy.
at::Tensor sine_pos_embed(const at::Tensor& pos, int64_t num_feats, double temperature, bool exchange_xy) {
  const at::Tensor dim_t = at::pow(temperature, 2 * at::floor_divide(at::arange(num_feats, pos.options().dtype(at::kFloat)), 2) / double(num_feats));
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < pos.size(-1); ++i) {
    const at::Tensor x = pos.narrow(-1, i, 1) * (2 * kPi) / dim_t;
    const int64_t nd = x.dim();
    using namespace at::indexing;
    const at::Tensor s = x.index({"...", Slice(0, None, 2)}).sin(), c = x.index({"...", Slice(1, None, 2)}).cos();
    parts.push_back(at::stack({s, c}, nd).flatten(nd - 1));
  }
  if (exchange_xy && parts.size() >= 2) std::swap(parts[0], parts[1]);
  return at::cat(parts, -1);
}

// ------------------------------------------------------------------ Swin backbone

at::Tensor window_partition(const at::Tensor& x, int64_t ws) {
  const int64_t B = x.size(0), H = x.size(1), W = x.size(2), C = x.size(3);
  return x.view({B, H / ws, ws, W / ws, ws, C}).permute({0, 1, 3, 2, 4, 5}).contiguous().view({-1, ws * ws, C});
}

at::Tensor window_reverse(const at::Tensor& windows, int64_t ws, int64_t H, int64_t W) {
  const int64_t C = windows.size(-1);
  return windows.view({-1, H / ws, W / ws, ws, ws, C}).permute({0, 1, 3, 2, 4, 5}).contiguous().view({-1, H, W, C});
}

class SwinSelfAttention : public torch::nn::Module {
 public:
  SwinSelfAttention(int64_t dim, int64_t heads, int64_t ws, bool qkv_bias) : heads_(heads), head_dim_(dim / heads), ws_(ws) {
    query = register_module("query", std::make_shared<Linear>(dim, dim, qkv_bias));
    key = register_module("key", std::make_shared<Linear>(dim, dim, qkv_bias));
    value = register_module("value", std::make_shared<Linear>(dim, dim, qkv_bias));
    relative_position_bias_table = register_parameter("relative_position_bias_table", at::zeros({(2 * ws - 1) * (2 * ws - 1), heads}), false);
    const at::Tensor coords = at::stack(at::meshgrid({at::arange(ws), at::arange(ws)}, "ij")).flatten(1);  // (2, N)
    at::Tensor rel = (coords.unsqueeze(2) - coords.unsqueeze(1)).permute({1, 2, 0}).contiguous();
    rel.select(2, 0).add_(ws - 1);
    rel.select(2, 1).add_(ws - 1);
    rel.select(2, 0).mul_(2 * ws - 1);
    // The checkpoint's copy loads into the registered buffer (module dtype casts may touch it);
    // indexing uses this int64 copy.
    index_ = rel.sum(-1).view(-1);
    relative_position_index = register_buffer("relative_position_index", index_.view({ws * ws, ws * ws}).clone());
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask) const {
    const int64_t Bw = x.size(0), N = x.size(1), C = x.size(2);
    auto split = [&](const std::shared_ptr<Linear>& l) { return l->forward(x).view({Bw, N, heads_, head_dim_}).permute({0, 2, 1, 3}); };
    const at::Tensor q = split(query), k = split(key), v = split(value);
    at::Tensor scores = at::matmul(q, k.transpose(-1, -2)) / std::sqrt(double(head_dim_));
    const at::Tensor bias = relative_position_bias_table.index_select(0, index_.to(relative_position_bias_table.device()))
                                .view({N, N, -1}).permute({2, 0, 1}).contiguous();
    scores = scores + bias.unsqueeze(0);
    if (mask.defined()) {
      const int64_t nW = mask.size(0);
      scores = scores.view({Bw / nW, nW, heads_, N, N}) + mask.unsqueeze(1).unsqueeze(0);
      scores = scores.view({-1, heads_, N, N});
    }
    const at::Tensor ctx = at::matmul(scores.softmax(-1), v);
    return ctx.permute({0, 2, 1, 3}).contiguous().view({Bw, N, C});
  }
  std::shared_ptr<Linear> query, key, value;
  at::Tensor relative_position_bias_table, relative_position_index;

 private:
  at::Tensor index_;
  int64_t heads_, head_dim_, ws_;
};

class SwinBlock : public torch::nn::Module {
 public:
  SwinBlock(const SwinConfig& c, int64_t dim, int64_t heads, int64_t shift)
      : ws_(c.window_size), shift_(shift), act_(clip_common::parse_activation(c.hidden_act, "swin")) {
    layernorm_before = register_module("layernorm_before", std::make_shared<LayerNorm>(dim, c.layer_norm_eps));
    auto attention = register_module("attention", std::make_shared<torch::nn::Module>());
    self_attn = attention->register_module("self", std::make_shared<SwinSelfAttention>(dim, heads, ws_, c.qkv_bias));
    auto output_m = attention->register_module("output", std::make_shared<torch::nn::Module>());
    attn_out = output_m->register_module("dense", std::make_shared<Linear>(dim, dim));
    layernorm_after = register_module("layernorm_after", std::make_shared<LayerNorm>(dim, c.layer_norm_eps));
    const int64_t hidden = int64_t(c.mlp_ratio * double(dim));
    auto inter = register_module("intermediate", std::make_shared<torch::nn::Module>());
    fc1 = inter->register_module("dense", std::make_shared<Linear>(dim, hidden));
    auto out = register_module("output", std::make_shared<torch::nn::Module>());
    fc2 = out->register_module("dense", std::make_shared<Linear>(hidden, dim));
  }

  at::Tensor attn_mask(int64_t Hp, int64_t Wp, const at::TensorOptions& opts) const {
    at::Tensor img = at::zeros({1, Hp, Wp, 1}, opts);
    const int64_t hs[4] = {0, Hp - ws_, Hp - shift_, Hp}, wss[4] = {0, Wp - ws_, Wp - shift_, Wp};
    int64_t cnt = 0;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        const int64_t h0 = std::max<int64_t>(hs[i], 0), h1 = std::max<int64_t>(hs[i + 1], 0);
        const int64_t w0 = std::max<int64_t>(wss[j], 0), w1 = std::max<int64_t>(wss[j + 1], 0);
        if (h1 > h0 && w1 > w0) img.narrow(1, h0, h1 - h0).narrow(2, w0, w1 - w0).fill_(double(cnt));
        ++cnt;
      }
    const at::Tensor mw = window_partition(img, ws_).view({-1, ws_ * ws_});
    const at::Tensor m = mw.unsqueeze(1) - mw.unsqueeze(2);
    return m.masked_fill(m != 0, -100.0).masked_fill(m == 0, 0.0);
  }

  at::Tensor forward(const at::Tensor& x, int64_t H, int64_t W) const {
    const int64_t B = x.size(0), C = x.size(2);
    at::Tensor h = layernorm_before->forward(x).view({B, H, W, C});
    const int64_t pad_r = (ws_ - W % ws_) % ws_, pad_b = (ws_ - H % ws_) % ws_;
    if (pad_r > 0 || pad_b > 0) h = at::constant_pad_nd(h, {0, 0, 0, pad_r, 0, pad_b}, 0);
    const int64_t Hp = H + pad_b, Wp = W + pad_r;
    if (shift_ > 0) h = at::roll(h, {-shift_, -shift_}, {1, 2});
    const at::Tensor mask = shift_ > 0 ? attn_mask(Hp, Wp, h.options()) : at::Tensor();
    at::Tensor a = attn_out->forward(self_attn->forward(window_partition(h, ws_), mask));
    a = window_reverse(a, ws_, Hp, Wp);
    if (shift_ > 0) a = at::roll(a, {shift_, shift_}, {1, 2});
    if (pad_r > 0 || pad_b > 0) a = a.narrow(1, 0, H).narrow(2, 0, W).contiguous();
    const at::Tensor y = x + a.reshape({B, H * W, C});
    return y + fc2->forward(clip_common::apply_activation(act_, fc1->forward(layernorm_after->forward(y))));
  }

  std::shared_ptr<LayerNorm> layernorm_before, layernorm_after;
  std::shared_ptr<SwinSelfAttention> self_attn;
  std::shared_ptr<Linear> attn_out, fc1, fc2;

 private:
  int64_t ws_, shift_;
  Activation act_;
};

class PatchMerging : public torch::nn::Module {
 public:
  PatchMerging(int64_t dim, double eps) {
    reduction = register_module("reduction", std::make_shared<Linear>(4 * dim, 2 * dim, false));
    norm = register_module("norm", std::make_shared<LayerNorm>(4 * dim, eps));
  }
  at::Tensor forward(const at::Tensor& x, int64_t H, int64_t W) const {
    const int64_t B = x.size(0), C = x.size(2);
    at::Tensor h = x.view({B, H, W, C});
    if (H % 2 == 1 || W % 2 == 1) h = at::constant_pad_nd(h, {0, 0, 0, W % 2, 0, H % 2}, 0);
    using namespace at::indexing;
    const at::Tensor x0 = h.index({Slice(), Slice(0, None, 2), Slice(0, None, 2)});
    const at::Tensor x1 = h.index({Slice(), Slice(1, None, 2), Slice(0, None, 2)});
    const at::Tensor x2 = h.index({Slice(), Slice(0, None, 2), Slice(1, None, 2)});
    const at::Tensor x3 = h.index({Slice(), Slice(1, None, 2), Slice(1, None, 2)});
    return reduction->forward(norm->forward(at::cat({x0, x1, x2, x3}, -1).view({B, -1, 4 * C})));
  }
  std::shared_ptr<Linear> reduction;
  std::shared_ptr<LayerNorm> norm;
};

class SwinStage : public torch::nn::Module {
 public:
  SwinStage(const SwinConfig& c, int64_t stage) {
    const int64_t dim = c.channels(stage + 1);
    blocks = make_list<SwinBlock>(*this, "blocks", c.depths[size_t(stage)], [&](int64_t i) {
      return std::make_shared<SwinBlock>(c, dim, c.num_heads[size_t(stage)], i % 2 == 0 ? 0 : c.window_size / 2);
    });
    if (stage + 1 < int64_t(c.depths.size())) downsample = register_module("downsample", std::make_shared<PatchMerging>(dim, c.layer_norm_eps));
  }
  std::vector<std::shared_ptr<SwinBlock>> blocks;
  std::shared_ptr<PatchMerging> downsample;
};

class SwinBackbone : public torch::nn::Module {
 public:
  explicit SwinBackbone(const SwinConfig& c) : c_(c) {
    auto emb = register_module("embeddings", std::make_shared<torch::nn::Module>());
    auto pe = emb->register_module("patch_embeddings", std::make_shared<torch::nn::Module>());
    projection = pe->register_module("projection", std::make_shared<Conv2d>(c.num_channels, c.embed_dim, c.patch_size, c.patch_size, 0));
    emb_norm = emb->register_module("norm", std::make_shared<LayerNorm>(c.embed_dim, c.layer_norm_eps));
    auto enc = register_module("encoder", std::make_shared<torch::nn::Module>());
    stages = make_list<SwinStage>(*enc, "layers", int64_t(c.depths.size()), [&](int64_t i) { return std::make_shared<SwinStage>(c, i); });
    auto norms = register_module("hidden_states_norms", std::make_shared<torch::nn::Module>());
    for (int64_t idx : c.out_indices)
      out_norms[idx] = norms->register_module(idx == 0 ? "stem" : "stage" + std::to_string(idx),
                                              std::make_shared<LayerNorm>(c.channels(idx), c.layer_norm_eps));
  }

  /// Feature maps (B, C_i, h_i, w_i) of the out_indices stages, before patch merging, normed.
  std::vector<at::Tensor> forward(const at::Tensor& pixel_values) const {
    at::Tensor px = pixel_values;
    const int64_t p = c_.patch_size;
    const int64_t pad_w = px.size(3) % p ? p - px.size(3) % p : 0, pad_h = px.size(2) % p ? p - px.size(2) % p : 0;
    if (pad_w || pad_h) px = at::constant_pad_nd(px, {0, pad_w, 0, pad_h}, 0);
    at::Tensor e = projection->forward(px);
    int64_t H = e.size(2), W = e.size(3);
    const int64_t B = e.size(0);
    at::Tensor x = emb_norm->forward(e.flatten(2).transpose(1, 2));
    std::vector<at::Tensor> out;
    auto emit = [&](int64_t idx, const at::Tensor& h) {
      auto it = out_norms.find(idx);
      if (it == out_norms.end()) return;
      out.push_back(it->second->forward(h).view({B, H, W, -1}).permute({0, 3, 1, 2}).contiguous());
    };
    emit(0, x);
    for (size_t s = 0; s < stages.size(); ++s) {
      for (const auto& blk : stages[s]->blocks) x = blk->forward(x, H, W);
      emit(int64_t(s) + 1, x);
      if (stages[s]->downsample) {
        x = stages[s]->downsample->forward(x, H, W);
        H = (H + 1) / 2;
        W = (W + 1) / 2;
      }
    }
    return out;
  }

  std::shared_ptr<Conv2d> projection;
  std::shared_ptr<LayerNorm> emb_norm;
  std::vector<std::shared_ptr<SwinStage>> stages;
  std::map<int64_t, std::shared_ptr<LayerNorm>> out_norms;

 private:
  SwinConfig c_;
};

// ------------------------------------------------------------------ BERT text encoder

class BertLayer : public torch::nn::Module {
 public:
  BertLayer(const BertConfig& c) : heads_(c.num_attention_heads), head_dim_(c.hidden_size / c.num_attention_heads),
                                   act_(clip_common::parse_activation(c.hidden_act, "bert")) {
    const int64_t d = c.hidden_size;
    auto att = register_module("attention", std::make_shared<torch::nn::Module>());
    auto self = att->register_module("self", std::make_shared<torch::nn::Module>());
    query = self->register_module("query", std::make_shared<Linear>(d, d));
    key = self->register_module("key", std::make_shared<Linear>(d, d));
    value = self->register_module("value", std::make_shared<Linear>(d, d));
    auto ao = att->register_module("output", std::make_shared<torch::nn::Module>());
    attn_dense = ao->register_module("dense", std::make_shared<Linear>(d, d));
    attn_ln = ao->register_module("LayerNorm", std::make_shared<LayerNorm>(d, c.layer_norm_eps));
    auto inter = register_module("intermediate", std::make_shared<torch::nn::Module>());
    fc1 = inter->register_module("dense", std::make_shared<Linear>(d, c.intermediate_size));
    auto out = register_module("output", std::make_shared<torch::nn::Module>());
    fc2 = out->register_module("dense", std::make_shared<Linear>(c.intermediate_size, d));
    out_ln = out->register_module("LayerNorm", std::make_shared<LayerNorm>(d, c.layer_norm_eps));
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask) const {
    const int64_t B = x.size(0), L = x.size(1);
    auto split = [&](const std::shared_ptr<Linear>& l) { return l->forward(x).view({B, L, heads_, head_dim_}).transpose(1, 2); };
    at::Tensor scores = at::matmul(split(query), split(key).transpose(-1, -2)) / std::sqrt(double(head_dim_));
    scores = scores + mask;
    const at::Tensor ctx = at::matmul(scores.softmax(-1), split(value)).permute({0, 2, 1, 3}).contiguous().view({B, L, -1});
    const at::Tensor h = attn_ln->forward(attn_dense->forward(ctx) + x);
    return out_ln->forward(fc2->forward(clip_common::apply_activation(act_, fc1->forward(h))) + h);
  }
  std::shared_ptr<Linear> query, key, value, attn_dense, fc1, fc2;
  std::shared_ptr<LayerNorm> attn_ln, out_ln;

 private:
  int64_t heads_, head_dim_;
  Activation act_;
};

class BertModel : public torch::nn::Module {
 public:
  explicit BertModel(const BertConfig& c) {
    auto emb = register_module("embeddings", std::make_shared<torch::nn::Module>());
    word = emb->register_module("word_embeddings", std::make_shared<Embedding>(c.vocab_size, c.hidden_size));
    position = emb->register_module("position_embeddings", std::make_shared<Embedding>(c.max_position_embeddings, c.hidden_size));
    token_type = emb->register_module("token_type_embeddings", std::make_shared<Embedding>(c.type_vocab_size, c.hidden_size));
    emb_ln = emb->register_module("LayerNorm", std::make_shared<LayerNorm>(c.hidden_size, c.layer_norm_eps));
    auto enc = register_module("encoder", std::make_shared<torch::nn::Module>());
    layers = make_list<BertLayer>(*enc, "layer", c.num_hidden_layers, [&](int64_t) { return std::make_shared<BertLayer>(c); });
    max_pos_ = c.max_position_embeddings;
  }
  at::Tensor forward(const at::Tensor& ids, const at::Tensor& allowed, const at::Tensor& token_types, const at::Tensor& pos) const {
    AD_CHECK(pos.numel() == 0 || pos.max().item<int64_t>() < max_pos_, "grounding_dino: text position {} >= max_position_embeddings {}",
             pos.max().item<int64_t>(), max_pos_);
    at::Tensor x = at::embedding(word->weight, ids) + at::embedding(token_type->weight, token_types);
    x = x + at::embedding(position->weight, pos);
    x = emb_ln->forward(x);
    const at::Tensor mask = additive_mask(allowed.unsqueeze(1), x.scalar_type());
    for (const auto& l : layers) x = l->forward(x, mask);
    return x;
  }
  std::shared_ptr<Embedding> word, position, token_type;
  std::shared_ptr<LayerNorm> emb_ln;
  std::vector<std::shared_ptr<BertLayer>> layers;

 private:
  int64_t max_pos_;
};

// ------------------------------------------------------------------ attention blocks

// GroundingDinoMultiheadAttention: query/key/value/out_proj, scores / sqrt(head_dim) + mask.
class MultiheadAttention : public torch::nn::Module {
 public:
  MultiheadAttention(int64_t d, int64_t heads) : heads_(heads), head_dim_(d / heads) {
    query = register_module("query", std::make_shared<Linear>(d, d));
    key = register_module("key", std::make_shared<Linear>(d, d));
    value = register_module("value", std::make_shared<Linear>(d, d));
    out_proj = register_module("out_proj", std::make_shared<Linear>(d, d));
  }
  at::Tensor forward(const at::Tensor& q_in, const at::Tensor& k_in, const at::Tensor& v_in, const at::Tensor& mask) const {
    const int64_t B = q_in.size(0);
    auto split = [&](const std::shared_ptr<Linear>& l, const at::Tensor& t) {
      return l->forward(t).view({B, -1, heads_, head_dim_}).transpose(1, 2);
    };
    at::Tensor scores = at::matmul(split(query, q_in), split(key, k_in).transpose(-1, -2)) / std::sqrt(double(head_dim_));
    if (mask.defined()) scores = scores + mask;
    const at::Tensor ctx = at::matmul(scores.softmax(-1), split(value, v_in)).permute({0, 2, 1, 3}).contiguous();
    return out_proj->forward(ctx.view({B, -1, heads_ * head_dim_}));
  }
  std::shared_ptr<Linear> query, key, value, out_proj;

 private:
  int64_t heads_, head_dim_;
};

struct Levels {
  std::vector<std::pair<int64_t, int64_t>> shapes;
};

class MSDeformAttn : public torch::nn::Module {
 public:
  MSDeformAttn(int64_t d, int64_t heads, int64_t levels, int64_t points) : d_(d), H_(heads), L_(levels), P_(points) {
    sampling_offsets = register_module("sampling_offsets", std::make_shared<Linear>(d, heads * levels * points * 2));
    attention_weights = register_module("attention_weights", std::make_shared<Linear>(d, heads * levels * points));
    value_proj = register_module("value_proj", std::make_shared<Linear>(d, d));
    output_proj = register_module("output_proj", std::make_shared<Linear>(d, d));
  }
  /// valid (B, S) bool: value rows at false are zeroed. ref (B, Q, L, 2|4).
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& pos, const at::Tensor& memory, const at::Tensor& valid,
                     const at::Tensor& ref, const Levels& lv, MsdaImpl impl) const {
    const at::Tensor q = pos.defined() ? hidden + pos : hidden;
    const int64_t B = q.size(0), Q = q.size(1), S = memory.size(1);
    at::Tensor value = value_proj->forward(memory);
    if (valid.defined()) value = value.masked_fill(valid.logical_not().unsqueeze(-1), 0.0);
    value = value.view({B, S, H_, d_ / H_});
    const at::Tensor off = sampling_offsets->forward(q).view({B, Q, H_, L_, P_, 2});
    const at::Tensor aw = attention_weights->forward(q).view({B, Q, H_, L_ * P_}).softmax(-1).view({B, Q, H_, L_, P_});
    at::Tensor loc;
    using namespace at::indexing;
    if (ref.size(-1) == 2) {
      std::vector<float> norm;
      for (const auto& [h, w] : lv.shapes) {
        norm.push_back(float(w));
        norm.push_back(float(h));
      }
      const at::Tensor nz = at::tensor(norm).view({1, 1, 1, L_, 1, 2}).to(off.options());
      loc = ref.index({Slice(), Slice(), None, Slice(), None, Slice()}) + off / nz;
    } else {
      const at::Tensor r = ref.index({Slice(), Slice(), None, Slice(), None});
      loc = r.narrow(-1, 0, 2) + off / double(P_) * r.narrow(-1, 2, 2) * 0.5;
    }
    return output_proj->forward(ms_deform_attn(value, lv.shapes, loc, aw, impl));
  }
  std::shared_ptr<Linear> sampling_offsets, attention_weights, value_proj, output_proj;

 private:
  int64_t d_, H_, L_, P_;
};

class TextEnhancerLayer : public torch::nn::Module {
 public:
  explicit TextEnhancerLayer(const Config& c) : act_(clip_common::parse_activation(c.activation_function, "grounding_dino")) {
    self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(c.d_model, c.encoder_attention_heads / 2));
    fc1 = register_module("fc1", std::make_shared<Linear>(c.d_model, c.encoder_ffn_dim / 2));
    fc2 = register_module("fc2", std::make_shared<Linear>(c.encoder_ffn_dim / 2, c.d_model));
    layer_norm_before = register_module("layer_norm_before", std::make_shared<LayerNorm>(c.d_model, c.layer_norm_eps));
    layer_norm_after = register_module("layer_norm_after", std::make_shared<LayerNorm>(c.d_model, c.layer_norm_eps));
  }
  at::Tensor forward(const at::Tensor& t, const at::Tensor& mask, const at::Tensor& pos) const {
    const at::Tensor qk = pos.defined() ? t + pos : t;
    at::Tensor h = layer_norm_before->forward(t + self_attn->forward(qk, qk, t, mask));
    return layer_norm_after->forward(fc2->forward(clip_common::apply_activation(act_, fc1->forward(h))) + h);
  }
  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> fc1, fc2;
  std::shared_ptr<LayerNorm> layer_norm_before, layer_norm_after;

 private:
  Activation act_;
};

class BiMultiHeadAttention : public torch::nn::Module {
 public:
  explicit BiMultiHeadAttention(const Config& c)
      : embed_(c.encoder_ffn_dim / 2), heads_(c.encoder_attention_heads / 2), head_dim_(embed_ / heads_) {
    const int64_t d = c.d_model;
    vision_proj = register_module("vision_proj", std::make_shared<Linear>(d, embed_));
    text_proj = register_module("text_proj", std::make_shared<Linear>(d, embed_));
    values_vision_proj = register_module("values_vision_proj", std::make_shared<Linear>(d, embed_));
    values_text_proj = register_module("values_text_proj", std::make_shared<Linear>(d, embed_));
    out_vision_proj = register_module("out_vision_proj", std::make_shared<Linear>(embed_, d));
    out_text_proj = register_module("out_text_proj", std::make_shared<Linear>(embed_, d));
  }
  /// vision_pad (B, T) / text_pad (B, L): true at padding. Returns (delta_vision, delta_text).
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& v, const at::Tensor& t, const at::Tensor& vision_pad,
                                            const at::Tensor& text_pad) const {
    const int64_t B = v.size(0), T = v.size(1), L = t.size(1);
    auto heads = [&](const at::Tensor& x) {
      return x.view({B, -1, heads_, head_dim_}).transpose(1, 2).contiguous().view({B * heads_, -1, head_dim_});
    };
    const at::Tensor q = heads(vision_proj->forward(v) * std::pow(double(head_dim_), -0.5));
    const at::Tensor k = heads(text_proj->forward(t));
    const at::Tensor vv = heads(values_vision_proj->forward(v));
    const at::Tensor tv = heads(values_text_proj->forward(t));
    at::Tensor attn = at::bmm(q, k.transpose(1, 2));
    attn = attn - attn.max();
    attn = attn.clamp(-50000, 50000);
    const at::Tensor attn_t = attn.transpose(1, 2);
    at::Tensor text_w = attn_t - std::get<0>(attn_t.max(-1, true));
    text_w = text_w.clamp(-50000, 50000);
    if (vision_pad.defined())
      text_w = text_w.masked_fill(vision_pad.unsqueeze(1).unsqueeze(1).expand({B, heads_, 1, T}).flatten(0, 1), -INFINITY);
    text_w = text_w.softmax(-1);
    if (text_pad.defined())
      attn = attn.masked_fill(text_pad.unsqueeze(1).unsqueeze(1).expand({B, heads_, 1, L}).flatten(0, 1), -INFINITY);
    const at::Tensor vis_w = attn.softmax(-1);
    const at::Tensor vo = at::bmm(vis_w, tv).view({B, heads_, T, head_dim_}).transpose(1, 2).reshape({B, T, embed_});
    const at::Tensor to = at::bmm(text_w, vv).view({B, heads_, L, head_dim_}).transpose(1, 2).reshape({B, L, embed_});
    return {out_vision_proj->forward(vo), out_text_proj->forward(to)};
  }
  std::shared_ptr<Linear> vision_proj, text_proj, values_vision_proj, values_text_proj, out_vision_proj, out_text_proj;

 private:
  int64_t embed_, heads_, head_dim_;
};

class FusionLayer : public torch::nn::Module {
 public:
  explicit FusionLayer(const Config& c) {
    layer_norm_vision = register_module("layer_norm_vision", std::make_shared<LayerNorm>(c.d_model, c.layer_norm_eps));
    layer_norm_text = register_module("layer_norm_text", std::make_shared<LayerNorm>(c.d_model, c.layer_norm_eps));
    attn = register_module("attn", std::make_shared<BiMultiHeadAttention>(c));
    vision_param = register_parameter("vision_param", at::full({c.d_model}, 1e-4), false);
    text_param = register_parameter("text_param", at::full({c.d_model}, 1e-4), false);
  }
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& v_in, const at::Tensor& t_in, const at::Tensor& vision_pad,
                                            const at::Tensor& text_pad) const {
    const at::Tensor v = layer_norm_vision->forward(v_in), t = layer_norm_text->forward(t_in);
    const auto [dv, dt] = attn->forward(v, t, vision_pad, text_pad);
    return {v + vision_param * dv, t + text_param * dt};
  }
  std::shared_ptr<LayerNorm> layer_norm_vision, layer_norm_text;
  std::shared_ptr<BiMultiHeadAttention> attn;
  at::Tensor vision_param, text_param;
};

class DeformableLayer : public torch::nn::Module {
 public:
  explicit DeformableLayer(const Config& c) : act_(clip_common::parse_activation(c.activation_function, "grounding_dino")) {
    self_attn = register_module("self_attn", std::make_shared<MSDeformAttn>(c.d_model, c.encoder_attention_heads, c.num_feature_levels, c.encoder_n_points));
    self_attn_layer_norm = register_module("self_attn_layer_norm", std::make_shared<LayerNorm>(c.d_model, c.layer_norm_eps));
    fc1 = register_module("fc1", std::make_shared<Linear>(c.d_model, c.encoder_ffn_dim));
    fc2 = register_module("fc2", std::make_shared<Linear>(c.encoder_ffn_dim, c.d_model));
    final_layer_norm = register_module("final_layer_norm", std::make_shared<LayerNorm>(c.d_model, c.layer_norm_eps));
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor& pos, const at::Tensor& valid, const at::Tensor& ref, const Levels& lv,
                     MsdaImpl impl) const {
    const at::Tensor h = self_attn_layer_norm->forward(x + self_attn->forward(x, pos, x, valid, ref, lv, impl));
    return final_layer_norm->forward(h + fc2->forward(clip_common::apply_activation(act_, fc1->forward(h))));
  }
  std::shared_ptr<MSDeformAttn> self_attn;
  std::shared_ptr<LayerNorm> self_attn_layer_norm, final_layer_norm;
  std::shared_ptr<Linear> fc1, fc2;

 private:
  Activation act_;
};

class EncoderLayer : public torch::nn::Module {
 public:
  explicit EncoderLayer(const Config& c) {
    text_enhancer_layer = register_module("text_enhancer_layer", std::make_shared<TextEnhancerLayer>(c));
    fusion_layer = register_module("fusion_layer", std::make_shared<FusionLayer>(c));
    deformable_layer = register_module("deformable_layer", std::make_shared<DeformableLayer>(c));
  }
  std::shared_ptr<TextEnhancerLayer> text_enhancer_layer;
  std::shared_ptr<FusionLayer> fusion_layer;
  std::shared_ptr<DeformableLayer> deformable_layer;
};

class DecoderLayer : public torch::nn::Module {
 public:
  explicit DecoderLayer(const Config& c) : act_(clip_common::parse_activation(c.activation_function, "grounding_dino")) {
    const int64_t d = c.d_model;
    self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(d, c.decoder_attention_heads));
    self_attn_layer_norm = register_module("self_attn_layer_norm", std::make_shared<LayerNorm>(d, c.layer_norm_eps));
    encoder_attn_text = register_module("encoder_attn_text", std::make_shared<MultiheadAttention>(d, c.decoder_attention_heads));
    encoder_attn_text_layer_norm = register_module("encoder_attn_text_layer_norm", std::make_shared<LayerNorm>(d, c.layer_norm_eps));
    encoder_attn = register_module("encoder_attn", std::make_shared<MSDeformAttn>(d, c.decoder_attention_heads, c.num_feature_levels, c.decoder_n_points));
    encoder_attn_layer_norm = register_module("encoder_attn_layer_norm", std::make_shared<LayerNorm>(d, c.layer_norm_eps));
    fc1 = register_module("fc1", std::make_shared<Linear>(d, c.decoder_ffn_dim));
    fc2 = register_module("fc2", std::make_shared<Linear>(c.decoder_ffn_dim, d));
    final_layer_norm = register_module("final_layer_norm", std::make_shared<LayerNorm>(d, c.layer_norm_eps));
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor& qpos, const at::Tensor& ref, const Levels& lv, const at::Tensor& memory,
                     const at::Tensor& valid, const at::Tensor& text, const at::Tensor& text_mask, MsdaImpl impl) const {
    const at::Tensor qk = x + qpos;
    at::Tensor h = self_attn_layer_norm->forward(x + self_attn->forward(qk, qk, x, at::Tensor()));
    h = encoder_attn_text_layer_norm->forward(h + encoder_attn_text->forward(h + qpos, text, text, text_mask));
    h = encoder_attn_layer_norm->forward(h + encoder_attn->forward(h, qpos, memory, valid, ref, lv, impl));
    return final_layer_norm->forward(h + fc2->forward(clip_common::apply_activation(act_, fc1->forward(h))));
  }
  std::shared_ptr<MultiheadAttention> self_attn, encoder_attn_text;
  std::shared_ptr<MSDeformAttn> encoder_attn;
  std::shared_ptr<LayerNorm> self_attn_layer_norm, encoder_attn_text_layer_norm, encoder_attn_layer_norm, final_layer_norm;
  std::shared_ptr<Linear> fc1, fc2;

 private:
  Activation act_;
};

}  // namespace

struct GroundingDinoModel::Impl {
  std::shared_ptr<SwinBackbone> swin;
  std::shared_ptr<Embedding> row_embeddings, column_embeddings;  // learned position embedding
  std::vector<std::shared_ptr<Conv2d>> proj_conv;
  std::vector<std::shared_ptr<GroupNorm>> proj_norm;
  std::shared_ptr<BertModel> bert;
  std::shared_ptr<Linear> text_projection;
  std::shared_ptr<Embedding> query_position_embeddings, reference_points;
  std::vector<std::shared_ptr<EncoderLayer>> enc_layers;
  std::vector<std::shared_ptr<DecoderLayer>> dec_layers;
  std::shared_ptr<LayerNorm> dec_norm;
  std::shared_ptr<MlpHead> reference_points_head;
  at::Tensor level_embed;
  std::shared_ptr<Linear> enc_output;
  std::shared_ptr<LayerNorm> enc_output_norm;
  std::shared_ptr<MlpHead> encoder_output_bbox_embed;
  std::vector<std::shared_ptr<MlpHead>> bbox_embed;  // one per decoder layer (aliases when shared)
};

GroundingDinoModel::GroundingDinoModel(const Config& c) : impl(std::make_shared<Impl>()), config_(c) {
  c.validate("grounding_dino config");
  auto& m = *impl;
  const int64_t d = c.d_model;
  auto model = register_module("model", std::make_shared<torch::nn::Module>());
  auto backbone = model->register_module("backbone", std::make_shared<torch::nn::Module>());
  auto conv_encoder = backbone->register_module("conv_encoder", std::make_shared<torch::nn::Module>());
  m.swin = conv_encoder->register_module("model", std::make_shared<SwinBackbone>(c.backbone));
  if (c.position_embedding_type == "learned") {
    auto pe = backbone->register_module("position_embedding", std::make_shared<torch::nn::Module>());
    m.row_embeddings = pe->register_module("row_embeddings", std::make_shared<Embedding>(50, d / 2));
    m.column_embeddings = pe->register_module("column_embeddings", std::make_shared<Embedding>(50, d / 2));
  }
  auto proj = model->register_module("input_proj_vision", std::make_shared<torch::nn::Module>());
  const auto& outs = c.backbone.out_indices;
  const int64_t n_levels = c.num_feature_levels > 1 ? c.num_feature_levels : 1;
  for (int64_t i = 0; i < n_levels; ++i) {
    auto seq = proj->register_module(std::to_string(i), std::make_shared<torch::nn::Module>());
    const bool from_backbone = i < int64_t(outs.size());
    const int64_t in = from_backbone ? c.backbone.channels(outs[size_t(c.num_feature_levels > 1 ? i : int64_t(outs.size()) - 1)])
                       : (i == int64_t(outs.size()) ? c.backbone.channels(outs.back()) : d);
    m.proj_conv.push_back(seq->register_module("0", from_backbone ? std::make_shared<Conv2d>(in, d, 1, 1, 0)
                                                                  : std::make_shared<Conv2d>(in, d, 3, 2, 1)));
    m.proj_norm.push_back(seq->register_module("1", std::make_shared<GroupNorm>(32, d, 1e-5)));
  }
  m.bert = model->register_module("text_backbone", std::make_shared<BertModel>(c.text));
  m.text_projection = model->register_module("text_projection", std::make_shared<Linear>(c.text.hidden_size, d));
  if (c.embedding_init_target || !c.two_stage)
    m.query_position_embeddings = model->register_module("query_position_embeddings", std::make_shared<Embedding>(c.num_queries, d));
  auto enc = model->register_module("encoder", std::make_shared<torch::nn::Module>());
  m.enc_layers = make_list<EncoderLayer>(*enc, "layers", c.encoder_layers, [&](int64_t) { return std::make_shared<EncoderLayer>(c); });
  auto dec = model->register_module("decoder", std::make_shared<torch::nn::Module>());
  m.dec_norm = dec->register_module("layer_norm", std::make_shared<LayerNorm>(d, c.layer_norm_eps));
  m.dec_layers = make_list<DecoderLayer>(*dec, "layers", c.decoder_layers, [&](int64_t) { return std::make_shared<DecoderLayer>(c); });
  m.reference_points_head = dec->register_module("reference_points_head", std::make_shared<MlpHead>(c.query_dim / 2 * d, d, d, 2));
  m.level_embed = model->register_parameter("level_embed", at::zeros({c.num_feature_levels, d}), false);
  if (c.two_stage) {
    m.enc_output = model->register_module("enc_output", std::make_shared<Linear>(d, d));
    m.enc_output_norm = model->register_module("enc_output_norm", std::make_shared<LayerNorm>(d, c.layer_norm_eps));
    // Upstream's two_stage_bbox_embed_share test runs before the decoder has its box head, so the
    // encoder head is always its own module.
    m.encoder_output_bbox_embed = model->register_module("encoder_output_bbox_embed", std::make_shared<MlpHead>(d, d, 4, 3));
  } else {
    m.reference_points = model->register_module("reference_points", std::make_shared<Embedding>(c.num_queries, 4));
  }
  auto heads = register_module("bbox_embed", std::make_shared<torch::nn::Module>());
  for (int64_t i = 0; i < c.decoder_layers; ++i) {
    if (c.decoder_bbox_embed_share && i > 0) {
      m.bbox_embed.push_back(m.bbox_embed.front());
    } else {
      m.bbox_embed.push_back(heads->register_module(std::to_string(i), std::make_shared<MlpHead>(d, d, 4, 3)));
    }
  }
}

std::vector<std::string> ignored_checkpoint_names(const Config& c) {
  std::vector<std::string> out = {"model.decoder.bbox_embed.", "model.decoder.class_embed.", "class_embed.",
                                  "model.text_backbone.embeddings.position_ids", "model.text_backbone.embeddings.token_type_ids",
                                  "model.text_backbone.pooler."};
  if (c.decoder_bbox_embed_share)
    for (int64_t i = 1; i < c.decoder_layers; ++i) out.push_back("bbox_embed." + std::to_string(i) + ".");
  return out;
}

std::pair<at::Tensor, at::Tensor> phrase_masks_and_positions(const at::Tensor& input_ids_in) {
  const at::Tensor ids = input_ids_in.to(at::kCPU, at::kLong).contiguous();
  const int64_t B = ids.size(0), L = ids.size(1);
  at::Tensor mask = at::eye(L, at::kBool).unsqueeze(0).repeat({B, 1, 1}).contiguous();
  at::Tensor pos = at::zeros({B, L}, at::kLong);
  auto id = ids.accessor<int64_t, 2>();
  auto mk = mask.accessor<bool, 3>();
  auto ps = pos.accessor<int64_t, 2>();
  int64_t previous = 0;  // carried across rows, as upstream's loop over nonzero() does
  for (int64_t r = 0; r < B; ++r)
    for (int64_t col = 0; col < L; ++col) {
      const int64_t t = id[r][col];
      if (t != 101 && t != 102 && t != 1012 && t != 1029) continue;
      if (col == 0 || col == L - 1) {
        mk[r][col][col] = true;
        ps[r][col] = 0;
      } else {
        for (int64_t i = previous + 1; i <= col; ++i) {
          for (int64_t j = previous + 1; j <= col; ++j) mk[r][i][j] = true;
          ps[r][i] = i - previous - 1;
        }
      }
      previous = col;
    }
  return {mask.to(input_ids_in.device()), pos.to(input_ids_in.device())};
}

TensorMap GroundingDinoModel::encode_text(const at::Tensor& input_ids, const at::Tensor& token_type_ids) const {
  auto [masks, pos] = phrase_masks_and_positions(input_ids);
  const at::Tensor last = impl->bert->forward(input_ids, masks, token_type_ids, pos);
  return {{"text_backbone_last_hidden_state", last},
          {"text_features", impl->text_projection->forward(last)},
          {"text_self_attention_masks", masks},
          {"text_position_ids", pos}};
}

TensorMap GroundingDinoModel::forward(const TensorMap& inputs, bool debug, StageTimes* times, TensorMap* vision_cache) {
  const Config& c = config_;
  auto& m = *impl;
  auto need = [&](const char* k) -> const at::Tensor& {
    auto it = inputs.find(k);
    AD_CHECK(it != inputs.end() && it->second.defined(), "grounding_dino forward: input '{}' is required", k);
    return it->second;
  };
  auto opt = [&](const char* k) { auto it = inputs.find(k); return it == inputs.end() ? at::Tensor() : it->second; };
  const at::Tensor& pixel_values_in = need("pixel_values");
  at::Tensor input_ids = need("input_ids");
  const auto dev = m.level_embed.device();
  const auto dtype = m.level_embed.scalar_type();
  AD_CHECK(pixel_values_in.dim() == 4 && pixel_values_in.size(1) == c.backbone.num_channels,
           "grounding_dino: pixel_values must be (B, {}, H, W), got {}", c.backbone.num_channels, fmt::join(pixel_values_in.sizes(), ", "));
  AD_CHECK(input_ids.dim() == 2 && input_ids.size(0) == pixel_values_in.size(0),
           "grounding_dino: input_ids must be (B, L) with B = {}, got {}", pixel_values_in.size(0), fmt::join(input_ids.sizes(), ", "));
  const at::Tensor pixel_values = pixel_values_in.to(dev, dtype);
  const int64_t B = pixel_values.size(0);
  input_ids = input_ids.to(dev, at::kLong);
  at::Tensor attention_mask = opt("attention_mask");
  attention_mask = attention_mask.defined() ? attention_mask.to(dev) : at::ones_like(input_ids);
  at::Tensor token_type_ids = opt("token_type_ids");
  token_type_ids = token_type_ids.defined() ? token_type_ids.to(dev, at::kLong) : at::zeros_like(input_ids);
  at::Tensor pixel_mask = opt("pixel_mask");
  pixel_mask = pixel_mask.defined() ? pixel_mask.to(dev, at::kLong)
                                    : at::ones({B, pixel_values.size(2), pixel_values.size(3)}, input_ids.options());

  TensorMap out;
  auto t0 = Clock::now();
  // ---- text
  auto [text_masks, position_ids] = phrase_masks_and_positions(input_ids);
  at::Tensor text_token_mask = attention_mask.to(at::kBool);
  if (input_ids.size(1) > c.max_text_len) {
    text_masks = text_masks.narrow(1, 0, c.max_text_len).narrow(2, 0, c.max_text_len);
    position_ids = position_ids.narrow(1, 0, c.max_text_len);
    input_ids = input_ids.narrow(1, 0, c.max_text_len);
    token_type_ids = token_type_ids.narrow(1, 0, c.max_text_len);
    text_token_mask = text_token_mask.narrow(1, 0, c.max_text_len);
  }
  const at::Tensor text_last = m.bert->forward(input_ids, text_masks, token_type_ids, position_ids);
  at::Tensor text = m.text_projection->forward(text_last);
  if (times) times->text += seconds_since(t0);
  t0 = Clock::now();
  if (debug) {
    out["debug.text_self_attention_masks"] = text_masks;
    out["debug.text_position_ids"] = position_ids;
    out["debug.text_backbone_last_hidden_state"] = text_last;
    out["debug.text_features"] = text;
  }

  // ---- backbone, masks, position embeddings, projections (text-independent: reusable across captions)
  Levels lv;
  std::vector<int64_t> shapes_flat, starts;
  at::Tensor source_flatten, mask_flatten, lvl_pos, valid_ratios;
  if (vision_cache && !vision_cache->empty()) {
    source_flatten = vision_cache->at("source_flatten");
    mask_flatten = vision_cache->at("mask_flatten");
    lvl_pos = vision_cache->at("lvl_pos");
    valid_ratios = vision_cache->at("valid_ratios");
    const at::Tensor ss = vision_cache->at("spatial_shapes");
    AD_CHECK(source_flatten.size(0) == B, "grounding_dino: vision cache is for batch {}, inputs have {}", source_flatten.size(0), B);
    int64_t start = 0;
    for (int64_t l = 0; l < ss.size(0); ++l) {
      const int64_t h = ss[l][0].item<int64_t>(), w = ss[l][1].item<int64_t>();
      lv.shapes.emplace_back(h, w);
      shapes_flat.push_back(h);
      shapes_flat.push_back(w);
      starts.push_back(start);
      start += h * w;
    }
  } else {
    const std::vector<at::Tensor> feats = m.swin->forward(pixel_values);
    const at::Tensor pm = pixel_mask.unsqueeze(0).to(at::kFloat);
    auto level_mask = [&](int64_t h, int64_t w) { return at::upsample_nearest2d(pm, {h, w}).to(at::kBool)[0]; };
    auto position_embedding = [&](const at::Tensor& mask) -> at::Tensor {
      const int64_t h = mask.size(1), w = mask.size(2);
      if (c.position_embedding_type == "learned") {
        AD_CHECK(h <= 50 && w <= 50, "grounding_dino: learned position embeddings cover 50x50 cells, feature map is {}x{}", h, w);
        const at::Tensor xe = at::embedding(m.column_embeddings->weight, at::arange(w, input_ids.options()));
        const at::Tensor ye = at::embedding(m.row_embeddings->weight, at::arange(h, input_ids.options()));
        const at::Tensor p = at::cat({xe.unsqueeze(0).repeat({h, 1, 1}), ye.unsqueeze(1).repeat({1, w, 1})}, -1).permute({2, 0, 1});
        return p.unsqueeze(0).repeat({B, 1, 1, 1});
      }
      const int64_t nf = c.d_model / 2;
      at::Tensor ye = mask.cumsum(1, at::kFloat), xe = mask.cumsum(2, at::kFloat);
      ye = ye / (ye.narrow(1, h - 1, 1) + 1e-6) * (2 * kPi);
      xe = xe / (xe.narrow(2, w - 1, 1) + 1e-6) * (2 * kPi);
      const at::Tensor dim_t = at::pow(c.positional_embedding_temperature,
                                       2 * at::floor_divide(at::arange(nf, mask.options().dtype(at::kFloat)), 2) / double(nf));
      auto enc = [&](const at::Tensor& e) {
        using namespace at::indexing;
        const at::Tensor p = e.unsqueeze(-1) / dim_t;
        return at::stack({p.index({"...", Slice(0, None, 2)}).sin(), p.index({"...", Slice(1, None, 2)}).cos()}, 4).flatten(3);
      };
      return at::cat({enc(ye), enc(xe)}, 3).permute({0, 3, 1, 2});
    };
    std::vector<at::Tensor> sources, masks, pos_list;
    for (size_t i = 0; i < feats.size(); ++i) {
      if (debug) out["debug.backbone_feature_map." + std::to_string(i)] = feats[i];
      masks.push_back(level_mask(feats[i].size(2), feats[i].size(3)));
      pos_list.push_back(position_embedding(masks.back()).to(dtype));
      sources.push_back(m.proj_norm[i]->forward(m.proj_conv[i]->forward(feats[i])));
    }
    for (int64_t l = int64_t(feats.size()); l < c.num_feature_levels; ++l) {
      const at::Tensor src = l == int64_t(feats.size()) ? feats.back() : sources.back();
      sources.push_back(m.proj_norm[size_t(l)]->forward(m.proj_conv[size_t(l)]->forward(src)));
      masks.push_back(level_mask(sources.back().size(2), sources.back().size(3)));
      pos_list.push_back(position_embedding(masks.back()).to(dtype));
    }
    std::vector<at::Tensor> src_flat, mask_flat, pos_flat, ratios;
    int64_t start = 0;
    for (size_t l = 0; l < sources.size(); ++l) {
      const int64_t h = sources[l].size(2), w = sources[l].size(3);
      lv.shapes.emplace_back(h, w);
      shapes_flat.push_back(h);
      shapes_flat.push_back(w);
      starts.push_back(start);
      start += h * w;
      src_flat.push_back(sources[l].flatten(2).transpose(1, 2));
      mask_flat.push_back(masks[l].flatten(1));
      pos_flat.push_back(pos_list[l].flatten(2).transpose(1, 2) + m.level_embed[int64_t(l)].view({1, 1, -1}));
      const at::Tensor vh = masks[l].select(2, 0).sum(1).to(at::kFloat) / double(h);
      const at::Tensor vw = masks[l].select(1, 0).sum(1).to(at::kFloat) / double(w);
      ratios.push_back(at::stack({vw, vh}, -1));
    }
    source_flatten = at::cat(src_flat, 1);
    mask_flatten = at::cat(mask_flat, 1);
    lvl_pos = at::cat(pos_flat, 1);
    valid_ratios = at::stack(ratios, 1).to(dtype);
    if (vision_cache)
      *vision_cache = {{"source_flatten", source_flatten}, {"mask_flatten", mask_flatten}, {"lvl_pos", lvl_pos},
                       {"valid_ratios", valid_ratios}, {"spatial_shapes", at::tensor(shapes_flat, at::kLong).view({-1, 2})}};
  }
  if (times) times->backbone += seconds_since(t0);
  t0 = Clock::now();

  // ---- encoder
  std::vector<at::Tensor> refs;
  for (size_t l = 0; l < lv.shapes.size(); ++l) {
    const auto [h, w] = lv.shapes[l];
    const auto o = valid_ratios.options();
    const auto grid = at::meshgrid({at::linspace(0.5, double(h) - 0.5, h, o), at::linspace(0.5, double(w) - 0.5, w, o)}, "ij");
    const at::Tensor ry = grid[0].reshape(-1).unsqueeze(0) / (valid_ratios.select(1, int64_t(l)).select(1, 1).unsqueeze(1) * double(h));
    const at::Tensor rx = grid[1].reshape(-1).unsqueeze(0) / (valid_ratios.select(1, int64_t(l)).select(1, 0).unsqueeze(1) * double(w));
    refs.push_back(at::stack({rx, ry}, -1));
  }
  const at::Tensor enc_ref = at::cat(refs, 1).unsqueeze(2) * valid_ratios.unsqueeze(1);
  if (debug) {
    out["debug.encoder_vision_features"] = source_flatten;
    out["debug.encoder_vision_position_embedding"] = lvl_pos;
    out["debug.encoder_vision_padding_mask"] = mask_flatten.logical_not();
    out["debug.spatial_shapes"] = at::tensor(shapes_flat, at::kLong).view({-1, 2});
    out["debug.level_start_index"] = at::tensor(starts, at::kLong);
    out["debug.valid_ratios"] = valid_ratios;
    out["debug.encoder_reference_points"] = enc_ref;
  }
  const at::Tensor text_pos = sine_pos_embed(position_ids.unsqueeze(-1), c.d_model, 10000.0, false).to(dtype);
  const at::Tensor text_sa_mask = additive_mask(text_masks, dtype).unsqueeze(1);
  const at::Tensor vision_pad = mask_flatten.logical_not(), text_pad = text_token_mask.logical_not();
  at::Tensor vision = source_flatten;
  for (size_t i = 0; i < m.enc_layers.size(); ++i) {
    out["encoder_text_hidden_states." + std::to_string(i)] = text;
    const auto& L = *m.enc_layers[i];
    std::tie(vision, text) = L.fusion_layer->forward(vision, text, vision_pad, text_pad);
    text = L.text_enhancer_layer->forward(text, text_sa_mask, text_pos);
    vision = L.deformable_layer->forward(vision, lvl_pos, mask_flatten, enc_ref, lv, msda_impl);
  }
  out["encoder_text_hidden_states." + std::to_string(m.enc_layers.size())] = text;
  out["encoder_last_hidden_state_vision"] = vision;
  out["encoder_last_hidden_state_text"] = text;
  if (times) times->encoder += seconds_since(t0);
  t0 = Clock::now();

  // ---- query selection
  const int64_t Lt = text.size(1);
  auto class_head = [&](const at::Tensor& q) {
    at::Tensor o = at::matmul(q, text.transpose(-1, -2)).masked_fill(text_pad.unsqueeze(1), -INFINITY);
    at::Tensor full = at::full({o.size(0), o.size(1), c.max_text_len}, -INFINITY, o.options());
    full.narrow(2, 0, Lt).copy_(o);
    return full;
  };
  at::Tensor target, reference;
  if (c.two_stage) {
    std::vector<at::Tensor> props;
    for (size_t l = 0; l < lv.shapes.size(); ++l) {
      const auto [h, w] = lv.shapes[l];
      const at::Tensor mk = vision_pad.narrow(1, starts[l], h * w).view({B, h, w});
      const at::Tensor vh = mk.select(2, 0).logical_not().sum(1), vw = mk.select(1, 0).logical_not().sum(1);
      const auto o = at::TensorOptions().dtype(at::kFloat).device(dev);
      const auto grid = at::meshgrid({at::linspace(0, double(h - 1), h, o), at::linspace(0, double(w - 1), w, o)}, "ij");
      const at::Tensor g = at::cat({grid[1].unsqueeze(-1), grid[0].unsqueeze(-1)}, -1);
      const at::Tensor scale = at::cat({vw.unsqueeze(-1), vh.unsqueeze(-1)}, 1).view({B, 1, 1, 2});
      const at::Tensor gg = (g.unsqueeze(0).expand({B, -1, -1, -1}) + 0.5) / scale;
      const at::Tensor wh = at::ones_like(gg) * (0.05 * std::pow(2.0, double(l)));
      props.push_back(at::cat({gg, wh}, -1).view({B, -1, 4}));
    }
    at::Tensor proposals = at::cat(props, 1);
    const at::Tensor prop_valid = ((proposals > 0.01) & (proposals < 0.99)).all(-1, true);
    proposals = at::log(proposals / (1 - proposals));
    proposals = proposals.masked_fill(vision_pad.unsqueeze(-1), INFINITY).masked_fill(prop_valid.logical_not(), INFINITY);
    at::Tensor oq = vision.masked_fill(vision_pad.unsqueeze(-1), 0.0).masked_fill(prop_valid.logical_not(), 0.0);
    oq = m.enc_output_norm->forward(m.enc_output->forward(oq));
    const at::Tensor enc_class = class_head(oq);
    const at::Tensor enc_coord = m.encoder_output_bbox_embed->forward(oq) + proposals.to(dtype);
    out["enc_outputs_class"] = enc_class;
    out["enc_outputs_coord_logits"] = enc_coord;
    const int64_t k = std::min<int64_t>(c.num_queries, enc_class.size(1));
    AD_CHECK(k == c.num_queries, "grounding_dino: {} image positions but num_queries = {} (image too small)", enc_class.size(1),
             c.num_queries);
    const auto [topv, topi] = at::topk(std::get<0>(enc_class.max(-1)), k, 1);
    reference = at::gather(enc_coord, 1, topi.unsqueeze(-1).repeat({1, 1, 4})).sigmoid();
    target = m.query_position_embeddings ? m.query_position_embeddings->weight.unsqueeze(0).repeat({B, 1, 1})
                                         : at::gather(oq, 1, topi.unsqueeze(-1).repeat({1, 1, c.d_model}));
    if (debug) {
      out["debug.enc_topk_indices"] = topi;
      out["debug.enc_topk_logits"] = topv;
    }
  } else {
    target = m.query_position_embeddings->weight.unsqueeze(0).repeat({B, 1, 1});
    reference = m.reference_points->weight.unsqueeze(0).repeat({B, 1, 1}).sigmoid();
  }
  out["init_reference_points"] = reference;
  if (debug) out["debug.decoder_query_embeds"] = target;

  // ---- decoder
  const at::Tensor text_cross_mask = text_pad.unsqueeze(1).unsqueeze(1).to(dtype) * finfo_min_like(text_pad.to(dtype));
  at::Tensor h = target, ref = reference;
  std::vector<at::Tensor> inter, inter_ref;
  for (size_t i = 0; i < m.dec_layers.size(); ++i) {
    const at::Tensor ref_in = ref.size(-1) == 4 ? ref.unsqueeze(2) * at::cat({valid_ratios, valid_ratios}, -1).unsqueeze(1)
                                                : ref.unsqueeze(2) * valid_ratios.unsqueeze(1);
    const at::Tensor qpos = m.reference_points_head->forward(sine_pos_embed(ref_in.select(2, 0), c.d_model / 2, 10000.0, true).to(dtype));
    out["decoder_hidden_states." + std::to_string(i)] = m.dec_norm->forward(h);
    h = m.dec_layers[i]->forward(h, qpos, ref_in, lv, vision, mask_flatten, text, text_cross_mask, msda_impl);
    const at::Tensor tmp = m.bbox_embed[i]->forward(h);
    if (ref.size(-1) == 4) {
      ref = (tmp + logit_eps(ref, 1e-5)).sigmoid();
    } else {
      at::Tensor n = tmp.clone();
      n.narrow(-1, 0, 2).add_(logit_eps(ref, 1e-5));
      ref = n.sigmoid();
    }
    inter.push_back(m.dec_norm->forward(h));
    inter_ref.push_back(ref);
  }
  const at::Tensor last = m.dec_norm->forward(h);
  out["decoder_hidden_states." + std::to_string(m.dec_layers.size())] = last;
  out["last_hidden_state"] = last;
  out["intermediate_hidden_states"] = at::stack(inter, 1);
  out["intermediate_reference_points"] = at::stack(inter_ref, 1);

  // ---- heads (last level only: what the outputs expose)
  const at::Tensor prev_ref = inter_ref.size() >= 2 ? inter_ref[inter_ref.size() - 2] : reference;
  const at::Tensor r = logit_eps(prev_ref, 1e-5);
  at::Tensor delta = m.bbox_embed.back()->forward(inter.back());
  if (r.size(-1) == 4) {
    delta = delta + r;
  } else {
    delta = delta.clone();
    delta.narrow(-1, 0, 2).add_(r);
  }
  out["pred_boxes"] = delta.sigmoid();
  out["logits"] = class_head(inter.back());
  if (times) times->decoder += seconds_since(t0);
  return out;
}

}  // namespace autodistill::grounding_dino
