#pragma once
// The YOLO checkpoint file: one safetensors file holding the network's parameters and buffers, the
// metadata that rebuilds it ("autodistill": format, scale, classes, imgsz, training arguments) and,
// for a run's last.safetensors, the state that resumes training ("autodistill_train" metadata, the
// raw non-EMA weights as "train_model.<name>" tensors and the optimizer as a LibTorch archive in the
// "train_state" byte tensor). Internal header.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "yolo_net.h"

namespace autodistill::yolo {

inline constexpr const char* kCheckpointFormat = "autodistill-cpp yolo 1";

struct CheckpointMeta {
  std::string scale;
  std::vector<std::string> classes;
  int64_t imgsz = 640;
  nlohmann::json train_args;  ///< the YoloTrainOptions of the run that wrote it (null if none)
};

/// What resumes a run: where it stopped, the raw (non-EMA) weights and the optimizer.
struct TrainState {
  nlohmann::json progress;  ///< {"epoch", "step", "updates", "best_fitness", "history", "finished", ...}
  std::vector<std::pair<std::string, at::Tensor>> raw_weights;  ///< the trained network's named tensors
  std::string optimizer;    ///< the optimizer's LibTorch OutputArchive bytes
};

/// Writes `net`'s tensors, `meta` and (optionally) `state` atomically.
void save_checkpoint(const std::filesystem::path& path, YoloNet& net, const CheckpointMeta& meta,
                     const TrainState* state = nullptr);

/// Reads the metadata (and training state, when present) of a checkpoint; IOError naming the file
/// when it is not an autodistill-cpp YOLO checkpoint.
CheckpointMeta read_checkpoint_meta(const std::filesystem::path& path);
std::optional<TrainState> read_train_state(const std::filesystem::path& path);

/// Copies the checkpoint's weights into `net` (every name and shape checked; IOError listing
/// the differences, e.g. a checkpoint made for another number of classes).
void load_checkpoint_weights(const std::filesystem::path& path, YoloNet& net);

}  // namespace autodistill::yolo
