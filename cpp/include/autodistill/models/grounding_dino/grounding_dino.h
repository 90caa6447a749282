#pragma once
/// \file
/// `GroundingDINO`: Grounding DINO (IDEA-Research; Hugging Face GroundingDinoForObjectDetection
/// checkpoints such as IDEA-Research/grounding-dino-tiny) in LibTorch: open-set detection from a
/// text caption. The ontology's prompts are joined into one caption ("a . b . c ."), so the whole
/// ontology is labelled in one forward pass; phrase masks keep the phrases from attending to each
/// other in the text encoder. Each of the num_queries boxes gets the class of the prompt whose
/// tokens score highest (sigmoid of the contrastive logits); it is kept when that score >
/// box_threshold and >= text_threshold. Captions longer than the model's max_text_len are split
/// into chunks of whole prompts (one pass each) and the detections merged.
///
/// Thread-safety: one thread at a time.

#include <memory>
#include <string>
#include <vector>

#include "autodistill/models/base_model.h"

namespace autodistill {

struct GroundingDinoOptions {
  /// Hugging Face checkpoint folder (required): config.json, model.safetensors, vocab.txt,
  /// tokenizer_config.json (optional), preprocessor_config.json (optional: upstream defaults).
  std::string weights;
  /// "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:N".
  std::string device = "auto";
  /// "float32", "bfloat16" (CPU or CUDA) or "float16" (CUDA only).
  std::string dtype = "float32";
  /// A query is reported when its best prompt's token probability > box_threshold (upstream 0.35).
  float box_threshold = 0.35f;
  /// Tokens with probability > text_threshold form the upstream label string; here a box whose
  /// best prompt scores below text_threshold is dropped (upstream 0.25).
  float text_threshold = 0.25f;
  /// Per-class NMS IoU after thresholding; 1 (default, as upstream) turns it off.
  float nms_iou = 1.0f;
  /// Multi-scale deformable attention core: "fused" (CPU loop, default) or "grid_sample"
  /// (upstream's reference formulation). CUDA always uses grid_sample.
  std::string deform_attn = "fused";

  /// InvalidArgument naming the first bad field.
  void validate() const;
};

class GroundingDINO : public BaseModel {
 public:
  using Options = GroundingDinoOptions;

  /// IOError for a missing folder or file; InvalidArgument for a config that does not match the
  /// weights (each tensor listed with expected vs got shape) or a bad option.
  GroundingDINO(CaptionOntology ontology, Options options);
  ~GroundingDINO() override;

  std::string name() const override { return "grounding_dino"; }
  /// 8-bit BGR (gray and BGRA are converted). Boxes xyxy in the image's pixels.
  Detections predict(const cv::Mat& image) override;

  const Options& options() const noexcept { return options_; }
  /// The captions one predict() runs (more than one when the prompts exceed max_text_len).
  std::vector<std::string> captions() const;

  struct Impl;  ///< LibTorch state (see grounding_dino_torch.h)
  Impl& impl() { return *impl_; }

 private:
  Options options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace autodistill
