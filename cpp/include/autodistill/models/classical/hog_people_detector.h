#pragma once
/// \file
/// `HOGPeopleDetector`: OpenCV's pretrained HOG + linear SVM pedestrian detector (Dalal & Triggs,
/// `cv::HOGDescriptor::getDefaultPeopleDetector()`, a 64 x 128 window). Needs no weights download,
/// which makes it the offline default for "person" labels. It finds upright, mostly full-body
/// people at least about 64 x 128 pixels tall in the (possibly downscaled) image; it does not find
/// seated, strongly occluded or very small people.
///
/// Prompts it understands (case-insensitive): "person", "people", "pedestrian", "human".
/// Each prompt's class comes from the ontology. All prompts mean the same detector, so the HOG runs
/// once per image and each detection is reported once for every distinct class those prompts map to.
///
/// Confidence: the SVM margin `w` reported by `detectMultiScale` mapped through the logistic
/// function, `confidence = 1 / (1 + exp(-w))`. It is monotonic in the margin, so it ranks
/// detections (for NMS, thresholds, mAP), but it is NOT a calibrated probability: 0.5 is the SVM's
/// decision boundary, not a 50 % chance of a person.
///
/// Boxes are xyxy in the pixels of the image passed to predict(), clipped to it. The HOG window
/// has a margin around the person; with `tighten_boxes` (the default) it is shrunk as OpenCV's
/// peopledetect sample does (10 % off the left and right, 7 % off the top, 13 % off the bottom),
/// which brings it close to a hand-drawn box.
///
/// Thread-safety: predict() is const with respect to the model's state and may be called from
/// several threads (cv::HOGDescriptor::detectMultiScale is const).

#include <memory>
#include <string>
#include <vector>

#include "autodistill/models/base_model.h"

namespace autodistill {

class HOGPeopleDetector : public BaseModel {
 public:
  struct Options {
    /// SVM margin a window must exceed (detectMultiScale's hitThreshold). Lower finds more people
    /// and more false positives.
    double hit_threshold = 0.0;
    /// Step of the sliding window in pixels (x and y); a multiple of the 8-pixel cell size. Smaller
    /// is slower and finds a little more.
    int win_stride = 8;
    /// Padding added around the image in pixels (x and y), so people at the border are found.
    int padding = 8;
    /// Ratio between pyramid levels, > 1. Smaller is slower and finds more sizes.
    double scale = 1.05;
    /// OpenCV's grouping: a group of overlapping windows needs more than this many members
    /// (detectMultiScale's finalThreshold). 0 turns grouping off (then NMS alone merges windows).
    int group_threshold = 2;
    /// Detections with a lower confidence (see the file comment) are dropped. 0.5 == margin 0.
    float confidence = 0.5f;
    /// IoU above which the lower-confidence of two boxes of one class is dropped.
    float nms_iou = 0.45f;
    /// The image is downscaled so that its longer side is at most this many pixels before
    /// detection (for speed); boxes are mapped back to the input image. 0 keeps the full size.
    int max_side = 800;
    /// Shrink the detector window to the person (see the file comment).
    bool tighten_boxes = true;

    /// Throws InvalidArgument naming the first bad field.
    void validate() const;
  };

  /// The prompts this model understands, lower case.
  static const std::vector<std::string>& supported_prompts();

  /// Throws InvalidArgument if a prompt is not supported (the message lists the supported ones) or
  /// an option is out of range.
  HOGPeopleDetector(CaptionOntology ontology, Options options);
  explicit HOGPeopleDetector(CaptionOntology ontology);
  ~HOGPeopleDetector() override;

  std::string name() const override { return "hog_people"; }
  /// `image`: 8-bit BGR (CV_8UC3). Returns people boxes in its pixels, by decreasing confidence.
  Detections predict(const cv::Mat& image) override;

  const Options& options() const noexcept { return options_; }

 private:
  struct Impl;
  Options options_;
  std::vector<int64_t> class_ids_;  // distinct class ids of the prompts, ascending
  std::unique_ptr<Impl> impl_;
};

}  // namespace autodistill
