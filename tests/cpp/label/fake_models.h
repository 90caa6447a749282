#pragma once
// Deterministic fake base models for the labelling tests: boxes are derived from the image content
// (saturated red / green rectangles on a dark background), so every run gives the same labels.
#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "autodistill/models/base_model.h"

namespace autodistill::test {

/// Finds red (class 0) and green (class 1) blobs; confidence = blob area share, in (0, 1].
/// Only blobs of at least `min_side` pixels in both directions *after* shrinking the image so its
/// longer side is at most `max_side` (0 = no shrinking) are seen: a small object in a large image is
/// missed on the whole image but found in a tile.
class ColorBlobModel : public BaseModel {
 public:
  explicit ColorBlobModel(int max_side = 0, int min_side = 1)
      : BaseModel(CaptionOntology({{"red thing", "red"}, {"green thing", "green"}})),
        max_side_(max_side), min_side_(min_side) {}
  std::string name() const override { return "test_color_blobs"; }

  Detections predict(const cv::Mat& image) override {
    check_image(image);
    ++images_seen;
    if (fail_after >= 0 && images_seen > fail_after) throw std::runtime_error("simulated crash");
    double scale = 1.0;
    cv::Mat im = image;
    const int longer = std::max(image.cols, image.rows);
    if (max_side_ > 0 && longer > max_side_) {
      scale = double(max_side_) / longer;
      cv::resize(image, im, cv::Size(), scale, scale, cv::INTER_AREA);
    }
    std::vector<std::array<float, 4>> boxes;
    std::vector<int64_t> classes;
    std::vector<float> scores;
    for (int cls = 0; cls < 2; ++cls) {
      cv::Mat mask;
      if (cls == 0)
        cv::inRange(im, cv::Scalar(0, 0, 150), cv::Scalar(90, 90, 255), mask);
      else
        cv::inRange(im, cv::Scalar(0, 150, 0), cv::Scalar(90, 255, 90), mask);
      std::vector<std::vector<cv::Point>> contours;
      cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
      for (const auto& c : contours) {
        const cv::Rect r = cv::boundingRect(c);
        if (r.width < min_side_ || r.height < min_side_) continue;
        boxes.push_back({float(r.x / scale), float(r.y / scale), float((r.x + r.width) / scale),
                         float((r.y + r.height) / scale)});
        classes.push_back(cls);
        scores.push_back(std::min(1.f, 0.5f + float(r.area()) / float(im.cols * im.rows)));
      }
    }
    const auto n = static_cast<Eigen::Index>(boxes.size());
    BoxArray xyxy(n, 4);
    ScoreArray conf(n);
    ClassIdArray cid(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      for (int k = 0; k < 4; ++k) xyxy(i, k) = boxes[i][k];
      conf[i] = scores[i];
      cid[i] = classes[i];
    }
    return Detections(xyxy, conf, cid);
  }

  std::atomic<int> images_seen{0};
  int fail_after = -1;  ///< throw from predict once more than this many images were seen

 private:
  int max_side_, min_side_;
};

/// Writes `n` images (PNG, and JPEG every third) of `w` x `h` into `dir` (in sub folders a/ and b/),
/// each with 0-2 red/green rectangles placed from its index. Returns the relative paths.
inline std::vector<std::string> write_synthetic_images(const std::filesystem::path& dir, int n, int w = 160,
                                                       int h = 120) {
  std::vector<std::string> rels;
  for (int i = 0; i < n; ++i) {
    cv::Mat im(h, w, CV_8UC3, cv::Scalar(20, 20, 20));
    const int objects = i % 3;
    for (int k = 0; k < objects; ++k) {
      const int x = (i * 13 + k * 50) % (w - 40), y = (i * 7 + k * 30) % (h - 30);
      const cv::Scalar colour = (i + k) % 2 ? cv::Scalar(0, 220, 0) : cv::Scalar(0, 0, 220);
      cv::rectangle(im, cv::Rect(x, y, 20 + k * 10, 15 + k * 5), colour, cv::FILLED);
    }
    const std::string rel = std::string(i % 2 ? "a/" : "b/") + "img_" + std::to_string(1000 + i) +
                            (i % 3 == 2 ? ".jpg" : ".png");
    std::filesystem::create_directories((dir / rel).parent_path());
    cv::imwrite((dir / rel).string(), im, {cv::IMWRITE_JPEG_QUALITY, 95});
    rels.push_back(rel);
  }
  return rels;
}

}  // namespace autodistill::test
