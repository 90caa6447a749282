#pragma once
/// \file
/// `CascadeDetector`: OpenCV's pretrained Haar / LBP cascades (Viola-Jones) as a base model.
/// Offline and fast on a CPU; good on frontal faces, weak on everything seen at an angle.
///
/// Each ontology prompt selects one cascade file. Built-in prompts (case-insensitive) and files,
/// relative to the cascade folder:
///   "face", "frontal face"               haarcascades/haarcascade_frontalface_default.xml
///   "profile face"                       haarcascades/haarcascade_profileface.xml
///   "cat face"                           haarcascades/haarcascade_frontalcatface.xml
///   "full body"                          haarcascades/haarcascade_fullbody.xml
///   "upper body"                         haarcascades/haarcascade_upperbody.xml
///   "lower body"                         haarcascades/haarcascade_lowerbody.xml
///   "eye", "eyes"                        haarcascades/haarcascade_eye.xml
///   "smile"                              haarcascades/haarcascade_smile.xml
///   "licence plate", "license plate"     haarcascades/haarcascade_russian_plate_number.xml
///   "silverware"                         lbpcascades/lbpcascade_silverware.xml
/// (the full table is `builtin_cascades()`). `Options::cascades` adds or overrides prompts with
/// user-trained cascade files. The smile cascade fires on any mouth-like texture, so its default
/// min_neighbors is 20 instead of 3.
///
/// Cascade folder: `Options::cascade_dir`, else the environment variable AUTODISTILL_CASCADE_DIR,
/// else /usr/share/opencv4 (Debian/Ubuntu package opencv-data), holding haarcascades/ and
/// lbpcascades/. Every cascade is loaded once, in the constructor.
///
/// Pre-processing: grayscale + histogram equalisation (as OpenCV's samples).
///
/// Confidence: `detectMultiScale` reports, for each grouped box, how many raw windows voted for
/// it (the neighbour count n >= min_neighbors). It is mapped monotonically to (0, 1) as
/// `confidence = n / (n + 10)` (10 neighbours -> 0.5, 30 -> 0.75). It ranks detections of one
/// cascade; it is NOT a calibrated probability and is not comparable across cascades.
///
/// Boxes are xyxy in the pixels of the image passed to predict(). Per-class NMS merges boxes of
/// prompts that map to one class. Use from one thread at a time.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autodistill/models/base_model.h"

namespace autodistill {

class CascadeDetector : public BaseModel {
 public:
  struct Options {
    /// Folder with haarcascades/ and lbpcascades/; empty: $AUTODISTILL_CASCADE_DIR, else
    /// /usr/share/opencv4.
    std::string cascade_dir;
    /// Extra prompts: prompt -> cascade XML file. A relative path that does not exist from the
    /// working directory is looked up in the cascade folder. Overrides a built-in prompt of the
    /// same name. Every key must be one of the ontology's prompts.
    std::map<std::string, std::string> cascades;
    /// Image pyramid step (detectMultiScale's scaleFactor), > 1.
    double scale_factor = 1.1;
    /// Raw windows a box needs to be kept (detectMultiScale's minNeighbors), >= 1; 0 uses each
    /// cascade's default (`BuiltinCascade::min_neighbors`, 3 for user cascades).
    int min_neighbors = 0;
    /// Smallest object side in pixels; smaller objects are not searched for.
    int min_size = 24;
    /// Largest object side in pixels; 0 means no limit.
    int max_size = 0;
    /// Equalise the grayscale histogram before detection.
    bool equalize = true;
    /// Detections with a lower confidence (see the file comment) are dropped.
    float confidence = 0.0f;
    /// IoU above which the lower-confidence of two boxes of one class is dropped.
    float nms_iou = 0.3f;

    /// Throws InvalidArgument naming the first bad field.
    void validate() const;
  };

  struct BuiltinCascade {
    std::string prompt;  ///< lower case
    std::string file;    ///< relative to the cascade folder
    int min_neighbors;   ///< used when Options::min_neighbors is 0
  };
  /// The built-in prompts and their cascade files, in documentation order.
  static const std::vector<BuiltinCascade>& builtin_cascades();
  /// The built-in prompts, lower case.
  static std::vector<std::string> supported_prompts();
  /// The folder used when Options::cascade_dir is empty (environment, then the Debian default).
  static std::filesystem::path default_cascade_dir();

  /// Loads one cascade per distinct file. InvalidArgument for an unsupported prompt (the message
  /// lists the supported ones) or a bad option; IOError naming the path for a missing or
  /// unreadable cascade file.
  CascadeDetector(CaptionOntology ontology, Options options);
  explicit CascadeDetector(CaptionOntology ontology);
  ~CascadeDetector() override;

  std::string name() const override { return "cascade"; }
  /// `image`: 8-bit BGR (CV_8UC3). Returns boxes in its pixels, by decreasing confidence.
  Detections predict(const cv::Mat& image) override;

  const Options& options() const noexcept { return options_; }
  /// The cascade file each ontology prompt uses, in prompt order.
  const std::vector<std::filesystem::path>& cascade_files() const noexcept { return prompt_files_; }

 private:
  struct Impl;
  Options options_;
  std::vector<std::filesystem::path> prompt_files_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace autodistill
