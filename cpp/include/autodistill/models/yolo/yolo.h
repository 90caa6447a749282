#pragma once
/// \file
/// `YOLO`: the target model, a YOLOv8-family detector trained natively on a labelled dataset
/// (docs/target_model.md). `YOLO("n", classes)` builds an untrained network; `train(data.yaml)`
/// fits it on the "train" split and validates on "valid"; `save` / `load` keep weights, classes,
/// scale and image size in one safetensors file. One thread at a time.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "autodistill/core/detections.h"
#include "autodistill/core/progress.h"
#include "autodistill/eval/evaluate.h"
#include "autodistill/io/dataset.h"
#include "autodistill/models/target_model.h"

namespace autodistill {

struct YoloEpoch {
  int64_t epoch = 0;
  double box = 0, cls = 0, dfl = 0;  ///< mean loss parts (gains applied)
  double map50 = -1, map = -1;       ///< validation mAP@.5 and mAP@[.5:.95]; -1 without validation images
  double lr = 0;                     ///< learning rate at the epoch's end
  double seconds = 0;                ///< wall time of the epoch, validation included
};

/// Training settings; the defaults are ultralytics' YOLOv8 defaults where the two share a name.
struct YoloTrainOptions {
  int64_t epochs = 10;
  int64_t imgsz = 640;   ///< square training and inference size, a multiple of 32
  int64_t batch = 16;
  std::string device = "auto";     ///< "auto", "cpu", "cuda", "cuda:N" (core/device.h)
  std::string optimizer = "auto";  ///< "SGD", "AdamW", or "auto": AdamW below 10k steps, else SGD
  double lr = 0;                   ///< peak learning rate; 0 = the optimizer's default (SGD 0.01, AdamW 0.002)
  double lrf = 0.01;               ///< final learning rate = lr * lrf
  bool cos_lr = false;             ///< cosine instead of linear decay
  double momentum = 0.937;         ///< SGD momentum (Nesterov) / AdamW beta1
  double weight_decay = 5e-4;      ///< on convolution weights only (not on biases or BatchNorm)
  double warmup_epochs = 3.0;      ///< linear warm-up of the learning rate (and SGD momentum from 0.8)
  bool ema = true;                 ///< keep an exponential moving average of the weights; validate and save it
  bool amp = true;                 ///< bfloat16 autocast on CUDA (no effect on CPU)
  // Augmentation (ultralytics' names and meanings).
  double hsv_h = 0.015, hsv_s = 0.7, hsv_v = 0.4;  ///< HSV gains (fractions)
  double degrees = 0.0, translate = 0.1, scale = 0.5, shear = 0.0;  ///< random affine ranges
  double fliplr = 0.5;                             ///< horizontal flip probability
  double mosaic = 1.0;                             ///< mosaic probability
  int64_t close_mosaic = 10;                       ///< the last N epochs train without mosaic
  bool augment = true;                             ///< false: letterbox only (all of the above off)
  int workers = 2;                                 ///< data-loader threads
  bool cache = true;  ///< keep decoded, resized training images in RAM (up to 2 GiB; the rest decodes each time)
  uint64_t seed = 0;                               ///< same seed, same data = same run on CPU
  /// Run folder: weights/last.safetensors (with the state to resume), weights/best.safetensors,
  /// results.csv and results.png, updated after every epoch. Empty: nothing is written.
  std::filesystem::path project;
  /// Continue the unfinished run in `project` (its last.safetensors): weights, EMA, optimizer,
  /// epoch and step. Without one, training starts afresh; a finished run returns its history.
  bool resume = false;
  /// Progress per epoch with the running losses; nullptr = none.
  ProgressReporter* progress = nullptr;
  /// Called after every epoch (validation done, checkpoints written), on the training thread.
  std::function<void(const YoloEpoch&)> on_epoch;
};

class YOLO : public TargetModel {
 public:
  /// An untrained network: `scale` "n" or "s" (InvalidArgument otherwise), any number of classes.
  /// Without classes (`YOLO("n")`) the network is made by the first train(), with the dataset's
  /// classes; until then predict, save and export are InvalidArgument. A path to a checkpoint in
  /// place of the scale loads it, as load() does (`classes` and `imgsz` must then be left out).
  explicit YOLO(const std::string& scale, std::vector<std::string> classes = {}, int64_t imgsz = 640);
  /// A checkpoint written by save(); IOError naming the file when it is not one.
  static YOLO load(const std::filesystem::path& path);
  ~YOLO() override;
  YOLO(YOLO&&) noexcept;
  YOLO& operator=(YOLO&&) noexcept;

  /// Trains on `data_yaml`'s train split, validating on its valid split after each epoch. The
  /// dataset's class names must be this model's (InvalidArgument listing both otherwise); label ids
  /// beyond them, missing folders and an empty train split are errors naming the file. Images
  /// without labels train as negatives. Afterwards the model holds the best epoch's weights (by
  /// 0.1 mAP@.5 + 0.9 mAP@[.5:.95]; the last epoch's without validation images). Ctrl-C (Interrupted)
  /// writes `project`'s last.safetensors first, so the run can resume.
  std::vector<YoloEpoch> train(const std::filesystem::path& data_yaml, const YoloTrainOptions& options);
  /// As above with datasets in memory.
  std::vector<YoloEpoch> train(const DetectionDataset& train, const DetectionDataset& valid,
                               const YoloTrainOptions& options);

  std::vector<Detections> predict_batch(const std::vector<cv::Mat>& images, float confidence = 0.25f,
                                        float iou = 0.7f) override;
  using TargetModel::evaluate;
  using TargetModel::predict;

  /// Weights + metadata (classes, scale, imgsz, training arguments) in one safetensors file,
  /// written atomically. load() also reads a run's last.safetensors / best.safetensors.
  void save(const std::filesystem::path& path) const override;

  /// Moves the network ("cpu", "cuda", "cuda:N", "auto"); predict() and train() run there.
  void to(const std::string& device);
  /// "cpu" or "cuda:N".
  std::string device() const;
  /// A TorchScript archive for `torch::jit::load` (C++) or `torch.jit.load` (Python), without this
  /// library: forward(images) takes float32 (B, 3, H, W) RGB in [0, 1], H and W multiples of 32
  /// (letterboxed with 114 grey padding, as predict() does, normally imgsz x imgsz) and returns
  /// (B, A, 4 + nc): boxes x1 y1 x2 y2 in input pixels, then sigmoid class scores, for every anchor
  /// A = sum over strides 8/16/32 of (H/s)*(W/s); no confidence filter or NMS. Eval mode with
  /// BatchNorm folded into the convolutions; CPU tensors, runs on whatever device it is moved to.
  /// Metadata (format, scale, classes, imgsz, strides) is in the extra file "autodistill.json" and
  /// in module attributes. Written atomically; IOError naming `path` when it cannot be written.
  void export_torchscript(const std::filesystem::path& path) const override;

  const std::vector<std::string>& classes() const noexcept override { return classes_; }
  const std::string& scale() const noexcept { return scale_; }
  int64_t imgsz() const noexcept { return imgsz_; }
  int64_t num_parameters() const;

  struct Impl;

 private:
  void build_network();

  std::string scale_;
  std::vector<std::string> classes_;
  int64_t imgsz_ = 640;
  std::unique_ptr<Impl> impl_;
};

}  // namespace autodistill
