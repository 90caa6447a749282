#include "gd_config.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "../common/activations.h"
#include "autodistill/core/error.h"

namespace autodistill::grounding_dino {
namespace {

template <typename T>
void read(const nlohmann::json& j, const char* key, T& field, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  try {
    field = it->get<T>();
  } catch (const nlohmann::json::exception&) {
    AD_THROW(InvalidArgument, "{}: '{}' has the wrong type ({})", where, key, it->dump());
  }
}

}  // namespace

int64_t SwinConfig::channels(int64_t index) const {
  return index <= 1 ? embed_dim : embed_dim * (int64_t(1) << (index - 1));
}

void Config::validate(const std::string& source) const {
  const auto& b = backbone;
  AD_CHECK(!b.depths.empty() && b.depths.size() == b.num_heads.size(), "{}: backbone depths ({}) and num_heads ({}) must be non-empty and of equal length",
           source, b.depths.size(), b.num_heads.size());
  for (size_t i = 0; i < b.depths.size(); ++i)
    AD_CHECK(b.num_heads[i] > 0 && b.channels(int64_t(i) + 1) % b.num_heads[i] == 0,
             "{}: backbone stage {} has {} channels, not divisible by num_heads {}", source, i + 1, b.channels(int64_t(i) + 1),
             b.num_heads[i]);
  AD_CHECK(!b.use_absolute_embeddings, "{}: Swin use_absolute_embeddings=true is not supported", source);
  AD_CHECK(!b.out_indices.empty(), "{}: backbone out_indices is empty", source);
  for (size_t i = 0; i < b.out_indices.size(); ++i) {
    AD_CHECK(b.out_indices[i] >= 0 && b.out_indices[i] <= int64_t(b.depths.size()),
             "{}: backbone out_indices[{}] = {} outside [0, {}]", source, i, b.out_indices[i], b.depths.size());
    AD_CHECK(i == 0 || b.out_indices[i] > b.out_indices[i - 1], "{}: backbone out_indices must be ascending", source);
  }
  AD_CHECK(d_model > 0 && d_model % 32 == 0, "{}: d_model must be a positive multiple of 32 (GroupNorm(32, d_model)), got {}",
           source, d_model);
  AD_CHECK(d_model % encoder_attention_heads == 0 && d_model % decoder_attention_heads == 0,
           "{}: d_model {} not divisible by the attention heads", source, d_model);
  AD_CHECK(encoder_attention_heads >= 2 && (encoder_ffn_dim / 2) % (encoder_attention_heads / 2) == 0 &&
               d_model % (encoder_attention_heads / 2) == 0,
           "{}: encoder_ffn_dim/2 ({}) and d_model must be divisible by encoder_attention_heads/2 ({})", source,
           encoder_ffn_dim / 2, encoder_attention_heads / 2);
  AD_CHECK(text.hidden_size % text.num_attention_heads == 0, "{}: text hidden_size {} not divisible by heads {}", source,
           text.hidden_size, text.num_attention_heads);
  AD_CHECK(num_feature_levels >= 1, "{}: num_feature_levels must be >= 1", source);
  AD_CHECK(num_feature_levels > 1 || b.out_indices.size() == 1,
           "{}: num_feature_levels == 1 needs exactly one backbone output (upstream projects only the last), got {}", source,
           b.out_indices.size());
  AD_CHECK(num_feature_levels == 1 || num_feature_levels >= int64_t(b.out_indices.size()),
           "{}: num_feature_levels {} < backbone outputs {}", source, num_feature_levels, b.out_indices.size());
  AD_CHECK(position_embedding_type == "sine" || position_embedding_type == "learned",
           "{}: position_embedding_type must be 'sine' or 'learned', got '{}'", source, position_embedding_type);
  // Reference points are always 4-d boxes (two-stage proposals or the 4-column reference_points
  // embedding), so upstream's reference_points_head only fits query_dim 4 (2 fails there too).
  AD_CHECK(query_dim == 4, "{}: query_dim must be 4 (reference points are (cx, cy, w, h) boxes), got {}", source, query_dim);
  AD_CHECK(num_queries > 0 && max_text_len > 0, "{}: num_queries and max_text_len must be positive", source);
  clip_common::parse_activation(activation_function, source + " activation_function");
  clip_common::parse_activation(b.hidden_act, source + " backbone hidden_act");
  clip_common::parse_activation(text.hidden_act, source + " text hidden_act");
}

Config parse_config(const nlohmann::json& j, const std::string& source) {
  AD_CHECK(j.is_object(), "{}: config must be a JSON object", source);
  Config c;
  if (auto it = j.find("model_type"); it != j.end() && it->is_string())
    AD_CHECK(*it == "grounding-dino", "{}: model_type is '{}', expected 'grounding-dino'", source, it->get<std::string>());
  bool timm = false;
  read(j, "use_timm_backbone", timm, source);
  AD_CHECK(!timm, "{}: use_timm_backbone=true is not supported (only the Hugging Face Swin backbone)", source);
  if (auto it = j.find("backbone_config"); it != j.end() && it->is_object()) {
    const auto& bj = *it;
    const std::string where = source + " backbone_config";
    std::string type = "swin";
    read(bj, "model_type", type, where);
    AD_CHECK(type == "swin", "{}: backbone model_type '{}' is not supported (only 'swin')", where, type);
    auto& b = c.backbone;
    b = SwinConfig{};
    read(bj, "patch_size", b.patch_size, where);
    read(bj, "num_channels", b.num_channels, where);
    read(bj, "embed_dim", b.embed_dim, where);
    read(bj, "depths", b.depths, where);
    read(bj, "num_heads", b.num_heads, where);
    read(bj, "window_size", b.window_size, where);
    read(bj, "mlp_ratio", b.mlp_ratio, where);
    read(bj, "qkv_bias", b.qkv_bias, where);
    read(bj, "hidden_act", b.hidden_act, where);
    read(bj, "layer_norm_eps", b.layer_norm_eps, where);
    read(bj, "use_absolute_embeddings", b.use_absolute_embeddings, where);
    // SwinConfig alone defaults to the last stage; out_indices win over out_features.
    b.out_indices = {int64_t(b.depths.size())};
    if (auto f = bj.find("out_features"); f != bj.end() && f->is_array()) {
      b.out_indices.clear();
      for (const auto& name : *f) {
        const std::string s = name.get<std::string>();
        if (s == "stem") {
          b.out_indices.push_back(0);
        } else {
          AD_CHECK(s.rfind("stage", 0) == 0, "{}: unknown out_feature '{}'", where, s);
          b.out_indices.push_back(std::stoll(s.substr(5)));
        }
      }
    }
    read(bj, "out_indices", b.out_indices, where);
  }
  if (auto it = j.find("text_config"); it != j.end() && it->is_object()) {
    const auto& tj = *it;
    const std::string where = source + " text_config";
    std::string type = "bert";
    read(tj, "model_type", type, where);
    AD_CHECK(type == "bert", "{}: text model_type '{}' is not supported (only 'bert')", where, type);
    std::string pos = "absolute";
    read(tj, "position_embedding_type", pos, where);
    AD_CHECK(pos == "absolute", "{}: position_embedding_type '{}' is not supported", where, pos);
    auto& t = c.text;
    read(tj, "vocab_size", t.vocab_size, where);
    read(tj, "hidden_size", t.hidden_size, where);
    read(tj, "num_hidden_layers", t.num_hidden_layers, where);
    read(tj, "num_attention_heads", t.num_attention_heads, where);
    read(tj, "intermediate_size", t.intermediate_size, where);
    read(tj, "hidden_act", t.hidden_act, where);
    read(tj, "max_position_embeddings", t.max_position_embeddings, where);
    read(tj, "type_vocab_size", t.type_vocab_size, where);
    read(tj, "layer_norm_eps", t.layer_norm_eps, where);
    read(tj, "pad_token_id", t.pad_token_id, where);
  }
  read(j, "d_model", c.d_model, source);
  read(j, "num_queries", c.num_queries, source);
  read(j, "encoder_layers", c.encoder_layers, source);
  read(j, "encoder_ffn_dim", c.encoder_ffn_dim, source);
  read(j, "encoder_attention_heads", c.encoder_attention_heads, source);
  read(j, "encoder_n_points", c.encoder_n_points, source);
  read(j, "decoder_layers", c.decoder_layers, source);
  read(j, "decoder_ffn_dim", c.decoder_ffn_dim, source);
  read(j, "decoder_attention_heads", c.decoder_attention_heads, source);
  read(j, "decoder_n_points", c.decoder_n_points, source);
  read(j, "activation_function", c.activation_function, source);
  read(j, "position_embedding_type", c.position_embedding_type, source);
  read(j, "num_feature_levels", c.num_feature_levels, source);
  read(j, "two_stage", c.two_stage, source);
  read(j, "max_text_len", c.max_text_len, source);
  read(j, "embedding_init_target", c.embedding_init_target, source);
  read(j, "query_dim", c.query_dim, source);
  read(j, "decoder_bbox_embed_share", c.decoder_bbox_embed_share, source);
  read(j, "two_stage_bbox_embed_share", c.two_stage_bbox_embed_share, source);
  read(j, "positional_embedding_temperature", c.positional_embedding_temperature, source);
  read(j, "layer_norm_eps", c.layer_norm_eps, source);
  c.validate(source);
  return c;
}

Config load_config(const std::filesystem::path& p) {
  const auto path = std::filesystem::is_directory(p) ? p / "config.json" : p;
  std::ifstream f(path);
  AD_CHECK_IO(f.good(), "{}: cannot open the Grounding DINO config", path.string());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    AD_THROW(IOError, "{}: malformed JSON: {}", path.string(), e.what());
  }
  return parse_config(j, path.string());
}

}  // namespace autodistill::grounding_dino
