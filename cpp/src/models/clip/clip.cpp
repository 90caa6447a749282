#include "autodistill/models/clip/clip.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include "../common/clip_config.h"
#include "../common/clip_layers.h"
#include "../common/image_processing.h"
#include "../common/runtime.h"
#include "../common/text_inputs.h"
#include "autodistill/core/error.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/core/threads.h"
#include "autodistill/models/clip/clip_torch.h"
#include "autodistill/models/options.h"
#include "autodistill/models/registry.h"
#include "autodistill/text/clip_tokenizer.h"

namespace autodistill {

using namespace clip_common;

struct CLIP::Impl {
  std::filesystem::path folder;
  Config config;
  ImageProcessorConfig image_config;
  std::shared_ptr<TwoTower> model;
  c10::Device device{c10::DeviceType::CPU};
  c10::ScalarType dtype = at::kFloat;
  std::optional<CLIPTokenizer> tokenizer;
  at::Tensor prompt_embeds;  // (Q, P) normalised, in dtype on device; computed on first use

  const CLIPTokenizer& tok() {
    if (!tokenizer) tokenizer = CLIPTokenizer::from_folder(folder);
    return *tokenizer;
  }

  at::Tensor pixel_values(const std::vector<cv::Mat>& images) const {
    std::vector<at::Tensor> px;
    px.reserve(images.size());
    for (const cv::Mat& img : images) px.push_back(preprocess_rgb(to_rgb_u8(img), image_config));
    return at::stack(px);
  }

  // (B, P) normalised image embeddings, float32 on the CPU.
  at::Tensor image_embeds(const at::Tensor& pixel_values) const {
    const at::Tensor last = model->vision_model->forward(pixel_values.to(device, dtype));
    const at::Tensor pooled = model->vision_model->post_layernorm->forward(last.select(1, 0));
    return l2_normalize(model->visual_projection->forward(pooled));
  }

  at::Tensor text_embeds(const std::vector<std::string>& texts) {
    auto [ids, mask] = encode_texts(tok(), texts, config.text.max_position_embeddings, false, "clip");
    return l2_normalize(model->encode_text(ids.to(device), mask.to(device)).embeds);
  }
};

void CLIP::Options::validate() const {
  AD_CHECK(!weights.empty(), "clip: the 'weights' option (a Hugging Face checkpoint folder) is required");
  AD_CHECK(batch_size >= 1, "clip: batch_size must be >= 1, got {}", batch_size);
  AD_CHECK(confidence >= 0.f && confidence <= 1.f, "clip: confidence must be in [0, 1], got {}", confidence);
  parse_dtype(dtype, "clip");
}

CLIP::CLIP(CaptionOntology ontology, Options options)
    : BaseModel(ontology), ClassificationBaseModel(std::move(ontology)), options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  options_.validate();
  ensure_threads_configured();
  Impl& m = *impl_;
  m.folder = options_.weights;
  m.config = load_config(m.folder, Family::kClip);
  m.image_config = load_image_processor(m.folder, Family::kClip);
  m.device = resolve_device(options_.device);
  m.dtype = parse_dtype(options_.dtype, "clip");
  check_dtype_supported(m.dtype, m.device, "clip");
  m.model = std::make_shared<TwoTower>(m.config);
  load_checkpoint(*m.model, m.folder, ignorable_buffers(""), m.device, m.dtype);
  m.model->eval();
  check_processor_matches(m.image_config, m.config, m.folder);
}

CLIP::~CLIP() = default;

Detections CLIP::predict(const cv::Mat& image) { return predict_batch({image}).front(); }

std::vector<Detections> CLIP::predict_batch(const std::vector<cv::Mat>& images) {
  const std::vector<Classifications> classes = classify_batch(images);
  std::vector<Detections> out;
  out.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    const auto [best, p] = classes[i].top();
    if (p < options_.confidence) {
      out.push_back(Detections::empty());
      continue;
    }
    BoxArray box(1, 4);
    box << 0.f, 0.f, float(images[i].cols), float(images[i].rows);
    ScoreArray score(1);
    score << p;
    ClassIdArray cls(1);
    cls << best;
    out.emplace_back(std::move(box), std::move(score), std::move(cls));
  }
  return out;
}

Classifications CLIP::classify(const cv::Mat& image) { return classify_batch({image}).front(); }

std::vector<Classifications> CLIP::classify_batch(const std::vector<cv::Mat>& images) {
  c10::InferenceMode guard;
  Impl& m = *impl_;
  if (!m.prompt_embeds.defined()) m.prompt_embeds = m.text_embeds(ontology().prompts());
  const float scale = std::exp(m.model->logit_scale.to(at::kFloat).item<float>());
  const size_t num_classes = ontology().classes().size();
  std::vector<Classifications> out;
  out.reserve(images.size());
  for (size_t start = 0; start < images.size(); start += size_t(options_.batch_size)) {
    throw_if_interrupted();
    const size_t end = std::min(images.size(), start + size_t(options_.batch_size));
    const std::vector<cv::Mat> chunk(images.begin() + long(start), images.begin() + long(end));
    const at::Tensor emb = m.image_embeds(m.pixel_values(chunk));
    // Softmax over the prompts, then each class gets the sum of its prompts' probabilities.
    const at::Tensor probs =
        at::softmax((emb.matmul(m.prompt_embeds.t()) * scale).to(at::kFloat), -1).cpu().contiguous();
    const float* p = probs.data_ptr<float>();
    const auto num_prompts = size_t(probs.size(1));
    for (size_t i = 0; i < chunk.size(); ++i) {
      std::vector<float> scores(num_classes, 0.f);
      for (size_t k = 0; k < num_prompts; ++k) scores[size_t(ontology().prompt_class_id(k))] += p[i * num_prompts + k];
      out.push_back(Classifications::from_scores(scores));
    }
  }
  return out;
}

namespace {
EmbeddingMatrix to_matrix(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kFloat).cpu().contiguous();
  EmbeddingMatrix out(c.size(0), c.size(1));
  std::copy(c.data_ptr<float>(), c.data_ptr<float>() + c.numel(), out.data());
  return out;
}
}  // namespace

EmbeddingMatrix CLIP::embed_image(const std::vector<cv::Mat>& images) {
  c10::InferenceMode guard;
  Impl& m = *impl_;
  std::vector<at::Tensor> parts;
  for (size_t start = 0; start < images.size(); start += size_t(options_.batch_size)) {
    throw_if_interrupted();
    const size_t end = std::min(images.size(), start + size_t(options_.batch_size));
    parts.push_back(m.image_embeds(m.pixel_values({images.begin() + long(start), images.begin() + long(end)})));
  }
  if (parts.empty()) return EmbeddingMatrix(0, m.config.projection_dim);
  return to_matrix(at::cat(parts));
}

EmbeddingMatrix CLIP::embed_text(const std::vector<std::string>& texts) {
  c10::InferenceMode guard;
  if (texts.empty()) return EmbeddingMatrix(0, impl_->config.projection_dim);
  return to_matrix(impl_->text_embeds(texts));
}

at::Tensor preprocess(CLIP& model, const std::vector<cv::Mat>& images) { return model.impl().pixel_values(images); }

TensorMap forward_raw(CLIP& model, const TensorMap& inputs) {
  c10::InferenceMode guard;
  CLIP::Impl& m = model.impl();
  for (const auto& [k, v] : inputs)
    AD_CHECK(k == "pixel_values" || k == "input_ids" || k == "attention_mask",
             "clip forward_raw: unknown input '{}' (expected pixel_values, input_ids, attention_mask)", k);
  TensorMap out;
  auto f32 = [](const at::Tensor& t) { return t.to(at::kFloat).cpu().contiguous(); };
  at::Tensor image_embeds, text_embeds;
  if (auto it = inputs.find("pixel_values"); it != inputs.end()) {
    const at::Tensor last = m.model->vision_model->forward(it->second.to(m.device, m.dtype));
    const at::Tensor pooled = m.model->vision_model->post_layernorm->forward(last.select(1, 0));
    image_embeds = l2_normalize(m.model->visual_projection->forward(pooled));
    out["vision_last_hidden_state"] = f32(last);
    out["vision_pooler_output"] = f32(pooled);
    out["image_embeds"] = f32(image_embeds);
  }
  if (auto it = inputs.find("input_ids"); it != inputs.end()) {
    at::Tensor mask;
    if (auto mi = inputs.find("attention_mask"); mi != inputs.end()) mask = mi->second.to(m.device);
    const auto t = m.model->encode_text(it->second.to(m.device), mask);
    text_embeds = l2_normalize(t.embeds);
    out["text_last_hidden_state"] = f32(t.last_hidden_state);
    out["text_pooler_output"] = f32(t.pooled);
    out["text_embeds"] = f32(text_embeds);
  }
  if (image_embeds.defined() && text_embeds.defined()) {
    const at::Tensor logits_per_text = text_embeds.matmul(image_embeds.t()) * m.model->logit_scale.exp();
    out["logits_per_text"] = f32(logits_per_text);
    out["logits_per_image"] = f32(logits_per_text.t());
  }
  return out;
}

namespace {
ModelInfo make_clip_info() {
  const CLIP::Options d;
  nlohmann::ordered_json defaults = {{"weights", nullptr},          {"device", d.device},
                                     {"dtype", d.dtype},            {"batch_size", d.batch_size},
                                     {"confidence", d.confidence}};
  ModelInfo info;
  info.name = "clip";
  info.description =
      "CLIP zero-shot classifier (Hugging Face CLIPModel checkpoint folder in 'weights'): one whole-image "
      "detection per image with the best prompt's class and its softmax probability.";
  info.default_options_json = defaults.dump();
  info.factory = [](const ModelOptions& options) -> std::shared_ptr<BaseModel> {
    OptionReader r(options, "clip");
    CaptionOntology ontology = r.ontology();
    CLIP::Options o;
    o.weights = r.get("weights", o.weights);
    o.device = r.get("device", o.device);
    o.dtype = r.get("dtype", o.dtype);
    o.batch_size = r.get("batch_size", o.batch_size);
    o.confidence = r.get("confidence", o.confidence);
    r.finish();
    return std::make_shared<CLIP>(std::move(ontology), o);
  };
  return info;
}
}  // namespace

AD_REGISTER_BASE_MODEL(clip, &make_clip_info);

}  // namespace autodistill
