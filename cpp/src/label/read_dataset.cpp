#include "autodistill/label/read_dataset.h"

#include "autodistill/core/error.h"
#include "autodistill/label/label.h"

namespace autodistill {
namespace fs = std::filesystem;

std::string detect_dataset_format(const fs::path& in) {
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

DetectionDataset read_dataset(const fs::path& in, std::string format) {
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
    const fs::path parent = json.parent_path().empty() ? fs::path(".") : json.parent_path();
    return DetectionDataset::from_coco(fs::is_directory(parent / "images", ec) ? parent / "images" : parent, json);
  }
  if (format == "voc") {
    const fs::path ann = fs::is_directory(in / "Annotations", ec) ? in / "Annotations" : in;
    return DetectionDataset::from_pascal_voc(in / "JPEGImages", ann);
  }
  AD_THROW(InvalidArgument, "format must be yolo, coco or voc, got '{}'", format);
}

}  // namespace autodistill
