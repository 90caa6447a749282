#include "autodistill/models/grounding_dino/grounding_dino.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "../common/image_processing.h"
#include "../common/runtime.h"
#include "autodistill/core/error.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/core/logging.h"
#include "autodistill/io/safetensors.h"
#include "autodistill/io/weights_map.h"
#include "autodistill/models/grounding_dino/grounding_dino_torch.h"
#include "autodistill/models/options.h"
#include "autodistill/models/registry.h"
#include "autodistill/text/bert_tokenizer.h"
#include "gd_model.h"

namespace autodistill {

using grounding_dino::GroundingDinoModel;

namespace {

struct ProcessorConfig {
  int64_t shortest_edge = 800, longest_edge = 1333;
  bool do_resize = true, do_rescale = true, do_normalize = true;
  double rescale_factor = 1.0 / 255.0;
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f}, std{0.229f, 0.224f, 0.225f};
  clip_common::PilFilter resample = clip_common::PilFilter::kBilinear;
};

ProcessorConfig load_processor(const std::filesystem::path& folder) {
  ProcessorConfig p;
  const auto path = folder / "preprocessor_config.json";
  if (!std::filesystem::exists(path)) {
    log_warning("grounding_dino: {} missing, using GroundingDinoImageProcessor defaults", path.string());
    return p;
  }
  std::ifstream f(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    AD_THROW(IOError, "{}: malformed JSON: {}", path.string(), e.what());
  }
  if (j.contains("size") && j["size"].is_object()) {
    const auto& s = j["size"];
    AD_CHECK(s.contains("shortest_edge") && s.contains("longest_edge"),
             "{}: size must have shortest_edge and longest_edge (got {})", path.string(), s.dump());
    p.shortest_edge = s["shortest_edge"].get<int64_t>();
    p.longest_edge = s["longest_edge"].get<int64_t>();
  }
  p.do_resize = j.value("do_resize", p.do_resize);
  p.do_rescale = j.value("do_rescale", p.do_rescale);
  p.do_normalize = j.value("do_normalize", p.do_normalize);
  p.rescale_factor = j.value("rescale_factor", p.rescale_factor);
  if (j.contains("image_mean")) p.mean = j["image_mean"].get<std::array<float, 3>>();
  if (j.contains("image_std")) p.std = j["image_std"].get<std::array<float, 3>>();
  p.resample = clip_common::PilFilter(j.value("resample", 2));
  return p;
}

// Token ids of one prompt, without [CLS]/[SEP].
std::vector<int64_t> prompt_ids(const BertTokenizer& tok, const std::string& prompt) {
  const Encoding e = tok.encode(prompt, 1 << 20, false, false);
  return std::vector<int64_t>(e.input_ids.begin() + 1, e.input_ids.end() - 1);
}

}  // namespace

void GroundingDinoOptions::validate() const {
  AD_CHECK(!weights.empty(), "grounding_dino: the 'weights' option (a Hugging Face checkpoint folder) is required");
  AD_CHECK(box_threshold >= 0.f && box_threshold <= 1.f, "grounding_dino: box_threshold must be in [0, 1], got {}", box_threshold);
  AD_CHECK(text_threshold >= 0.f && text_threshold <= 1.f, "grounding_dino: text_threshold must be in [0, 1], got {}", text_threshold);
  AD_CHECK(nms_iou > 0.f && nms_iou <= 1.f, "grounding_dino: nms_iou must be in (0, 1], got {}", nms_iou);
  AD_CHECK(deform_attn == "fused" || deform_attn == "grid_sample", "grounding_dino: deform_attn must be 'fused' or 'grid_sample', got '{}'",
           deform_attn);
  clip_common::parse_dtype(dtype, "grounding_dino");
}

struct GroundingDINO::Impl {
  grounding_dino::Config config;
  std::shared_ptr<GroundingDinoModel> model;
  std::unique_ptr<BertTokenizer> tokenizer;
  ProcessorConfig processor;
  c10::Device device = c10::kCPU;
  c10::ScalarType dtype = at::kFloat;
  GroundingDinoTimes times;
  // One caption per chunk of prompts; spans[c][p] = token positions of prompt p of chunk c.
  std::vector<std::vector<size_t>> chunk_prompts;
  std::vector<std::vector<int64_t>> chunk_ids;
  std::vector<std::vector<std::pair<int64_t, int64_t>>> chunk_spans;

  Impl(const GroundingDinoOptions& o) {
    const std::filesystem::path folder = o.weights;
    AD_CHECK_IO(std::filesystem::is_directory(folder), "grounding_dino: weights folder {} does not exist", folder.string());
    config = grounding_dino::load_config(folder);
    tokenizer = std::make_unique<BertTokenizer>(BertTokenizer::from_folder(folder));
    processor = load_processor(folder);
    device = clip_common::resolve_device(o.device);
    dtype = clip_common::parse_dtype(o.dtype, "grounding_dino");
    clip_common::check_dtype_supported(dtype, device, "grounding_dino");
    model = std::make_shared<GroundingDinoModel>(config);
    model->msda_impl = o.deform_attn == "fused" ? grounding_dino::MsdaImpl::kFused : grounding_dino::MsdaImpl::kGridSample;
    const auto path = folder / "model.safetensors";
    if (!std::filesystem::exists(path)) {
      AD_THROW(IOError, "{}: missing{}", path.string(),
               std::filesystem::exists(folder / "pytorch_model.bin")
                   ? " (convert pytorch_model.bin once: python -c \"import torch, safetensors.torch as s; "
                     "s.save_file({k: v.contiguous() for k, v in torch.load('pytorch_model.bin').items()}, 'model.safetensors')\")"
                   : "");
    }
    const SafetensorsFile file = SafetensorsFile::open(path);
    WeightsLoadOptions lo;
    lo.ignore_unexpected = grounding_dino::ignored_checkpoint_names(config);
    // Swin's relative_position_index is a deterministic buffer, rebuilt when a file omits it.
    lo.allow_missing = {};
    model->to(at::kFloat);
    load_state_dict(*model, file, lo);
    model->to(device, dtype);
    model->eval();
  }

  void build_captions(const CaptionOntology& ontology) {
    if (!chunk_ids.empty()) return;
    const int64_t max_len = config.max_text_len;
    const int64_t dot = tokenizer->token_to_id(".").value_or(1012);
    std::vector<size_t> prompts;
    std::vector<int64_t> ids{tokenizer->cls_id()};
    std::vector<std::pair<int64_t, int64_t>> spans;
    auto flush = [&] {
      if (prompts.empty()) return;
      ids.push_back(tokenizer->sep_id());
      chunk_prompts.push_back(prompts);
      chunk_ids.push_back(ids);
      chunk_spans.push_back(spans);
      prompts.clear();
      spans.clear();
      ids = {tokenizer->cls_id()};
    };
    for (size_t p = 0; p < ontology.prompts().size(); ++p) {
      const std::vector<int64_t> t = prompt_ids(*tokenizer, ontology.prompts()[p]);
      AD_CHECK(!t.empty(), "grounding_dino: prompt '{}' has no tokens", ontology.prompts()[p]);
      AD_CHECK(int64_t(t.size()) + 3 <= max_len, "grounding_dino: prompt '{}' is {} tokens, longer than max_text_len {} allows",
               ontology.prompts()[p], t.size(), max_len);
      if (int64_t(ids.size() + t.size()) + 2 > max_len) flush();
      spans.emplace_back(int64_t(ids.size()), int64_t(ids.size() + t.size()));
      ids.insert(ids.end(), t.begin(), t.end());
      ids.push_back(dot);
      prompts.push_back(p);
    }
    flush();
    if (chunk_ids.size() > 1)
      log_info("grounding_dino: {} prompts split into {} captions of at most {} tokens", ontology.prompts().size(), chunk_ids.size(),
               max_len);
  }

  TensorMap preprocess(const std::vector<cv::Mat>& images) const {
    std::vector<at::Tensor> px;
    int64_t hmax = 0, wmax = 0;
    for (const cv::Mat& img : images) {
      const cv::Mat rgb = clip_common::to_rgb_u8(img);
      cv::Mat resized = rgb;
      if (processor.do_resize) {
        const auto [oh, ow] = grounding_dino_resize_hw(rgb.rows, rgb.cols, processor.shortest_edge, processor.longest_edge);
        if (oh != rgb.rows || ow != rgb.cols) resized = clip_common::pil_resize(rgb, int(ow), int(oh), processor.resample);
      }
      const int64_t h = resized.rows, w = resized.cols;
      at::Tensor t = at::empty({3, h, w}, at::kFloat);
      float* o = t.data_ptr<float>();
      for (int64_t y = 0; y < h; ++y) {
        const uint8_t* row = resized.ptr<uint8_t>(int(y));
        for (int64_t x = 0; x < w; ++x)
          for (int64_t ch = 0; ch < 3; ++ch) {
            float v = processor.do_rescale ? float(double(row[x * 3 + ch]) * processor.rescale_factor) : float(row[x * 3 + ch]);
            if (processor.do_normalize) v = (v - processor.mean[size_t(ch)]) / processor.std[size_t(ch)];
            o[(ch * h + y) * w + x] = v;
          }
      }
      hmax = std::max(hmax, h);
      wmax = std::max(wmax, w);
      px.push_back(t);
    }
    const int64_t n = int64_t(px.size());
    at::Tensor values = at::zeros({n, 3, hmax, wmax}, at::kFloat);
    at::Tensor mask = at::zeros({n, hmax, wmax}, at::kLong);
    for (int64_t i = 0; i < n; ++i) {
      values[i].narrow(1, 0, px[size_t(i)].size(1)).narrow(2, 0, px[size_t(i)].size(2)).copy_(px[size_t(i)]);
      mask[i].narrow(0, 0, px[size_t(i)].size(1)).narrow(1, 0, px[size_t(i)].size(2)).fill_(1);
    }
    return {{"pixel_values", values}, {"pixel_mask", mask}};
  }

  TensorMap run(const TensorMap& inputs, bool debug, TensorMap* vision_cache = nullptr) {
    c10::InferenceMode guard;
    TensorMap in;
    for (const auto& [k, v] : inputs) {
      AD_CHECK(k == "pixel_values" || k == "pixel_mask" || k == "input_ids" || k == "attention_mask" || k == "token_type_ids",
               "grounding_dino forward_raw: unknown input '{}' (expected pixel_values, pixel_mask, input_ids, attention_mask, "
               "token_type_ids)", k);
      in[k] = v.to(device);
    }
    grounding_dino::StageTimes st;
    TensorMap out = model->forward(in, debug, &st, vision_cache);
    times.backbone += st.backbone;
    times.text += st.text;
    times.encoder += st.encoder;
    times.decoder += st.decoder;
    for (auto& [k, v] : out)
      if (v.is_floating_point()) v = v.to(at::kCPU, at::kFloat);
      else v = v.to(at::kCPU);
    return out;
  }
};

std::pair<int64_t, int64_t> grounding_dino_resize_hw(int64_t height, int64_t width, int64_t size, int64_t max_size) {
  double raw = -1;
  if (max_size > 0) {
    const double mn = double(std::min(height, width)), mx = double(std::max(height, width));
    if (mx / mn * double(size) > double(max_size)) {
      raw = double(max_size) * mn / mx;
      size = int64_t(std::nearbyint(raw));  // Python round(): half to even
    }
  }
  if ((height <= width && height == size) || (width <= height && width == size)) return {height, width};
  if (width < height) {
    const int64_t ow = size;
    const int64_t oh = raw >= 0 ? int64_t(raw * double(height) / double(width)) : int64_t(double(size) * double(height) / double(width));
    return {oh, ow};
  }
  const int64_t oh = size;
  const int64_t ow = raw >= 0 ? int64_t(raw * double(width) / double(height)) : int64_t(double(size) * double(width) / double(height));
  return {oh, ow};
}

GroundingDINO::GroundingDINO(CaptionOntology ontology, Options options)
    : BaseModel(std::move(ontology)), options_(std::move(options)) {
  options_.validate();
  impl_ = std::make_unique<Impl>(options_);
}

GroundingDINO::~GroundingDINO() = default;

std::vector<std::string> GroundingDINO::captions() const {
  impl_->build_captions(ontology());
  std::vector<std::string> out;
  for (const auto& ids : impl_->chunk_ids) out.push_back(impl_->tokenizer->decode(std::vector<int64_t>(ids.begin() + 1, ids.end() - 1)));
  return out;
}

Detections GroundingDINO::predict(const cv::Mat& image) {
  check_image(image);
  auto& m = *impl_;
  m.build_captions(ontology());
  const TensorMap px = m.preprocess({image});
  const float W = float(image.cols), H = float(image.rows);
  std::vector<Detections> parts;
  TensorMap vision_cache;  // one backbone pass for all caption chunks
  for (size_t c = 0; c < m.chunk_ids.size(); ++c) {
    throw_if_interrupted();
    const auto& ids = m.chunk_ids[c];
    TensorMap in = px;
    in["input_ids"] = at::tensor(ids, at::kLong).unsqueeze(0);
    const TensorMap out = m.run(in, false, m.chunk_ids.size() > 1 ? &vision_cache : nullptr);
    const at::Tensor probs = out.at("logits")[0].sigmoid();  // (Q, max_text_len)
    const at::Tensor boxes = out.at("pred_boxes")[0];
    const auto& spans = m.chunk_spans[c];
    // best prompt per query: max over each prompt's token span
    std::vector<at::Tensor> per_prompt;
    for (const auto& [b, e] : spans) per_prompt.push_back(std::get<0>(probs.narrow(1, b, e - b).max(1)));
    const auto [best, which] = at::stack(per_prompt, 1).max(1);
    auto bs = best.accessor<float, 1>();
    auto wh = which.accessor<int64_t, 1>();
    auto bx = boxes.accessor<float, 2>();
    std::vector<int64_t> keep;
    for (int64_t q = 0; q < best.size(0); ++q)
      if (bs[q] > options_.box_threshold && bs[q] >= options_.text_threshold) keep.push_back(q);
    BoxArray xyxy(int64_t(keep.size()), 4);
    ScoreArray conf(int64_t(keep.size()));
    ClassIdArray cls(int64_t(keep.size()));
    for (size_t k = 0; k < keep.size(); ++k) {
      const int64_t q = keep[k];
      const float cx = bx[q][0], cy = bx[q][1], w = bx[q][2], h = bx[q][3];
      xyxy(int64_t(k), 0) = std::clamp((cx - 0.5f * w) * W, 0.f, W);
      xyxy(int64_t(k), 1) = std::clamp((cy - 0.5f * h) * H, 0.f, H);
      xyxy(int64_t(k), 2) = std::clamp((cx + 0.5f * w) * W, 0.f, W);
      xyxy(int64_t(k), 3) = std::clamp((cy + 0.5f * h) * H, 0.f, H);
      conf(int64_t(k)) = bs[q];
      cls(int64_t(k)) = ontology().prompt_class_id(m.chunk_prompts[c][size_t(wh[q])]);
    }
    parts.emplace_back(std::move(xyxy), std::move(conf), std::move(cls));
  }
  Detections d = parts.size() == 1 ? parts.front() : Detections::merge(parts);
  return options_.nms_iou < 1.f ? d.with_nms(options_.nms_iou) : d;
}

TensorMap forward_raw(GroundingDINO& model, const TensorMap& inputs, bool debug) { return model.impl().run(inputs, debug); }

TensorMap preprocess(GroundingDINO& model, const std::vector<cv::Mat>& images) { return model.impl().preprocess(images); }

TensorMap encode_caption(GroundingDINO& model, const std::string& caption) {
  const Encoding e = model.impl().tokenizer->encode(caption, 1 << 20, false, false);
  const int64_t L = int64_t(e.input_ids.size());
  return {{"input_ids", at::tensor(e.input_ids, at::kLong).view({1, L})},
          {"attention_mask", at::tensor(e.attention_mask, at::kLong).view({1, L})},
          {"token_type_ids", at::tensor(e.token_type_ids, at::kLong).view({1, L})}};
}

GroundingDinoTimes& stage_times(GroundingDINO& model) { return model.impl().times; }

std::vector<GroundingDinoRaw> post_process_grounded_object_detection(GroundingDINO& model, const at::Tensor& logits,
                                                                     const at::Tensor& pred_boxes, const at::Tensor& input_ids,
                                                                     double box_threshold, double text_threshold,
                                                                     const std::vector<std::pair<int64_t, int64_t>>& sizes) {
  AD_CHECK(logits.dim() == 3 && pred_boxes.dim() == 3 && int64_t(sizes.size()) == logits.size(0) && input_ids.size(0) == logits.size(0),
           "post_process_grounded_object_detection: logits (B, Q, T), pred_boxes (B, Q, 4), input_ids (B, L) and B target sizes expected");
  const at::Tensor probs = logits.to(at::kFloat).sigmoid();
  const at::Tensor scores = std::get<0>(probs.max(-1));
  const at::Tensor b = pred_boxes.to(at::kFloat);
  const at::Tensor cx = b.select(-1, 0), cy = b.select(-1, 1), w = b.select(-1, 2), h = b.select(-1, 3);
  const at::Tensor corners = at::stack({cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h}, -1);
  const int64_t T = logits.size(2);
  std::vector<GroundingDinoRaw> out;
  for (int64_t i = 0; i < logits.size(0); ++i) {
    const auto [H, W] = sizes[size_t(i)];
    const at::Tensor scale = at::tensor({float(W), float(H), float(W), float(H)});
    const at::Tensor keep = scores[i] > box_threshold;
    GroundingDinoRaw r;
    r.scores = scores[i].masked_select(keep);
    r.boxes = (corners[i] * scale).index({keep});
    r.query_indices = at::nonzero(keep).view(-1);
    const at::Tensor kept_probs = probs[i].index({keep});
    const at::Tensor ids = input_ids[i].to(at::kLong).contiguous();
    for (int64_t k = 0; k < kept_probs.size(0); ++k) {
      std::vector<int64_t> tok;
      const at::Tensor row = kept_probs[k];
      for (int64_t j = 1; j < T - 1; ++j)
        if (row[j].item<float>() > text_threshold) {
          AD_CHECK(j < ids.size(0), "post_process_grounded_object_detection: token {} above text_threshold beyond input_ids ({})", j,
                   ids.size(0));
          tok.push_back(ids[j].item<int64_t>());
        }
      r.labels.push_back(model.impl().tokenizer->decode(tok));
    }
    out.push_back(std::move(r));
  }
  return out;
}

namespace {
ModelInfo make_grounding_dino_info() {
  const GroundingDinoOptions d;
  nlohmann::ordered_json defaults = {{"weights", nullptr},
                                     {"device", d.device},
                                     {"dtype", d.dtype},
                                     {"box_threshold", d.box_threshold},
                                     {"text_threshold", d.text_threshold},
                                     {"nms_iou", d.nms_iou},
                                     {"deform_attn", d.deform_attn}};
  ModelInfo info;
  info.name = "grounding_dino";
  info.description =
      "Grounding DINO open-set detector, whole ontology in one caption (Hugging Face GroundingDinoForObjectDetection checkpoint folder in "
      "'weights')";
  info.default_options_json = defaults.dump();
  info.factory = [](const ModelOptions& options) -> std::shared_ptr<BaseModel> {
    OptionReader r(options, "grounding_dino");
    CaptionOntology ontology = r.ontology();
    GroundingDinoOptions o;
    o.weights = r.get("weights", o.weights);
    o.device = r.get("device", o.device);
    o.dtype = r.get("dtype", o.dtype);
    o.box_threshold = r.get("box_threshold", o.box_threshold);
    o.text_threshold = r.get("text_threshold", o.text_threshold);
    o.nms_iou = r.get("nms_iou", o.nms_iou);
    o.deform_attn = r.get("deform_attn", o.deform_attn);
    r.finish();
    return std::make_shared<GroundingDINO>(std::move(ontology), std::move(o));
  };
  return info;
}
}  // namespace

AD_REGISTER_BASE_MODEL(grounding_dino, &make_grounding_dino_info);

}  // namespace autodistill
