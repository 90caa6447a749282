#include "autodistill/models/classical/hog_people_detector.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "autodistill/core/error.h"
#include "autodistill/models/options.h"
#include "autodistill/models/registry.h"
#include "prompt_text.h"

namespace autodistill {
namespace {
// OpenCV's default people detector is trained on this window.
constexpr int kWindowWidth = 64;
constexpr int kWindowHeight = 128;
}  // namespace

struct HOGPeopleDetector::Impl {
  cv::HOGDescriptor hog;  // default: 64x128 window, 16x16 blocks, 8x8 cells, 9 bins
};

void HOGPeopleDetector::Options::validate() const {
  AD_CHECK(std::isfinite(hit_threshold), "hog_people: hit_threshold must be finite, got {}", hit_threshold);
  AD_CHECK(win_stride > 0, "hog_people: win_stride must be > 0 pixels, got {}", win_stride);
  AD_CHECK(padding >= 0, "hog_people: padding must be >= 0 pixels, got {}", padding);
  AD_CHECK(std::isfinite(scale) && scale > 1.0, "hog_people: scale (the pyramid step) must be > 1, got {}", scale);
  AD_CHECK(group_threshold >= 0, "hog_people: group_threshold must be >= 0, got {}", group_threshold);
  AD_CHECK(confidence >= 0.f && confidence <= 1.f, "hog_people: confidence must be in [0, 1], got {}", confidence);
  AD_CHECK(nms_iou > 0.f && nms_iou <= 1.f, "hog_people: nms_iou must be in (0, 1], got {}", nms_iou);
  AD_CHECK(max_side == 0 || max_side >= kWindowHeight,
           "hog_people: max_side must be 0 (no downscaling) or >= {} pixels (the detector's window height), got {}",
           kWindowHeight, max_side);
}

const std::vector<std::string>& HOGPeopleDetector::supported_prompts() {
  static const std::vector<std::string> prompts = {"person", "people", "pedestrian", "human"};
  return prompts;
}

HOGPeopleDetector::HOGPeopleDetector(CaptionOntology ontology) : HOGPeopleDetector(std::move(ontology), Options{}) {}

HOGPeopleDetector::HOGPeopleDetector(CaptionOntology ontology, Options options)
    : BaseModel(std::move(ontology)), options_(options), impl_(std::make_unique<Impl>()) {
  options_.validate();
  const auto& supported = supported_prompts();
  for (size_t i = 0; i < this->ontology().size(); ++i) {
    const std::string& prompt = this->ontology().prompts()[i];
    AD_CHECK(std::find(supported.begin(), supported.end(), classical::normalize_prompt(prompt)) != supported.end(),
             "hog_people: prompt '{}' is not supported; supported prompts: {}", prompt,
             classical::join_quoted(supported));
    const int64_t id = this->ontology().prompt_class_id(i);
    if (std::find(class_ids_.begin(), class_ids_.end(), id) == class_ids_.end()) class_ids_.push_back(id);
  }
  std::sort(class_ids_.begin(), class_ids_.end());
  impl_->hog.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
}

HOGPeopleDetector::~HOGPeopleDetector() = default;

Detections HOGPeopleDetector::predict(const cv::Mat& image) {
  check_image(image);
  const int longer = std::max(image.cols, image.rows);
  const double s = (options_.max_side > 0 && longer > options_.max_side) ? double(options_.max_side) / longer : 1.0;
  cv::Mat work = image;
  if (s < 1.0) {
    const cv::Size size(std::max(1, int(std::lround(image.cols * s))), std::max(1, int(std::lround(image.rows * s))));
    cv::resize(image, work, size, 0, 0, cv::INTER_AREA);
  }
  const int pad = options_.padding;
  if (work.cols + 2 * pad < kWindowWidth || work.rows + 2 * pad < kWindowHeight) return Detections::empty();

  std::vector<cv::Rect> found;
  std::vector<double> weights;
  impl_->hog.detectMultiScale(work, found, weights, options_.hit_threshold,
                              cv::Size(options_.win_stride, options_.win_stride), cv::Size(pad, pad), options_.scale,
                              options_.group_threshold, /*useMeanshiftGrouping=*/false);

  // Map back to the input image, clip, score, threshold.
  const float inv = float(1.0 / s);
  std::vector<std::array<float, 4>> boxes;
  std::vector<float> scores;
  for (size_t i = 0; i < found.size(); ++i) {
    const float conf = float(1.0 / (1.0 + std::exp(-weights[i])));
    if (conf < options_.confidence) continue;
    cv::Rect2d r(found[i]);
    if (options_.tighten_boxes) {
      // OpenCV's samples/cpp/peopledetect.cpp: the window is larger than the person it holds.
      r.x += r.width * 0.1;
      r.width *= 0.8;
      r.y += r.height * 0.07;
      r.height *= 0.8;
    }
    const float x1 = std::clamp(float(r.x) * inv, 0.f, float(image.cols));
    const float y1 = std::clamp(float(r.y) * inv, 0.f, float(image.rows));
    const float x2 = std::clamp(float(r.x + r.width) * inv, 0.f, float(image.cols));
    const float y2 = std::clamp(float(r.y + r.height) * inv, 0.f, float(image.rows));
    if (x2 <= x1 || y2 <= y1) continue;
    boxes.push_back({x1, y1, x2, y2});
    scores.push_back(conf);
  }

  const Eigen::Index n = Eigen::Index(boxes.size());
  const Eigen::Index k = Eigen::Index(class_ids_.size());
  BoxArray xyxy(n * k, 4);
  ScoreArray confidence(n * k);
  ClassIdArray class_id(n * k);
  for (Eigen::Index c = 0; c < k; ++c) {
    for (Eigen::Index i = 0; i < n; ++i) {
      const Eigen::Index row = c * n + i;
      for (int j = 0; j < 4; ++j) xyxy(row, j) = boxes[size_t(i)][size_t(j)];
      confidence(row) = scores[size_t(i)];
      class_id(row) = class_ids_[size_t(c)];
    }
  }
  return Detections(std::move(xyxy), std::move(confidence), std::move(class_id)).with_nms(options_.nms_iou);
}

namespace {
ModelInfo make_hog_people_info() {
  const HOGPeopleDetector::Options d;
  nlohmann::ordered_json defaults = {{"hit_threshold", d.hit_threshold}, {"win_stride", d.win_stride},
                                     {"padding", d.padding},             {"scale", d.scale},
                                     {"group_threshold", d.group_threshold}, {"confidence", d.confidence},
                                     {"nms_iou", d.nms_iou},             {"max_side", d.max_side},
                                     {"tighten_boxes", d.tighten_boxes}};
  ModelInfo info;
  info.name = "hog_people";
  info.description =
      "OpenCV HOG + linear SVM pedestrian detector (upright people, offline, CPU). Confidence is a "
      "logistic of the SVM margin: a ranking score, not a calibrated probability.";
  info.supported_prompts = HOGPeopleDetector::supported_prompts();
  info.default_options_json = defaults.dump();
  info.factory = [](const ModelOptions& options) -> std::shared_ptr<BaseModel> {
    OptionReader r(options, "hog_people");
    CaptionOntology ontology = r.ontology();
    HOGPeopleDetector::Options o;
    o.hit_threshold = r.get("hit_threshold", o.hit_threshold);
    o.win_stride = r.get("win_stride", o.win_stride);
    o.padding = r.get("padding", o.padding);
    o.scale = r.get("scale", o.scale);
    o.group_threshold = r.get("group_threshold", o.group_threshold);
    o.confidence = r.get("confidence", o.confidence);
    o.nms_iou = r.get("nms_iou", o.nms_iou);
    o.max_side = r.get("max_side", o.max_side);
    o.tighten_boxes = r.get("tighten_boxes", o.tighten_boxes);
    r.finish();
    return std::make_shared<HOGPeopleDetector>(std::move(ontology), o);
  };
  return info;
}
}  // namespace

AD_REGISTER_BASE_MODEL(hog_people, &make_hog_people_info);

}  // namespace autodistill
