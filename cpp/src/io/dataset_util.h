#pragma once
// Helpers shared by the dataset readers and writers (and the labelling pipeline, which writes the
// same formats through them so that its output equals DetectionDataset::as_yolo / as_coco).
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "autodistill/io/dataset.h"

namespace autodistill::detail {

/// A float as the shortest decimal that reads back to the same float, as a double
/// (so json prints 12.3, not 12.300000190734863).
double clean_number(float v);

/// `path` relative to `base`, '/'-separated.
std::string relative_generic(const std::filesystem::path& path, const std::filesystem::path& base);

/// YOLO rows "class cx cy w h\n", normalised by the image size, 6 decimals, boxes clipped to the image.
std::string yolo_label_text(const Detections& detections, int width, int height);

/// data.yaml text: train, val (and test when `with_test`) relative folders, nc, names.
std::string yolo_data_yaml(const std::vector<std::string>& classes, bool with_test = false);

/// "a/b.jpg" -> "a/b.txt".
std::string label_relative_path(const std::string& image_relative_path);

/// The COCO document of a dataset (see DetectionDataset::as_coco); `file_name_prefix` is prepended
/// per image with its split when `with_split_prefix` ("train/images/" ...).
nlohmann::ordered_json coco_document(const DetectionDataset& dataset, bool with_split_prefix);

/// Images sorted by relative path (indices into dataset.images()).
std::vector<size_t> sorted_order(const DetectionDataset& dataset);

}  // namespace autodistill::detail
