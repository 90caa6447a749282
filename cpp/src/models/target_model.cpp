#include "autodistill/models/target_model.h"

#include "autodistill/eval/compare.h"
#include "autodistill/label/read_dataset.h"

namespace autodistill {

Detections TargetModel::predict(const cv::Mat& image, float confidence, float iou) {
  return predict_batch({image}, confidence, iou).front();
}

EvaluationReport TargetModel::evaluate(const DetectionDataset& truth, const std::string& split,
                                       const EvaluateOptions& options) {
  const DetectionDataset predictions = predict_dataset(
      [this](const std::vector<cv::Mat>& images) { return predict_batch(images, 0.001f, 0.7f); }, classes(), truth,
      split);
  if (split.empty()) return autodistill::evaluate(predictions, truth, options);
  std::vector<DatasetImage> images;
  for (const DatasetImage& im : truth.images())
    if (im.split == split) images.push_back(im);
  return autodistill::evaluate(predictions, DetectionDataset(truth.classes(), std::move(images)), options);
}

EvaluationReport TargetModel::evaluate(const std::filesystem::path& truth, const std::string& split,
                                       const EvaluateOptions& options) {
  return evaluate(read_dataset(truth), split, options);
}

}  // namespace autodistill
