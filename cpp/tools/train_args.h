#pragma once
// The YOLO training options `train` and `distill` share, parsed in one place.
#include "autodistill/models/yolo/yolo.h"

namespace CLI {
class App;
}

namespace autodistill::cli {

/// Registers --epochs, --imgsz, --batch, --device (unless `with_device` is false: `distill` shares the
/// base model's), --optimizer, --lr, --cos-lr, --workers, --seed, --no-augment, --mosaic,
/// --close-mosaic on `cmd`, writing into `options`.
void add_train_args(CLI::App* cmd, YoloTrainOptions& options, bool with_device = true);

/// Prints one line per epoch (losses, mAP, seconds) to stdout.
void print_epoch(const YoloEpoch& e, int64_t epochs);

}  // namespace autodistill::cli
