#pragma once
/// \file
/// `TargetModel`: what a distilled model offers once trained, whatever its architecture (YOLO is the
/// one in this library, models/yolo/yolo.h; training options are architecture-specific and live
/// there). Inference, evaluation against a labelled dataset, checkpoints and TorchScript export.

#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "autodistill/core/detections.h"
#include "autodistill/eval/evaluate.h"
#include "autodistill/io/dataset.h"

namespace autodistill {

class TargetModel {
 public:
  virtual ~TargetModel() = default;

  /// Class names; detections' class ids index them.
  virtual const std::vector<std::string>& classes() const = 0;

  /// Detections in each image's own pixels (8-bit BGR), confidence >= `confidence`, class-aware
  /// NMS at `iou`.
  virtual std::vector<Detections> predict_batch(const std::vector<cv::Mat>& images, float confidence = 0.25f,
                                                float iou = 0.7f) = 0;
  Detections predict(const cv::Mat& image, float confidence = 0.25f, float iou = 0.7f);

  /// Predicts the images of `truth` (those of `split`; "" = all) and evaluates against its labels:
  /// human labels, or the base model's labels the target was trained on. Predictions are made at
  /// confidence 0.001, as mAP ranks every prediction; `options.confidence` applies to P/R/F1.
  EvaluationReport evaluate(const DetectionDataset& truth, const std::string& split = "",
                            const EvaluateOptions& options = {});
  /// The same for a dataset on disk (any format read_dataset() reads: a data.yaml, a COCO json, ...).
  EvaluationReport evaluate(const std::filesystem::path& truth, const std::string& split = "",
                            const EvaluateOptions& options = {});

  /// A checkpoint that the model's own load() reads back.
  virtual void save(const std::filesystem::path& path) const = 0;
  /// A TorchScript archive that runs without this library (the model's docs give its contract).
  virtual void export_torchscript(const std::filesystem::path& path) const = 0;
};

}  // namespace autodistill
