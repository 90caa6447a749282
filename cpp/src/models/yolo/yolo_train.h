#pragma once
// The YOLO training loop behind YOLO::train (docs/target_model.md "Training"): threaded augmented
// batches, SGD/AdamW with warm-up and linear/cosine decay, EMA weights, validation mAP per epoch,
// best/last checkpoints, results.csv/png, resume, Ctrl-C. Internal header (LibTorch).
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>

#include "autodistill/core/detections.h"
#include "autodistill/io/dataset.h"
#include "autodistill/models/yolo/yolo.h"
#include "yolo_checkpoint.h"
#include "yolo_net.h"

namespace autodistill::yolo {

/// Trains `net` in place on `train` and validates on `valid` after each epoch. Class ids index the
/// datasets' classes, which must number net.num_classes(). `meta` names the model in the
/// checkpoints written under options.project. At the end `net` holds the best weights (see
/// YOLO::train). Deterministic for a seed on CPU.
std::vector<YoloEpoch> train(YoloNet& net, const CheckpointMeta& meta, const DetectionDataset& train,
                             const DetectionDataset& valid, const YoloTrainOptions& options);

/// The options as JSON (stored in checkpoints as "train_args"); the progress pointer is left out.
nlohmann::json options_to_json(const YoloTrainOptions& options);

/// Detections in each image's own pixels: letterbox to `imgsz`, forward, decode, confidence filter,
/// class-aware NMS, boxes mapped back. Runs on the network's device.
std::vector<Detections> predict(YoloNet& net, const std::vector<cv::Mat>& images, int64_t imgsz, float confidence = 0.25f,
                                float iou = 0.7f, int64_t max_det = 300);

}  // namespace autodistill::yolo
