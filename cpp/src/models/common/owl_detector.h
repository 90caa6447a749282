#pragma once
// OWL-ViT / OWLv2 detection model (OwlViTForObjectDetection / Owlv2ForObjectDetection of
// transformers 4.43) as one LibTorch module: the CLIP two-tower core registered as "owlvit" or
// "owlv2", the class head, the box head, the image-feature layer_norm and, for OWLv2, the
// objectness head. Plus the post-processing and the predict pipeline both public models share.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "autodistill/core/detections.h"
#include "autodistill/ontology/caption_ontology.h"
#include "autodistill/text/clip_tokenizer.h"
#include "clip_config.h"
#include "clip_layers.h"
#include "image_processing.h"

namespace autodistill::clip_common {

/// dense0 -> gelu -> dense1 -> gelu -> dense2 (exact gelu), width = vision hidden size.
class OwlMlpHead : public torch::nn::Module {
 public:
  OwlMlpHead(int64_t width, int64_t out_dim);
  at::Tensor forward(const at::Tensor& x) const;
  std::shared_ptr<Linear> dense0, dense1, dense2;
};

/// dense0 (vision hidden -> text hidden), logit_shift and logit_scale (vision hidden -> 1).
class OwlClassHead : public torch::nn::Module {
 public:
  OwlClassHead(int64_t query_dim, int64_t out_dim);
  /// image_feats (B, n, Dv), query_embeds (B, Q, P), query_mask (B, Q) bool or undefined.
  /// Returns {logits (B, n, Q), class_embeds (B, n, P) normalised}.
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& image_feats, const at::Tensor& query_embeds,
                                            const at::Tensor& query_mask) const;
  std::shared_ptr<Linear> dense0, logit_shift, logit_scale;
};

/// sigmoid^-1 of the patch grid's corners and size, (g*g, 4) float32 (cx, cy, w, h), row-major.
at::Tensor owl_box_bias(int64_t grid);

class OwlDetector : public torch::nn::Module {
 public:
  explicit OwlDetector(const Config& config);

  struct ImageOut {
    at::Tensor vision_last_hidden_state;  // (B, 1+n, Dv) encoder output
    at::Tensor feature_map;               // (B, g, g, Dv)
    at::Tensor image_feats;               // (B, n, Dv)
  };
  ImageOut image_features(const at::Tensor& pixel_values) const;
  /// (B, n, 4) cxcywh in [0, 1].
  at::Tensor pred_boxes(const at::Tensor& image_feats) const;
  /// (B, n) OWLv2 only.
  at::Tensor objectness(const at::Tensor& image_feats) const;

  Config config;
  std::shared_ptr<TwoTower> core;
  std::shared_ptr<OwlClassHead> class_head;
  std::shared_ptr<OwlMlpHead> box_head, objectness_head;
  std::shared_ptr<LayerNorm> layer_norm;
  at::Tensor box_bias;  // not in the checkpoint
};

/// What post_process_object_detection returns for one image.
struct OwlResult {
  at::Tensor scores;  // (K) float32
  at::Tensor labels;  // (K) int64 query index
  at::Tensor boxes;   // (K, 4) xyxy in the target size's pixels
};

/// OwlViTImageProcessor.post_process_object_detection: sigmoid of the max logit over queries,
/// argmax query, cxcywh -> xyxy scaled by (w, h, w, h) of each target size (h, w); keeps
/// score > threshold, in patch order.
std::vector<OwlResult> owl_post_process(const at::Tensor& logits, const at::Tensor& pred_boxes, double threshold,
                                        const std::vector<std::pair<int64_t, int64_t>>& target_sizes_hw);

/// Everything OWLViT and OWLv2 share at run time.
struct OwlEngine {
  OwlEngine(Family family, const std::filesystem::path& folder, const std::string& device, const std::string& dtype);

  Family family;
  std::string name;
  std::filesystem::path folder;
  Config config;
  ImageProcessorConfig image_config;
  std::shared_ptr<OwlDetector> model;
  c10::Device device{c10::DeviceType::CPU};
  c10::ScalarType dtype;
  std::optional<CLIPTokenizer> tokenizer;
  at::Tensor prompt_embeds;  // (Q, P) normalised; computed on first use

  const CLIPTokenizer& tok();
  at::Tensor pixel_values(const std::vector<cv::Mat>& images) const;
  /// Normalised query embeddings (M, P) of prompts.
  at::Tensor text_queries(const std::vector<std::string>& texts);
  /// Batched predict: thresholds, box mapping (OWLv2: padded square), class ids, NMS.
  std::vector<Detections> predict(const std::vector<cv::Mat>& images, const CaptionOntology& ontology, int batch_size,
                                  float box_threshold, float nms_iou);
  /// Hugging Face names in and out (see owlvit_torch.h).
  std::map<std::string, at::Tensor> forward_raw(const std::map<std::string, at::Tensor>& inputs);
};

}  // namespace autodistill::clip_common
