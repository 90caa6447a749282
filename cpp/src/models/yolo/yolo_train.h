#pragma once
// A first training loop for YoloNet: images letterboxed to a square, random horizontal flips, AdamW
// with linear warm-up and cosine decay, validation mAP each epoch. Internal header (LibTorch); the
// full TargetModel API (checkpoints, EMA, mosaic, data loader threads, CLI) builds on it.
#include <cstdint>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "autodistill/core/detections.h"
#include "autodistill/io/dataset.h"
#include "yolo_net.h"

namespace autodistill::yolo {

struct TrainOptions {
  int64_t epochs = 10;
  int64_t imgsz = 640;   ///< square training size, a multiple of 32
  int64_t batch = 16;
  double lr = 2e-3;      ///< AdamW peak learning rate
  double weight_decay = 5e-4;
  int64_t warmup_steps = 50;
  uint64_t seed = 0;
  bool hflip = true;
};

struct EpochStats {
  int64_t epoch = 0;
  double box = 0, cls = 0, dfl = 0;  ///< mean loss parts over the epoch's steps
  double map50 = -1, map = -1;       ///< on the validation images (-1 without any)
};

/// Trains `net` (in place) on `train` and validates on `val` after each epoch (mAP through
/// eval::MeanAveragePrecision). Class ids index the datasets' classes, which must number
/// net.num_classes(). Deterministic for a seed on CPU.
std::vector<EpochStats> train(YoloNet& net, const DetectionDataset& train, const DetectionDataset& val,
                              const TrainOptions& options);

/// Detections in each image's own pixels: letterbox to `imgsz`, forward, decode, confidence filter,
/// class-aware NMS, boxes mapped back.
std::vector<Detections> predict(YoloNet& net, const std::vector<cv::Mat>& images, int64_t imgsz, float confidence = 0.25f,
                                float iou = 0.7f, int64_t max_det = 300);

}  // namespace autodistill::yolo
