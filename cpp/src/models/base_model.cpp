#include "autodistill/models/base_model.h"

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"

namespace autodistill {

BaseModel::BaseModel(CaptionOntology ontology) : ontology_(std::move(ontology)) {}
BaseModel::~BaseModel() = default;

std::vector<Detections> BaseModel::predict_batch(const std::vector<cv::Mat>& images) {
  std::vector<Detections> out;
  out.reserve(images.size());
  for (const cv::Mat& image : images) out.push_back(predict(image));
  return out;
}

Detections BaseModel::predict_file(const std::filesystem::path& path) { return predict(load_image(path)); }

void BaseModel::check_image(const cv::Mat& image) {
  AD_CHECK(!image.empty(), "expected an 8-bit BGR image (H x W x 3), got an empty image");
  AD_CHECK(image.type() == CV_8UC3, "expected an 8-bit BGR image (H x W x 3, CV_8UC3), got {} channel(s) of depth {}",
           image.channels(), image.depth());
}

}  // namespace autodistill
