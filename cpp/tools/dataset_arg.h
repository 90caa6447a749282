#pragma once
// Reading a dataset named on the command line in any supported layout (eval, grid).
#include <filesystem>
#include <string>

#include "autodistill/core/error.h"
#include "autodistill/io/dataset.h"
#include "autodistill/label/label.h"

namespace autodistill::cli {

/// The layout of `in`: "yolo" (a data.yaml or a folder with one), "coco" (a .json, or a folder with
/// annotations.coco.json / _annotations.coco.json), "voc" (a folder with Annotations/). InvalidArgument
/// naming the path otherwise.
inline std::string detect_dataset_format(const std::filesystem::path& in) {
  namespace fs = std::filesystem;
  std::error_code ec;
  AD_CHECK(fs::exists(in, ec), "dataset '{}' does not exist", in.string());
  if (in.extension() == ".yaml" || in.extension() == ".yml" || fs::exists(in / "data.yaml", ec)) return "yolo";
  if (in.extension() == ".json" || fs::exists(in / "annotations.coco.json", ec) ||
      fs::exists(in / "_annotations.coco.json", ec))
    return "coco";
  if (fs::is_directory(in / "Annotations", ec)) return "voc";
  AD_THROW(InvalidArgument, "cannot tell the format of '{}' (no data.yaml, .json or Annotations/); pass the format",
           in.string());
}

/// Reads `in` in `format` ("" = detect; a label() output folder is read from its journal, which keeps
/// the model's confidences that YOLO rows cannot hold): yolo = data.yaml or its folder; coco = a json (images next to
/// it, or in images/ beside it when that folder exists); voc = a folder with Annotations/ and JPEGImages/.
inline DetectionDataset read_dataset_arg(const std::filesystem::path& in, std::string format) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (format.empty() && fs::exists(in / ".autodistill" / "manifest.json", ec)) return load_label_output(in);
  if (format.empty()) format = detect_dataset_format(in);
  AD_CHECK(fs::exists(in, ec), "dataset '{}' does not exist", in.string());
  if (format == "yolo") return DetectionDataset::from_yolo(in);
  if (format == "coco") {
    fs::path json = in;
    if (fs::is_directory(in, ec)) {
      json = in / "annotations.coco.json";
      if (!fs::exists(json, ec)) json = in / "_annotations.coco.json";
    }
    const fs::path images = fs::is_directory(json.parent_path() / "images", ec) ? json.parent_path() / "images"
                                                                                  : json.parent_path();
    return DetectionDataset::from_coco(images, json);
  }
  if (format == "voc") {
    const fs::path ann = fs::is_directory(in / "Annotations", ec) ? in / "Annotations" : in;
    return DetectionDataset::from_pascal_voc(in / "JPEGImages", ann);
  }
  AD_THROW(InvalidArgument, "format must be yolo, coco or voc, got '{}'", format);
}

}  // namespace autodistill::cli
