#include "owl_common.h"

#include <nlohmann/json.hpp>

#include "../common/owl_detector.h"
#include "../common/runtime.h"
#include "autodistill/core/error.h"
#include "autodistill/models/options.h"
#include "autodistill/models/owlvit/owlvit_torch.h"

namespace autodistill {

void OwlOptions::validate(const std::string& model) const {
  AD_CHECK(!weights.empty(), "{}: the 'weights' option (a Hugging Face checkpoint folder) is required", model);
  AD_CHECK(batch_size >= 1, "{}: batch_size must be >= 1, got {}", model, batch_size);
  AD_CHECK(box_threshold >= 0.f && box_threshold <= 1.f, "{}: box_threshold must be in [0, 1], got {}", model,
           box_threshold);
  AD_CHECK(nms_iou > 0.f && nms_iou <= 1.f, "{}: nms_iou must be in (0, 1], got {}", model, nms_iou);
  clip_common::parse_dtype(dtype, model);
}

std::vector<OwlDetectionsRaw> post_process_object_detection(const at::Tensor& logits, const at::Tensor& pred_boxes,
                                                            double threshold,
                                                            const std::vector<std::pair<int64_t, int64_t>>& target_sizes_hw) {
  std::vector<OwlDetectionsRaw> out;
  for (auto& r : clip_common::owl_post_process(logits, pred_boxes, threshold, target_sizes_hw))
    out.push_back({r.scores, r.labels, r.boxes});
  return out;
}

namespace owl_detail {

ModelInfo make_owl_info(const std::string& name, const std::string& description, OwlFactory factory) {
  const OwlOptions d;
  nlohmann::ordered_json defaults = {{"weights", nullptr},     {"device", d.device},
                                     {"dtype", d.dtype},       {"box_threshold", d.box_threshold},
                                     {"nms_iou", d.nms_iou},   {"batch_size", d.batch_size}};
  ModelInfo info;
  info.name = name;
  info.description = description;
  info.default_options_json = defaults.dump();
  info.factory = [name, factory](const ModelOptions& options) -> std::shared_ptr<BaseModel> {
    OptionReader r(options, name);
    CaptionOntology ontology = r.ontology();
    OwlOptions o;
    o.weights = r.get("weights", o.weights);
    o.device = r.get("device", o.device);
    o.dtype = r.get("dtype", o.dtype);
    o.box_threshold = r.get("box_threshold", o.box_threshold);
    o.nms_iou = r.get("nms_iou", o.nms_iou);
    o.batch_size = r.get("batch_size", o.batch_size);
    r.finish();
    return factory(std::move(ontology), o);
  };
  return info;
}

}  // namespace owl_detail
}  // namespace autodistill
