#pragma once
// Configuration of the CLIP-style two-tower transformer shared by CLIP, OWL-ViT and OWLv2, parsed
// from a Hugging Face config.json. Hub configs are stored in "diff" form (only values that differ
// from the class defaults), so every field's default is the one of transformers 4.43's config
// classes for the given family.

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace autodistill::clip_common {

enum class Family { kClip, kOwlViT, kOwlV2 };
/// "clip", "owlvit", "owlv2".
const char* family_name(Family family);

struct TextConfig {
  int64_t vocab_size = 49408;
  int64_t hidden_size = 512;
  int64_t intermediate_size = 2048;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 8;
  int64_t max_position_embeddings = 77;
  std::string hidden_act = "quick_gelu";
  double layer_norm_eps = 1e-5;
  int64_t pad_token_id = 1;
  int64_t bos_token_id = 49406;
  int64_t eos_token_id = 49407;
};

struct VisionConfig {
  int64_t hidden_size = 768;
  int64_t intermediate_size = 3072;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t num_channels = 3;
  int64_t image_size = 224;
  int64_t patch_size = 32;
  std::string hidden_act = "quick_gelu";
  double layer_norm_eps = 1e-5;

  /// Patches per side (image_size // patch_size, as upstream).
  int64_t grid() const { return image_size / patch_size; }
};

struct Config {
  Family family = Family::kClip;
  TextConfig text;
  VisionConfig vision;
  int64_t projection_dim = 512;
  double logit_scale_init_value = 2.6592;

  /// InvalidArgument naming the field when a size is not positive, heads do not divide the hidden
  /// size, the image is smaller than a patch, or an activation is unknown.
  void validate(const std::string& source) const;
};

/// Upstream defaults of `family` (what an empty config.json means).
Config default_config(Family family);
/// Parses a config.json object; `source` names it in errors. A "model_type" that belongs to a
/// different family is an InvalidArgument ("expected owlvit, got clip").
Config parse_config(const nlohmann::json& json, Family family, const std::string& source);
/// Reads and parses `folder/config.json`; IOError if missing or malformed.
Config load_config(const std::filesystem::path& folder, Family family);

}  // namespace autodistill::clip_common
