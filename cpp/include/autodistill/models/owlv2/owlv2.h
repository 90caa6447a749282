#pragma once
/// \file
/// `OWLv2`: OWLv2 (Google; Hugging Face Owlv2ForObjectDetection checkpoints such as google/owlv2-base-patch16-ensemble) in LibTorch: open-vocabulary detection from text prompts. Each image patch
/// predicts one box; its score is sigmoid(max over the ontology's prompts of the class logit) and
/// its class is the best prompt's class. Pre-processing as upstream's image processor:
/// the image is padded bottom/right to a square (grey 0.5) before resizing, so boxes are fractions of that square: they scale back by max(W, H) on both axes and are clipped to the image (the upstream autodistill plugin scales by (W, H), which is wrong for non-square images). Then box_threshold and per-class NMS.
/// Prompt embeddings are computed once (first predict) and cached; images run in batches.
///
/// Thread-safety: one thread at a time.

#include <memory>
#include <string>
#include <vector>

#include "autodistill/models/base_model.h"
#include "autodistill/models/owlvit/owl_options.h"

namespace autodistill {

class OWLv2 : public BaseModel {
 public:
  using Options = OwlOptions;

  /// IOError for a missing folder or file; InvalidArgument for a config that does not match the
  /// weights (each tensor listed with expected vs got shape) or a bad option.
  OWLv2(CaptionOntology ontology, Options options);
  ~OWLv2() override;

  std::string name() const override { return "owlv2"; }
  /// 8-bit BGR (gray and BGRA are converted). Boxes xyxy in the image's pixels.
  Detections predict(const cv::Mat& image) override;
  std::vector<Detections> predict_batch(const std::vector<cv::Mat>& images) override;

  const Options& options() const noexcept { return options_; }

  struct Impl;  ///< LibTorch state (see owlv2_torch.h)
  Impl& impl() { return *impl_; }

 private:
  Options options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace autodistill
