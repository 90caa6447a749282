#pragma once
/// \file
/// `YOLO`: the target model, a YOLOv8-family detector trained natively on a labelled dataset
/// (docs/target_model.md). `YOLO("n", classes)` builds an untrained network; `train(data.yaml)`
/// fits it on the "train" split and validates on "valid"; `save` / `load` keep weights, classes,
/// scale and image size in one safetensors file. One thread at a time.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "autodistill/core/detections.h"
#include "autodistill/eval/evaluate.h"
#include "autodistill/io/dataset.h"

namespace autodistill {

struct YoloTrainOptions {
  int64_t epochs = 10;
  int64_t imgsz = 640;   ///< square training and inference size, a multiple of 32
  int64_t batch = 16;
  double lr = 2e-3;      ///< AdamW peak learning rate (linear warm-up, cosine decay)
  double weight_decay = 5e-4;
  int64_t warmup_steps = 50;
  uint64_t seed = 0;
  bool hflip = true;
};

struct YoloEpoch {
  int64_t epoch = 0;
  double box = 0, cls = 0, dfl = 0;  ///< mean loss parts (gains applied)
  double map50 = -1, map = -1;       ///< validation mAP@.5 and mAP@[.5:.95]; -1 without validation images
};

class YOLO {
 public:
  /// An untrained network: `scale` "n" or "s", any number of classes (InvalidArgument otherwise).
  YOLO(const std::string& scale, std::vector<std::string> classes, int64_t imgsz = 640);
  /// A checkpoint written by save(); IOError naming the file when it is not one.
  static YOLO load(const std::filesystem::path& path);
  ~YOLO();
  YOLO(YOLO&&) noexcept;
  YOLO& operator=(YOLO&&) noexcept;

  /// Trains on `data_yaml`'s train split, validating on its valid split after each epoch. The
  /// dataset's class names must be this model's (InvalidArgument listing both otherwise).
  std::vector<YoloEpoch> train(const std::filesystem::path& data_yaml, const YoloTrainOptions& options);
  /// As above with datasets in memory.
  std::vector<YoloEpoch> train(const DetectionDataset& train, const DetectionDataset& valid,
                               const YoloTrainOptions& options);

  /// Detections in each image's own pixels (8-bit BGR), confidence >= `confidence`, class-aware NMS.
  std::vector<Detections> predict_batch(const std::vector<cv::Mat>& images, float confidence = 0.25f,
                                        float iou = 0.7f);
  Detections predict(const cv::Mat& image, float confidence = 0.25f, float iou = 0.7f);

  /// Predicts the images of `truth` (those of `split`; "" = all) and evaluates against its labels:
  /// human labels, or the base model's labels the target was trained on.
  EvaluationReport evaluate(const DetectionDataset& truth, const std::string& split = "",
                            const EvaluateOptions& options = {});

  /// Weights + metadata (classes, scale, imgsz) in one safetensors file, written atomically.
  void save(const std::filesystem::path& path) const;

  /// A TorchScript archive for `torch::jit::load` (C++) or `torch.jit.load` (Python), without this
  /// library: forward(images) takes float32 (B, 3, H, W) RGB in [0, 1], H and W multiples of 32
  /// (letterboxed with 114 grey padding, as predict() does, normally imgsz x imgsz) and returns
  /// (B, A, 4 + nc): boxes x1 y1 x2 y2 in input pixels, then sigmoid class scores, for every anchor
  /// A = sum over strides 8/16/32 of (H/s)*(W/s); no confidence filter or NMS. Eval mode with
  /// BatchNorm folded into the convolutions; CPU tensors, runs on whatever device it is moved to.
  /// Metadata (format, scale, classes, imgsz, strides) is in the extra file "autodistill.json" and
  /// in module attributes. Written atomically; IOError naming `path` when it cannot be written.
  void export_torchscript(const std::filesystem::path& path) const;

  const std::vector<std::string>& classes() const noexcept { return classes_; }
  const std::string& scale() const noexcept { return scale_; }
  int64_t imgsz() const noexcept { return imgsz_; }
  int64_t num_parameters() const;

  struct Impl;

 private:
  std::string scale_;
  std::vector<std::string> classes_;
  int64_t imgsz_ = 640;
  std::unique_ptr<Impl> impl_;
};

}  // namespace autodistill
