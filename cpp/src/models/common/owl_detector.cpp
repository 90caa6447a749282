#include "owl_detector.h"

#include <algorithm>

#include <c10/core/InferenceMode.h>

#include "autodistill/core/error.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/core/threads.h"
#include "runtime.h"
#include "text_inputs.h"

namespace autodistill::clip_common {

OwlMlpHead::OwlMlpHead(int64_t width, int64_t out_dim) {
  dense0 = register_module("dense0", std::make_shared<Linear>(width, width));
  dense1 = register_module("dense1", std::make_shared<Linear>(width, width));
  dense2 = register_module("dense2", std::make_shared<Linear>(width, out_dim));
}

at::Tensor OwlMlpHead::forward(const at::Tensor& x) const {
  return dense2->forward(at::gelu(dense1->forward(at::gelu(dense0->forward(x)))));
}

OwlClassHead::OwlClassHead(int64_t query_dim, int64_t out_dim) {
  dense0 = register_module("dense0", std::make_shared<Linear>(query_dim, out_dim));
  logit_shift = register_module("logit_shift", std::make_shared<Linear>(query_dim, 1));
  logit_scale = register_module("logit_scale", std::make_shared<Linear>(query_dim, 1));
}

std::pair<at::Tensor, at::Tensor> OwlClassHead::forward(const at::Tensor& image_feats, const at::Tensor& query_embeds,
                                                        const at::Tensor& query_mask) const {
  at::Tensor cls = dense0->forward(image_feats);
  cls = cls / (at::linalg_vector_norm(cls, 2, {-1}, true) + 1e-6);
  const at::Tensor q = query_embeds / (at::linalg_vector_norm(query_embeds, 2, {-1}, true) + 1e-6);
  at::Tensor logits = at::matmul(cls, q.transpose(-1, -2));  // (B, n, Q)
  const at::Tensor shift = logit_shift->forward(image_feats);
  const at::Tensor scale = at::elu(logit_scale->forward(image_feats)) + 1;
  logits = (logits + shift) * scale;
  if (query_mask.defined())
    logits = logits.masked_fill((query_mask.unsqueeze(-2) == 0).to(logits.device()), finfo_min(logits.scalar_type()));
  return {logits, cls};
}

at::Tensor owl_box_bias(int64_t g) {
  const at::Tensor c = at::arange(1, g + 1, at::kFloat) / double(g);
  // meshgrid "xy": x varies along columns; flattened row-major -> (x_j, y_i) at i * g + j
  const at::Tensor xx = c.view({1, g}).expand({g, g});
  const at::Tensor yy = c.view({g, 1}).expand({g, g});
  at::Tensor coords = at::stack({xx, yy}, -1).reshape({g * g, 2}).clamp(0.0, 1.0);
  const at::Tensor coord_bias = at::log(coords + 1e-4) - at::log1p(-coords + 1e-4);
  const at::Tensor size = at::full_like(coord_bias, 1.0 / double(g));
  const at::Tensor size_bias = at::log(size + 1e-4) - at::log1p(-size + 1e-4);
  return at::cat({coord_bias, size_bias}, -1);
}

OwlDetector::OwlDetector(const Config& c) : config(c) {
  core = register_module(family_name(c.family), std::make_shared<TwoTower>(c));
  class_head = register_module("class_head", std::make_shared<OwlClassHead>(c.vision.hidden_size, c.text.hidden_size));
  box_head = register_module("box_head", std::make_shared<OwlMlpHead>(c.vision.hidden_size, 4));
  layer_norm = register_module("layer_norm", std::make_shared<LayerNorm>(c.vision.hidden_size, c.vision.layer_norm_eps));
  if (c.family == Family::kOwlV2)
    objectness_head = register_module("objectness_head", std::make_shared<OwlMlpHead>(c.vision.hidden_size, 1));
  box_bias = owl_box_bias(c.vision.grid());
}

OwlDetector::ImageOut OwlDetector::image_features(const at::Tensor& pixel_values) const {
  ImageOut out;
  out.vision_last_hidden_state = core->vision_model->forward(pixel_values);
  const at::Tensor x = core->vision_model->post_layernorm->forward(out.vision_last_hidden_state);
  const int64_t b = x.size(0), n = x.size(1) - 1, d = x.size(2), g = config.vision.grid();
  // patch tokens times the class token, then layer_norm
  out.image_feats = layer_norm->forward(x.narrow(1, 1, n) * x.narrow(1, 0, 1));
  out.feature_map = out.image_feats.view({b, g, g, d});
  return out;
}

at::Tensor OwlDetector::pred_boxes(const at::Tensor& image_feats) const {
  const at::Tensor bias = box_bias.to(image_feats.device(), image_feats.scalar_type());
  return at::sigmoid(box_head->forward(image_feats) + bias);
}

at::Tensor OwlDetector::objectness(const at::Tensor& image_feats) const {
  AD_CHECK(objectness_head, "objectness is an OWLv2 head");
  return objectness_head->forward(image_feats).select(-1, 0);
}

std::vector<OwlResult> owl_post_process(const at::Tensor& logits, const at::Tensor& pred_boxes, double threshold,
                                        const std::vector<std::pair<int64_t, int64_t>>& target_sizes_hw) {
  AD_CHECK(logits.dim() == 3 && pred_boxes.dim() == 3 && pred_boxes.size(2) == 4 && logits.size(0) == pred_boxes.size(0) &&
               logits.size(1) == pred_boxes.size(1),
           "post_process: logits must be (B, n, Q) and pred_boxes (B, n, 4) with the same B, n; got {} and {}",
           shape_of(logits), shape_of(pred_boxes));
  AD_CHECK(target_sizes_hw.empty() || int64_t(target_sizes_hw.size()) == logits.size(0),
           "post_process: {} target sizes for a batch of {}", target_sizes_hw.size(), logits.size(0));
  const auto [best, labels] = logits.to(at::kFloat).max(-1);
  const at::Tensor scores = at::sigmoid(best).cpu();
  const at::Tensor b = pred_boxes.to(at::kFloat).cpu();
  const at::Tensor cx = b.select(-1, 0), cy = b.select(-1, 1), w = b.select(-1, 2), h = b.select(-1, 3);
  at::Tensor xyxy = at::stack({cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h}, -1);
  std::vector<OwlResult> out;
  for (int64_t i = 0; i < logits.size(0); ++i) {
    at::Tensor boxes = xyxy[i];
    if (!target_sizes_hw.empty()) {
      const float th = float(target_sizes_hw[size_t(i)].first), tw = float(target_sizes_hw[size_t(i)].second);
      boxes = boxes * at::tensor({tw, th, tw, th}, at::kFloat);
    }
    const at::Tensor keep = scores[i] > threshold;
    out.push_back({scores[i].masked_select(keep), labels[i].cpu().masked_select(keep),
                   boxes.index_select(0, keep.nonzero().view(-1))});
  }
  return out;
}

OwlEngine::OwlEngine(Family f, const std::filesystem::path& dir, const std::string& device_spec,
                     const std::string& dtype_name)
    : family(f), name(family_name(f)), folder(dir) {
  ensure_threads_configured();
  config = load_config(folder, family);
  image_config = load_image_processor(folder, family);
  device = resolve_device(device_spec);
  dtype = parse_dtype(dtype_name, name);
  check_dtype_supported(dtype, device, name);
  model = std::make_shared<OwlDetector>(config);
  load_checkpoint(*model, folder, ignorable_buffers(name + "."), device, dtype);
  model->eval();
  check_processor_matches(image_config, config, folder);
}

const CLIPTokenizer& OwlEngine::tok() {
  if (!tokenizer) tokenizer = CLIPTokenizer::from_folder(folder, std::string("!"));
  return *tokenizer;
}

at::Tensor OwlEngine::pixel_values(const std::vector<cv::Mat>& images) const {
  std::vector<at::Tensor> px;
  px.reserve(images.size());
  for (const cv::Mat& img : images) px.push_back(preprocess_rgb(to_rgb_u8(img), image_config));
  return at::stack(px);
}

at::Tensor OwlEngine::text_queries(const std::vector<std::string>& texts) {
  auto [ids, mask] = encode_texts(tok(), texts, config.text.max_position_embeddings, true, name);
  return l2_normalize(model->core->encode_text(ids.to(device), mask.to(device)).embeds);
}

std::vector<Detections> OwlEngine::predict(const std::vector<cv::Mat>& images, const CaptionOntology& ontology,
                                           int batch_size, float box_threshold, float nms_iou) {
  c10::InferenceMode guard;
  if (!prompt_embeds.defined()) prompt_embeds = text_queries(ontology.prompts());
  std::vector<Detections> out;
  out.reserve(images.size());
  for (size_t start = 0; start < images.size(); start += size_t(batch_size)) {
    throw_if_interrupted();
    const size_t end = std::min(images.size(), start + size_t(batch_size));
    const std::vector<cv::Mat> chunk(images.begin() + long(start), images.begin() + long(end));
    const at::Tensor px = pixel_values(chunk).to(device, dtype);
    const auto feats = model->image_features(px);
    const int64_t b = px.size(0);
    const at::Tensor queries = prompt_embeds.unsqueeze(0).expand({b, prompt_embeds.size(0), prompt_embeds.size(1)});
    const at::Tensor logits = model->class_head->forward(feats.image_feats, queries, at::Tensor()).first;
    const at::Tensor boxes = model->pred_boxes(feats.image_feats);
    std::vector<std::pair<int64_t, int64_t>> sizes;
    for (const cv::Mat& img : chunk) {
      // OWLv2 pads bottom/right to a square before resizing, so its boxes are fractions of that square.
      if (family == Family::kOwlV2 && image_config.do_pad) {
        const int64_t s = std::max(img.rows, img.cols);
        sizes.emplace_back(s, s);
      } else {
        sizes.emplace_back(img.rows, img.cols);
      }
    }
    const auto results = owl_post_process(logits, boxes, box_threshold, sizes);
    for (size_t i = 0; i < chunk.size(); ++i) {
      const OwlResult& r = results[i];
      const int64_t k = r.scores.size(0);
      BoxArray xyxy(k, 4);
      ScoreArray conf(k);
      ClassIdArray cls(k);
      const float w = float(chunk[i].cols), h = float(chunk[i].rows);
      for (int64_t j = 0; j < k; ++j) {
        const auto bx = r.boxes[j];
        xyxy(j, 0) = std::clamp(bx[0].item<float>(), 0.f, w);
        xyxy(j, 1) = std::clamp(bx[1].item<float>(), 0.f, h);
        xyxy(j, 2) = std::clamp(bx[2].item<float>(), 0.f, w);
        xyxy(j, 3) = std::clamp(bx[3].item<float>(), 0.f, h);
        conf(j) = r.scores[j].item<float>();
        cls(j) = ontology.prompt_class_id(size_t(r.labels[j].item<int64_t>()));
      }
      Detections d(std::move(xyxy), std::move(conf), std::move(cls));
      out.push_back(nms_iou < 1.f ? d.with_nms(nms_iou) : d);
    }
  }
  return out;
}

std::map<std::string, at::Tensor> OwlEngine::forward_raw(const std::map<std::string, at::Tensor>& inputs) {
  c10::InferenceMode guard;
  for (const auto& [k, v] : inputs)
    AD_CHECK(k == "pixel_values" || k == "input_ids" || k == "attention_mask",
             "{} forward_raw: unknown input '{}' (expected pixel_values, input_ids, attention_mask)", name, k);
  AD_CHECK(inputs.count("pixel_values"), "{} forward_raw: pixel_values is required", name);
  std::map<std::string, at::Tensor> out;
  auto f32 = [](const at::Tensor& t) { return t.to(at::kFloat).cpu().contiguous(); };
  const at::Tensor px = inputs.at("pixel_values").to(device, dtype);
  const auto feats = model->image_features(px);
  const int64_t b = px.size(0);
  out["vision_last_hidden_state"] = f32(feats.vision_last_hidden_state);
  out["image_embeds"] = f32(feats.feature_map);
  out["pred_boxes"] = f32(model->pred_boxes(feats.image_feats));
  if (model->objectness_head) out["objectness_logits"] = f32(model->objectness(feats.image_feats));
  if (auto it = inputs.find("input_ids"); it != inputs.end()) {
    const at::Tensor ids = it->second.to(device, at::kLong);
    AD_CHECK(ids.dim() == 2 && ids.size(0) % b == 0,
             "{} forward_raw: input_ids must be (batch * queries, L) = ({} * Q, L), got {}", name, b, shape_of(ids));
    at::Tensor mask;
    if (auto mi = inputs.find("attention_mask"); mi != inputs.end()) mask = mi->second.to(device);
    const auto t = model->core->encode_text(ids, mask);
    const int64_t q = ids.size(0) / b;
    const at::Tensor text = l2_normalize(t.embeds).view({b, q, -1});
    const at::Tensor query_mask = ids.view({b, q, -1}).select(-1, 0) > 0;
    const auto [logits, cls] = model->class_head->forward(feats.image_feats, text, query_mask);
    out["logits"] = f32(logits);
    out["class_embeds"] = f32(cls);
    out["text_embeds"] = f32(text);
    out["text_last_hidden_state"] = f32(t.last_hidden_state);
    out["text_pooler_output"] = f32(t.pooled);
  }
  return out;
}

}  // namespace autodistill::clip_common
