// YOLO (ultralytics) layout: data.yaml + images/ <-> labels/ folders.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "autodistill/core/error.h"
#include "autodistill/io/dataset.h"
#include "autodistill/io/file_io.h"
#include "dataset_util.h"

namespace autodistill {
namespace fs = std::filesystem;

namespace detail {

double clean_number(float v) { return std::strtod(fmt::format("{}", v).c_str(), nullptr); }

std::string relative_generic(const fs::path& path, const fs::path& base) {
  return path.lexically_relative(base).generic_string();
}

std::string label_relative_path(const std::string& rel) {
  return fs::path(rel).replace_extension(".txt").generic_string();
}

std::string yolo_label_text(const Detections& d, int width, int height) {
  std::string out;
  const float W = static_cast<float>(width), H = static_cast<float>(height);
  for (int64_t i = 0; i < d.size(); ++i) {
    const float x1 = std::clamp(d.xyxy()(i, 0), 0.f, W), y1 = std::clamp(d.xyxy()(i, 1), 0.f, H);
    const float x2 = std::clamp(d.xyxy()(i, 2), 0.f, W), y2 = std::clamp(d.xyxy()(i, 3), 0.f, H);
    // Computed in double so that the 6th decimal does not depend on float rounding of the sum.
    const double cx = (double(x1) + x2) / 2.0 / W, cy = (double(y1) + y2) / 2.0 / H;
    const double w = (double(x2) - x1) / W, h = (double(y2) - y1) / H;
    out += fmt::format("{} {:.6f} {:.6f} {:.6f} {:.6f}\n", d.class_id()[i], cx, cy, w, h);
  }
  return out;
}

std::string yolo_data_yaml(const std::vector<std::string>& classes, bool with_test) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "train" << YAML::Value << "train/images";
  e << YAML::Key << "val" << YAML::Value << "valid/images";
  if (with_test) e << YAML::Key << "test" << YAML::Value << "test/images";
  e << YAML::Key << "nc" << YAML::Value << classes.size();
  e << YAML::Key << "names" << YAML::Value << YAML::Flow << classes;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

std::vector<size_t> sorted_order(const DetectionDataset& ds) {
  std::vector<size_t> order(ds.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return ds.images()[a].relative_path < ds.images()[b].relative_path;
  });
  return order;
}

}  // namespace detail

namespace {

bool is_image_name(const fs::path& p) {
  static const std::set<std::string> exts{".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"};
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return exts.count(e) > 0;
}

// The label file of an image: the last "/images/" becomes "/labels/", the extension ".txt".
fs::path label_path_for(const fs::path& image) {
  std::string s = image.generic_string();
  const auto at = s.rfind("/images/");
  if (at != std::string::npos) s.replace(at, 8, "/labels/");
  return fs::path(s).replace_extension(".txt");
}

Detections read_label_file(const fs::path& path, int width, int height, int64_t nc) {
  std::ifstream in(path);
  AD_CHECK_IO(in.good(), "cannot open label file '{}': {}", path.string(), std::strerror(errno));
  std::vector<std::array<float, 4>> boxes;
  std::vector<int64_t> ids;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream ss(line);
    std::vector<std::string> tokens;
    for (std::string t; ss >> t;) tokens.push_back(t);
    if (tokens.empty()) continue;
    AD_CHECK_IO(tokens.size() == 5, "{}:{}: expected 5 numbers, got {}", path.string(), line_no, tokens.size());
    double v[5];
    for (int k = 0; k < 5; ++k) {
      char* end = nullptr;
      v[k] = std::strtod(tokens[k].c_str(), &end);
      AD_CHECK_IO(end && *end == '\0' && std::isfinite(v[k]), "{}:{}: '{}' is not a number", path.string(), line_no,
                  tokens[k]);
    }
    AD_CHECK_IO(v[0] >= 0 && v[0] == std::floor(v[0]), "{}:{}: class id '{}' is not a non-negative integer",
                path.string(), line_no, tokens[0]);
    const auto cls = static_cast<int64_t>(v[0]);
    AD_CHECK_IO(cls < nc, "{}:{}: class id {} is not below nc = {}", path.string(), line_no, cls, nc);
    ids.push_back(cls);
    const double cx = v[1] * width, cy = v[2] * height, w = v[3] * width, h = v[4] * height;
    boxes.push_back({float(cx - w / 2), float(cy - h / 2), float(cx + w / 2), float(cy + h / 2)});
  }
  const auto n = static_cast<Eigen::Index>(ids.size());
  BoxArray xyxy(n, 4);
  ClassIdArray cid(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (int k = 0; k < 4; ++k) xyxy(i, k) = boxes[i][k];
    cid[i] = ids[i];
  }
  return Detections(std::move(xyxy), ScoreArray::Ones(n), std::move(cid));
}

std::vector<std::string> read_names(const YAML::Node& names, const fs::path& yaml) {
  std::vector<std::string> out;
  AD_CHECK_IO(names && !names.IsNull(), "'{}': no 'names' entry", yaml.string());
  if (names.IsSequence()) {
    for (const auto& n : names) out.push_back(n.as<std::string>());
  } else if (names.IsMap()) {
    std::map<int64_t, std::string> by_id;
    for (const auto& kv : names) by_id[kv.first.as<int64_t>()] = kv.second.as<std::string>();
    int64_t expect = 0;
    for (const auto& [id, name] : by_id) {
      AD_CHECK_IO(id == expect, "'{}': names map ids must be 0..{} without gaps, found {}", yaml.string(),
                  by_id.size() - 1, id);
      out.push_back(name);
      ++expect;
    }
  } else {
    AD_THROW(IOError, "'{}': 'names' must be a list or a map of id: name", yaml.string());
  }
  return out;
}

// Image files of one split entry: a folder (recursive), a .txt list, or a single image.
std::vector<fs::path> entry_images(const fs::path& entry, const fs::path& yaml) {
  std::error_code ec;
  std::vector<fs::path> out;
  if (fs::is_directory(entry, ec)) {
    for (auto it = fs::recursive_directory_iterator(entry, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      if (it->is_regular_file(ec) && is_image_name(it->path())) out.push_back(it->path());
  } else if (entry.extension() == ".txt" && fs::is_regular_file(entry, ec)) {
    std::istringstream ss(read_text_file(entry));
    for (std::string line; std::getline(ss, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      fs::path p(line);
      out.push_back(p.is_absolute() ? p : entry.parent_path() / p);
    }
  } else if (fs::is_regular_file(entry, ec)) {
    out.push_back(entry);
  } else {
    AD_THROW(IOError, "'{}': split folder '{}' does not exist", yaml.string(), entry.string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

DetectionDataset DetectionDataset::from_yolo(const fs::path& yaml_or_folder) {
  std::error_code ec;
  fs::path yaml = yaml_or_folder;
  if (fs::is_directory(yaml, ec)) {
    yaml = yaml_or_folder / "data.yaml";
    if (!fs::exists(yaml, ec) && fs::exists(yaml_or_folder / "data.yml", ec)) yaml = yaml_or_folder / "data.yml";
  }
  AD_CHECK_IO(fs::is_regular_file(yaml, ec), "no YOLO dataset at '{}': '{}' does not exist", yaml_or_folder.string(),
              yaml.string());
  YAML::Node doc;
  try {
    doc = YAML::Load(read_text_file(yaml));
  } catch (const YAML::Exception& e) {
    AD_THROW(IOError, "'{}':{}: not valid YAML ({})", yaml.string(), e.mark.line + 1, e.msg);
  }
  AD_CHECK_IO(doc.IsMap(), "'{}': expected a mapping with train/val/names", yaml.string());
  std::vector<std::string> classes;
  try {
    classes = read_names(doc["names"], yaml);
    if (doc["nc"])
      AD_CHECK_IO(doc["nc"].as<int64_t>() == static_cast<int64_t>(classes.size()), "'{}': nc = {} but {} names",
                  yaml.string(), doc["nc"].as<int64_t>(), classes.size());
  } catch (const YAML::Exception& e) {
    AD_THROW(IOError, "'{}': malformed names/nc ({})", yaml.string(), e.msg);
  }
  fs::path root = yaml.parent_path();
  if (doc["path"] && doc["path"].IsScalar()) {
    fs::path p = doc["path"].as<std::string>();
    root = p.is_absolute() ? p : root / p;
  }
  const int64_t nc = static_cast<int64_t>(classes.size());
  std::vector<DatasetImage> images;
  std::set<std::string> seen;
  const std::pair<const char*, const char*> keys[] = {{"train", "train"}, {"val", "valid"}, {"test", "test"}};
  for (const auto& [key, split] : keys) {
    const YAML::Node node = doc[key];
    if (!node || node.IsNull()) continue;
    std::vector<fs::path> entries;
    if (node.IsSequence())
      for (const auto& e : node) entries.push_back(root / e.as<std::string>());
    else
      entries.push_back(root / node.as<std::string>());
    for (const fs::path& entry : entries) {
      const fs::path base = fs::is_directory(entry, ec) ? entry : entry.parent_path();
      for (const fs::path& img : entry_images(entry, yaml)) {
        DatasetImage im;
        im.path = img;
        im.relative_path = detail::relative_generic(img, base);
        if (!seen.insert(std::string(split) + "/" + im.relative_path).second) continue;
        im.split = split;
        std::tie(im.width, im.height) = image_size(img);
        const fs::path label = label_path_for(img);
        if (fs::exists(label, ec)) im.detections = read_label_file(label, im.width, im.height, nc);
        images.push_back(std::move(im));
      }
    }
  }
  DetectionDataset ds(std::move(classes), std::move(images));
  ds.sort();
  return ds;
}

void DetectionDataset::as_yolo(const fs::path& out_dir, ImageTransfer transfer) const {
  validate();
  const bool with_test = std::any_of(images_.begin(), images_.end(), [](const DatasetImage& im) { return im.split == "test"; });
  write_file_atomic(out_dir / "data.yaml", detail::yolo_data_yaml(classes_, with_test));
  std::error_code ec;
  fs::create_directories(out_dir / "train" / "images", ec);
  fs::create_directories(out_dir / "train" / "labels", ec);
  fs::create_directories(out_dir / "valid" / "images", ec);
  fs::create_directories(out_dir / "valid" / "labels", ec);
  for (size_t i : detail::sorted_order(*this)) {
    const DatasetImage& im = images_[i];
    const std::string split = im.split.empty() ? "train" : im.split;
    AD_CHECK(im.width > 0 && im.height > 0, "image '{}' has no size; cannot normalise its boxes", im.relative_path);
    transfer_file(im.path, out_dir / split / "images" / im.relative_path, transfer);
    write_file_atomic(out_dir / split / "labels" / detail::label_relative_path(im.relative_path),
                      detail::yolo_label_text(im.detections, im.width, im.height));
  }
}

}  // namespace autodistill
