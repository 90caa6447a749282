#include "autodistill/models/owlv2/owlv2.h"

#include "../common/owl_detector.h"
#include "../owlvit/owl_common.h"
#include "autodistill/models/owlvit/owlvit_torch.h"

namespace autodistill {

struct OWLv2::Impl : clip_common::OwlEngine {
  using OwlEngine::OwlEngine;
};

OWLv2::OWLv2(CaptionOntology ontology, Options options) : BaseModel(std::move(ontology)), options_(std::move(options)) {
  options_.validate("owlv2");
  impl_ = std::make_unique<Impl>(clip_common::Family::kOwlV2, options_.weights, options_.device, options_.dtype);
}

OWLv2::~OWLv2() = default;

Detections OWLv2::predict(const cv::Mat& image) { return predict_batch({image}).front(); }

std::vector<Detections> OWLv2::predict_batch(const std::vector<cv::Mat>& images) {
  return impl_->predict(images, ontology(), options_.batch_size, options_.box_threshold, options_.nms_iou);
}

TensorMap forward_raw(OWLv2& model, const TensorMap& inputs) { return model.impl().forward_raw(inputs); }

at::Tensor preprocess(OWLv2& model, const std::vector<cv::Mat>& images) { return model.impl().pixel_values(images); }

namespace {
ModelInfo make_owlv2_info() {
  return owl_detail::make_owl_info("owlv2", "OWLv2 open-vocabulary detector (Hugging Face Owlv2ForObjectDetection checkpoint folder in 'weights'); boxes mapped back through the pad-to-square pre-processing",
                                   [](CaptionOntology ontology, OwlOptions options) -> std::shared_ptr<BaseModel> {
                                     return std::make_shared<OWLv2>(std::move(ontology), std::move(options));
                                   });
}
}  // namespace

AD_REGISTER_BASE_MODEL(owlv2, &make_owlv2_info);

}  // namespace autodistill
