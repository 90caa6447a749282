#pragma once
/// \file
/// `OWLViT`: OWL-ViT (v1, Google; Hugging Face OwlViTForObjectDetection checkpoints such as google/owlvit-base-patch32) in LibTorch: open-vocabulary detection from text prompts. Each image patch
/// predicts one box; its score is sigmoid(max over the ontology's prompts of the class logit) and
/// its class is the best prompt's class. Pre-processing as upstream's image processor:
/// the image is resized to the model's square input (aspect ratio not kept), so boxes scale back by (W, H). Then box_threshold and per-class NMS.
/// Prompt embeddings are computed once (first predict) and cached; images run in batches.
///
/// Thread-safety: one thread at a time.

#include <memory>
#include <string>
#include <vector>

#include "autodistill/models/base_model.h"
#include "autodistill/models/owlvit/owl_options.h"

namespace autodistill {

class OWLViT : public BaseModel {
 public:
  using Options = OwlOptions;

  /// IOError for a missing folder or file; InvalidArgument for a config that does not match the
  /// weights (each tensor listed with expected vs got shape) or a bad option.
  OWLViT(CaptionOntology ontology, Options options);
  ~OWLViT() override;

  std::string name() const override { return "owlvit"; }
  /// 8-bit BGR (gray and BGRA are converted). Boxes xyxy in the image's pixels.
  Detections predict(const cv::Mat& image) override;
  std::vector<Detections> predict_batch(const std::vector<cv::Mat>& images) override;

  const Options& options() const noexcept { return options_; }

  struct Impl;  ///< LibTorch state (see owlvit_torch.h)
  Impl& impl() { return *impl_; }

 private:
  Options options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace autodistill
