#include "autodistill/models/owlvit/owlvit.h"

#include "../common/owl_detector.h"
#include "../owlvit/owl_common.h"
#include "autodistill/models/owlvit/owlvit_torch.h"

namespace autodistill {

struct OWLViT::Impl : clip_common::OwlEngine {
  using OwlEngine::OwlEngine;
};

OWLViT::OWLViT(CaptionOntology ontology, Options options) : BaseModel(std::move(ontology)), options_(std::move(options)) {
  options_.validate("owlvit");
  impl_ = std::make_unique<Impl>(clip_common::Family::kOwlViT, options_.weights, options_.device, options_.dtype);
}

OWLViT::~OWLViT() = default;

Detections OWLViT::predict(const cv::Mat& image) { return predict_batch({image}).front(); }

std::vector<Detections> OWLViT::predict_batch(const std::vector<cv::Mat>& images) {
  return impl_->predict(images, ontology(), options_.batch_size, options_.box_threshold, options_.nms_iou);
}

TensorMap forward_raw(OWLViT& model, const TensorMap& inputs) { return model.impl().forward_raw(inputs); }

at::Tensor preprocess(OWLViT& model, const std::vector<cv::Mat>& images) { return model.impl().pixel_values(images); }

namespace {
ModelInfo make_owlvit_info() {
  return owl_detail::make_owl_info("owlvit", "OWL-ViT v1 open-vocabulary detector (Hugging Face OwlViTForObjectDetection checkpoint folder in 'weights')",
                                   [](CaptionOntology ontology, OwlOptions options) -> std::shared_ptr<BaseModel> {
                                     return std::make_shared<OWLViT>(std::move(ontology), std::move(options));
                                   });
}
}  // namespace

AD_REGISTER_BASE_MODEL(owlvit, &make_owlvit_info);

}  // namespace autodistill
