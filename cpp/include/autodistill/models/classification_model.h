#pragma once
/// \file
/// `ClassificationBaseModel`: a foundation model that scores an image against the ontology's classes
/// (a zero-shot classifier such as CLIP), and `ComposedDetectionModel`, which lets a detector find
/// boxes and a classifier decide their classes (autodistill's detector + classifier composition:
/// e.g. a detector prompted with "bottle" and CLIP choosing between brands).
///
/// The classifier's entry point is `classify` (not `predict`) so that a model can be both a
/// `BaseModel` and a `ClassificationBaseModel` (CLIP is: its `predict` returns one whole-image box).
/// A model is used from one thread at a time unless its documentation says otherwise.

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "autodistill/core/classifications.h"
#include "autodistill/models/base_model.h"

namespace autodistill {

class ClassificationBaseModel {
 public:
  explicit ClassificationBaseModel(CaptionOntology ontology);
  virtual ~ClassificationBaseModel();
  ClassificationBaseModel(const ClassificationBaseModel&) = delete;
  ClassificationBaseModel& operator=(const ClassificationBaseModel&) = delete;

  virtual std::string name() const = 0;
  /// Confidences over `ontology().classes()` for one 8-bit BGR image (class ids index classes()).
  virtual Classifications classify(const cv::Mat& image) = 0;
  /// One result per image, in order. The default calls classify() for each image.
  virtual std::vector<Classifications> classify_batch(const std::vector<cv::Mat>& images);

  const CaptionOntology& ontology() const noexcept { return ontology_; }

 private:
  CaptionOntology ontology_;
};

/// Boxes from `detector`, classes from `classifier`: every detected box is cropped (grown by
/// `crop_padding` of its size on each side, clipped to the image) and classified; the detection
/// takes the classifier's most likely class and its confidence. The detector's own confidence is kept
/// in the data column "detector_confidence". Detections whose class confidence is below
/// `min_confidence` are dropped. The ontology (and so the output classes) is the classifier's.
/// Empty or degenerate boxes (under 1 pixel once clipped) are dropped.
class ComposedDetectionModel : public BaseModel {
 public:
  struct Options {
    float min_confidence = 0.0f;  ///< in [0, 1]
    float crop_padding = 0.0f;    ///< fraction of the box's width/height added on each side, >= 0
  };
  /// InvalidArgument for a null model or bad options.
  ComposedDetectionModel(std::shared_ptr<BaseModel> detector, std::shared_ptr<ClassificationBaseModel> classifier,
                         Options options);
  ComposedDetectionModel(std::shared_ptr<BaseModel> detector, std::shared_ptr<ClassificationBaseModel> classifier)
      : ComposedDetectionModel(std::move(detector), std::move(classifier), Options{}) {}

  /// "<detector>+<classifier>".
  std::string name() const override;
  Detections predict(const cv::Mat& image) override;
  std::vector<Detections> predict_batch(const std::vector<cv::Mat>& images) override;

  const std::shared_ptr<BaseModel>& detector() const noexcept { return detector_; }
  const std::shared_ptr<ClassificationBaseModel>& classifier() const noexcept { return classifier_; }

 private:
  Detections classify_boxes(const cv::Mat& image, const Detections& boxes);

  std::shared_ptr<BaseModel> detector_;
  std::shared_ptr<ClassificationBaseModel> classifier_;
  Options options_;
};

}  // namespace autodistill
