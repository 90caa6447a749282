#pragma once
// A training run's record, rewritten after every epoch: results.csv (one row per epoch, the column
// names ultralytics uses so existing tooling reads it) and results.png (loss and mAP curves).
#include <filesystem>
#include <vector>

#include "autodistill/models/yolo/yolo.h"

namespace autodistill::yolo {

void write_results(const std::filesystem::path& run_dir, const std::vector<YoloEpoch>& history);

}  // namespace autodistill::yolo
