#pragma once
/// \file
/// `BaseModel`: a foundation model that turns an image and an ontology into `Detections`.
/// Subclasses implement `predict` (and may override `predict_batch` to batch on the device).
/// A model is used from one thread at a time unless its documentation says otherwise.

#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "autodistill/core/detections.h"
#include "autodistill/ontology/caption_ontology.h"

namespace autodistill {

class BaseModel {
 public:
  explicit BaseModel(CaptionOntology ontology);
  virtual ~BaseModel();
  BaseModel(const BaseModel&) = delete;
  BaseModel& operator=(const BaseModel&) = delete;

  /// Registry name of the model ("hog_people", "owlvit", ...).
  virtual std::string name() const = 0;

  /// Detects the ontology's classes in one image: 8-bit BGR, H x W x 3 (CV_8UC3).
  /// Boxes are xyxy in that image's pixels; class ids index `ontology().classes()`.
  virtual Detections predict(const cv::Mat& image) = 0;

  /// One result per image, in order. The default calls predict() for each image; models that
  /// batch on the device override it.
  virtual std::vector<Detections> predict_batch(const std::vector<cv::Mat>& images);

  /// Loads the file with load_image() and calls predict().
  Detections predict_file(const std::filesystem::path& path);

  const CaptionOntology& ontology() const noexcept { return ontology_; }

 protected:
  /// Throws InvalidArgument naming the expected layout unless `image` is non-empty CV_8UC3.
  static void check_image(const cv::Mat& image);

 private:
  CaptionOntology ontology_;
};

}  // namespace autodistill
