#pragma once
// GroundingDinoConfig (transformers 4.43) parsed from a Hugging Face config.json. Hub configs are
// stored in "diff" form, so every absent key takes the default of upstream's config classes:
// GroundingDinoConfig, its default SwinConfig backbone and BertConfig text encoder.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace autodistill::grounding_dino {

struct SwinConfig {
  int64_t patch_size = 4;
  int64_t num_channels = 3;
  int64_t embed_dim = 96;
  std::vector<int64_t> depths{2, 2, 6, 2};
  std::vector<int64_t> num_heads{3, 6, 12, 24};
  int64_t window_size = 7;
  double mlp_ratio = 4.0;
  bool qkv_bias = true;
  std::string hidden_act = "gelu";
  double layer_norm_eps = 1e-5;
  bool use_absolute_embeddings = false;
  /// Stage indices (0 = stem, i = stage i) whose outputs feed the detector, ascending.
  std::vector<int64_t> out_indices{2, 3, 4};

  /// Channels of stage index i (0 = stem): embed_dim * 2^max(i-1, 0).
  int64_t channels(int64_t index) const;
};

struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  int64_t pad_token_id = 0;
};

struct Config {
  SwinConfig backbone;
  BertConfig text;
  int64_t d_model = 256;
  int64_t num_queries = 900;
  int64_t encoder_layers = 6;
  int64_t encoder_ffn_dim = 2048;
  int64_t encoder_attention_heads = 8;
  int64_t encoder_n_points = 4;
  int64_t decoder_layers = 6;
  int64_t decoder_ffn_dim = 2048;
  int64_t decoder_attention_heads = 8;
  int64_t decoder_n_points = 4;
  std::string activation_function = "relu";
  std::string position_embedding_type = "sine";  // "sine" | "learned"
  int64_t num_feature_levels = 4;
  bool two_stage = true;
  int64_t max_text_len = 256;
  bool embedding_init_target = true;
  int64_t query_dim = 4;
  bool decoder_bbox_embed_share = true;
  bool two_stage_bbox_embed_share = false;  // has no effect upstream (see gd_model.cpp)
  double positional_embedding_temperature = 20.0;
  double layer_norm_eps = 1e-5;

  /// InvalidArgument naming the field for unsupported or inconsistent values.
  void validate(const std::string& source) const;
};

/// Parses a config.json object; `source` names it in errors.
Config parse_config(const nlohmann::json& json, const std::string& source);
/// Reads and parses `folder/config.json` (or `path` itself when it is a file); IOError if
/// missing or malformed.
Config load_config(const std::filesystem::path& folder_or_file);

}  // namespace autodistill::grounding_dino
