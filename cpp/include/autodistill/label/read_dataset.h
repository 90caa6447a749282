#pragma once
/// \file
/// Reading a dataset named by a path in any supported layout, telling the layout from what is there
/// (the CLI's --dataset / --pred / --truth, Python's evaluate(path, path)).

#include <filesystem>
#include <string>

#include "autodistill/io/dataset.h"

namespace autodistill {

/// The layout of `path`: "yolo" (a data.yaml / .yml, or a folder with a data.yaml), "coco" (a .json,
/// or a folder with annotations.coco.json / _annotations.coco.json), "voc" (a folder with
/// Annotations/). InvalidArgument naming the path when it does not exist or is none of these.
std::string detect_dataset_format(const std::filesystem::path& path);

/// Reads `path` in `format` ("yolo", "coco", "voc"; "" = detect). A label() output folder (it has
/// .autodistill/manifest.json) is read from its journal when the format is not given, which keeps
/// the model's confidences that YOLO rows cannot hold. coco: a json (images next to it, or in the
/// images/ folder beside it when there is one) or a folder holding one; voc: a folder with
/// Annotations/ and JPEGImages/. Errors as the DetectionDataset readers (IOError naming the file).
DetectionDataset read_dataset(const std::filesystem::path& path, std::string format = "");

}  // namespace autodistill
