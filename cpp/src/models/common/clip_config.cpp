#include "clip_config.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "activations.h"
#include "autodistill/core/error.h"

namespace autodistill::clip_common {
namespace {

template <typename T>
void read(const nlohmann::json& j, const char* key, T& field, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  try {
    field = it->get<T>();
  } catch (const nlohmann::json::exception&) {
    AD_THROW(InvalidArgument, "{}: '{}' has the wrong type (got {})", where, key, it->dump());
  }
}

// Sub-config object under `key`; older CLIP configs spell it "<key>_dict".
const nlohmann::json* sub_config(const nlohmann::json& j, const std::string& key) {
  for (const std::string& k : {key, key + "_dict"}) {
    auto it = j.find(k);
    if (it != j.end() && it->is_object()) return &*it;
  }
  return nullptr;
}

}  // namespace

const char* family_name(Family family) {
  switch (family) {
    case Family::kClip: return "clip";
    case Family::kOwlViT: return "owlvit";
    case Family::kOwlV2: return "owlv2";
  }
  return "?";
}

Config default_config(Family family) {
  Config c;
  c.family = family;
  if (family != Family::kClip) {
    // OwlViTTextConfig / Owlv2TextConfig: 16 positions, pad id 0 ("!").
    c.text.max_position_embeddings = 16;
    c.text.pad_token_id = 0;
    c.vision.image_size = 768;
    c.vision.patch_size = family == Family::kOwlV2 ? 16 : 32;
  }
  return c;
}

void Config::validate(const std::string& source) const {
  auto positive = [&](int64_t v, const char* name) {
    AD_CHECK(v > 0, "{}: {} must be > 0, got {}", source, name, v);
  };
  positive(text.vocab_size, "text_config.vocab_size");
  positive(text.hidden_size, "text_config.hidden_size");
  positive(text.intermediate_size, "text_config.intermediate_size");
  positive(text.num_hidden_layers, "text_config.num_hidden_layers");
  positive(text.num_attention_heads, "text_config.num_attention_heads");
  positive(text.max_position_embeddings, "text_config.max_position_embeddings");
  positive(vision.hidden_size, "vision_config.hidden_size");
  positive(vision.intermediate_size, "vision_config.intermediate_size");
  positive(vision.num_hidden_layers, "vision_config.num_hidden_layers");
  positive(vision.num_attention_heads, "vision_config.num_attention_heads");
  positive(vision.num_channels, "vision_config.num_channels");
  positive(vision.patch_size, "vision_config.patch_size");
  positive(projection_dim, "projection_dim");
  AD_CHECK(text.hidden_size % text.num_attention_heads == 0,
           "{}: text_config.hidden_size ({}) must be divisible by num_attention_heads ({})", source,
           text.hidden_size, text.num_attention_heads);
  AD_CHECK(vision.hidden_size % vision.num_attention_heads == 0,
           "{}: vision_config.hidden_size ({}) must be divisible by num_attention_heads ({})", source,
           vision.hidden_size, vision.num_attention_heads);
  AD_CHECK(vision.image_size >= vision.patch_size,
           "{}: vision_config.image_size ({}) must be >= patch_size ({})", source, vision.image_size,
           vision.patch_size);
  AD_CHECK(text.layer_norm_eps > 0 && vision.layer_norm_eps > 0, "{}: layer_norm_eps must be > 0", source);
  parse_activation(text.hidden_act, source + ": text_config.hidden_act");
  parse_activation(vision.hidden_act, source + ": vision_config.hidden_act");
}

Config parse_config(const nlohmann::json& j, Family family, const std::string& source) {
  AD_CHECK(j.is_object(), "{}: expected a JSON object, got {}", source, j.type_name());
  Config c = default_config(family);
  std::string model_type;
  read(j, "model_type", model_type, source);
  AD_CHECK(model_type.empty() || model_type == family_name(family),
           "{}: model_type is '{}', but this loader expects '{}'", source, model_type, family_name(family));
  read(j, "projection_dim", c.projection_dim, source);
  read(j, "logit_scale_init_value", c.logit_scale_init_value, source);
  if (const nlohmann::json* t = sub_config(j, "text_config")) {
    const std::string w = source + ": text_config";
    read(*t, "vocab_size", c.text.vocab_size, w);
    read(*t, "hidden_size", c.text.hidden_size, w);
    read(*t, "intermediate_size", c.text.intermediate_size, w);
    read(*t, "num_hidden_layers", c.text.num_hidden_layers, w);
    read(*t, "num_attention_heads", c.text.num_attention_heads, w);
    read(*t, "max_position_embeddings", c.text.max_position_embeddings, w);
    read(*t, "hidden_act", c.text.hidden_act, w);
    read(*t, "layer_norm_eps", c.text.layer_norm_eps, w);
    read(*t, "pad_token_id", c.text.pad_token_id, w);
    read(*t, "bos_token_id", c.text.bos_token_id, w);
    read(*t, "eos_token_id", c.text.eos_token_id, w);
  }
  if (const nlohmann::json* v = sub_config(j, "vision_config")) {
    const std::string w = source + ": vision_config";
    read(*v, "hidden_size", c.vision.hidden_size, w);
    read(*v, "intermediate_size", c.vision.intermediate_size, w);
    read(*v, "num_hidden_layers", c.vision.num_hidden_layers, w);
    read(*v, "num_attention_heads", c.vision.num_attention_heads, w);
    read(*v, "num_channels", c.vision.num_channels, w);
    read(*v, "image_size", c.vision.image_size, w);
    read(*v, "patch_size", c.vision.patch_size, w);
    read(*v, "hidden_act", c.vision.hidden_act, w);
    read(*v, "layer_norm_eps", c.vision.layer_norm_eps, w);
  }
  c.validate(source);
  return c;
}

Config load_config(const std::filesystem::path& folder, Family family) {
  AD_CHECK_IO(std::filesystem::is_directory(folder), "{}: weights folder does not exist or is not a folder",
              folder.string());
  const auto path = folder / "config.json";
  std::ifstream in(path);
  AD_CHECK_IO(in.good(), "{}: missing (a Hugging Face {} checkpoint folder needs config.json)", path.string(),
              family_name(family));
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    AD_THROW(IOError, "{}: malformed JSON: {}", path.string(), e.what());
  }
  return parse_config(j, family, path.string());
}

}  // namespace autodistill::clip_common
