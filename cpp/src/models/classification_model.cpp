#include "autodistill/models/classification_model.h"

#include <algorithm>
#include <cmath>

#include "autodistill/core/error.h"
#include "autodistill/core/interrupt.h"

namespace autodistill {

ClassificationBaseModel::ClassificationBaseModel(CaptionOntology ontology) : ontology_(std::move(ontology)) {}
ClassificationBaseModel::~ClassificationBaseModel() = default;

std::vector<Classifications> ClassificationBaseModel::classify_batch(const std::vector<cv::Mat>& images) {
  std::vector<Classifications> out;
  out.reserve(images.size());
  for (const cv::Mat& image : images) {
    throw_if_interrupted();
    out.push_back(classify(image));
  }
  return out;
}

namespace {
const CaptionOntology& classifier_ontology(const std::shared_ptr<ClassificationBaseModel>& classifier) {
  AD_CHECK(classifier != nullptr, "ComposedDetectionModel: no classifier given");
  return classifier->ontology();
}
}  // namespace

ComposedDetectionModel::ComposedDetectionModel(std::shared_ptr<BaseModel> detector,
                                               std::shared_ptr<ClassificationBaseModel> classifier, Options options)
    : BaseModel(classifier_ontology(classifier)),
      detector_(std::move(detector)),
      classifier_(std::move(classifier)),
      options_(options) {
  AD_CHECK(detector_ != nullptr, "ComposedDetectionModel: no detector given");
  AD_CHECK(options_.min_confidence >= 0.f && options_.min_confidence <= 1.f,
           "ComposedDetectionModel: min_confidence must be in [0, 1], got {}", options_.min_confidence);
  AD_CHECK(std::isfinite(options_.crop_padding) && options_.crop_padding >= 0.f,
           "ComposedDetectionModel: crop_padding must be >= 0, got {}", options_.crop_padding);
}

std::string ComposedDetectionModel::name() const { return detector_->name() + "+" + classifier_->name(); }

Detections ComposedDetectionModel::predict(const cv::Mat& image) {
  check_image(image);
  return classify_boxes(image, detector_->predict(image));
}

std::vector<Detections> ComposedDetectionModel::predict_batch(const std::vector<cv::Mat>& images) {
  for (const cv::Mat& image : images) check_image(image);
  const std::vector<Detections> boxes = detector_->predict_batch(images);
  AD_CHECK(boxes.size() == images.size(), "ComposedDetectionModel: detector '{}' returned {} results for {} images",
           detector_->name(), boxes.size(), images.size());
  std::vector<Detections> out;
  out.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) out.push_back(classify_boxes(images[i], boxes[i]));
  return out;
}

Detections ComposedDetectionModel::classify_boxes(const cv::Mat& image, const Detections& boxes) {
  std::vector<cv::Mat> crops;
  std::vector<Eigen::Index> rows;
  const cv::Rect bounds(0, 0, image.cols, image.rows);
  for (Eigen::Index i = 0; i < boxes.size(); ++i) {
    const auto b = boxes.xyxy().row(i);
    if (!b.allFinite()) continue;
    const float pw = (b(2) - b(0)) * options_.crop_padding, ph = (b(3) - b(1)) * options_.crop_padding;
    const int x1 = static_cast<int>(std::floor(b(0) - pw)), y1 = static_cast<int>(std::floor(b(1) - ph));
    const int x2 = static_cast<int>(std::ceil(b(2) + pw)), y2 = static_cast<int>(std::ceil(b(3) + ph));
    const cv::Rect r = cv::Rect(x1, y1, x2 - x1, y2 - y1) & bounds;
    if (r.width < 1 || r.height < 1) continue;
    crops.push_back(image(r));  // a view: the classifier only reads it
    rows.push_back(i);
  }
  const std::vector<Classifications> classes =
      crops.empty() ? std::vector<Classifications>{} : classifier_->classify_batch(crops);
  AD_CHECK(classes.size() == crops.size(), "ComposedDetectionModel: classifier '{}' returned {} results for {} crops",
           classifier_->name(), classes.size(), crops.size());
  std::vector<bool> keep(static_cast<size_t>(boxes.size()), false);
  Detections out = boxes;
  auto& cls = out.mutable_class_id();
  auto& conf = out.mutable_confidence();
  std::vector<double> detector_confidence(static_cast<size_t>(boxes.size()));
  for (Eigen::Index i = 0; i < boxes.size(); ++i) detector_confidence[static_cast<size_t>(i)] = boxes.confidence()(i);
  for (size_t k = 0; k < rows.size(); ++k) {
    if (classes[k].empty()) continue;
    const auto [id, p] = classes[k].top();
    AD_CHECK(id < static_cast<int64_t>(ontology().classes().size()),
             "ComposedDetectionModel: classifier '{}' returned class id {} for {} classes", classifier_->name(), id,
             ontology().classes().size());
    if (p < options_.min_confidence) continue;
    cls(rows[k]) = id;
    conf(rows[k]) = p;
    keep[static_cast<size_t>(rows[k])] = true;
  }
  out.set_data("detector_confidence", std::move(detector_confidence));
  return out.select(keep);
}

}  // namespace autodistill
