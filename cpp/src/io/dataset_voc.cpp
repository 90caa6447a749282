// Pascal VOC: one xml per image (filename, size, objects with name, difficult and bndbox).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "autodistill/core/error.h"
#include "autodistill/io/dataset.h"
#include "autodistill/io/file_io.h"
#include "dataset_util.h"

namespace autodistill {
namespace fs = std::filesystem;

namespace {
double number_of(const pugi::xml_node& parent, const char* name, const fs::path& file) {
  const pugi::xml_node n = parent.child(name);
  AD_CHECK_IO(n, "{}: <{}> is missing in <{}> (byte {})", file.string(), name, parent.name(), parent.offset_debug());
  const std::string text = n.text().as_string();
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  AD_CHECK_IO(!text.empty() && end && *end == '\0' && std::isfinite(v), "{}: <{}> is not a number: '{}' (byte {})",
              file.string(), name, text, n.offset_debug());
  return v;
}
}  // namespace

DetectionDataset DetectionDataset::from_pascal_voc(const fs::path& images_dir, const fs::path& annotations_dir,
                                                   std::vector<std::string> classes) {
  std::error_code ec;
  AD_CHECK_IO(fs::is_directory(annotations_dir, ec), "VOC annotations folder '{}' does not exist",
              annotations_dir.string());
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(annotations_dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec) && it->path().extension() == ".xml") files.push_back(it->path());
  std::sort(files.begin(), files.end());
  const bool fixed_classes = !classes.empty();
  std::vector<DatasetImage> images;
  for (const fs::path& file : files) {
    pugi::xml_document doc;
    const std::string text = read_text_file(file);
    const pugi::xml_parse_result res = doc.load_buffer(text.data(), text.size());
    if (!res) {
      const auto line = std::count(text.begin(), text.begin() + std::min<ptrdiff_t>(res.offset, text.size()), '\n') + 1;
      AD_THROW(IOError, "{}:{}: malformed XML ({})", file.string(), line, res.description());
    }
    const pugi::xml_node ann = doc.child("annotation");
    AD_CHECK_IO(ann, "{}: no <annotation> root element", file.string());
    DatasetImage im;
    // The image name: <filename>, placed like the xml relative to the annotations folder.
    const fs::path rel_xml = file.lexically_relative(annotations_dir);
    std::string filename = ann.child("filename").text().as_string();
    AD_CHECK_IO(!filename.empty(), "{}: <filename> is missing", file.string());
    fs::path rel = rel_xml.parent_path() / fs::path(filename).filename();
    if (filename.find('/') != std::string::npos) rel = fs::path(filename);
    im.relative_path = rel.generic_string();
    im.path = images_dir / rel;
    const pugi::xml_node size = ann.child("size");
    AD_CHECK_IO(size, "{}: <size> is missing", file.string());
    im.width = static_cast<int>(number_of(size, "width", file));
    im.height = static_cast<int>(number_of(size, "height", file));
    std::vector<std::array<float, 4>> boxes;
    std::vector<int64_t> ids, difficult;
    for (pugi::xml_node obj : ann.children("object")) {
      const std::string name = obj.child("name").text().as_string();
      AD_CHECK_IO(!name.empty(), "{}: an <object> has no <name> (byte {})", file.string(), obj.offset_debug());
      auto it = std::find(classes.begin(), classes.end(), name);
      if (it == classes.end()) {
        AD_CHECK_IO(!fixed_classes, "{}: class '{}' is not one of the given classes", file.string(), name);
        classes.push_back(name);
        it = classes.end() - 1;
      }
      const pugi::xml_node bb = obj.child("bndbox");
      AD_CHECK_IO(bb, "{}: object '{}' has no <bndbox> (byte {})", file.string(), name, obj.offset_debug());
      boxes.push_back({float(number_of(bb, "xmin", file)), float(number_of(bb, "ymin", file)),
                       float(number_of(bb, "xmax", file)), float(number_of(bb, "ymax", file))});
      ids.push_back(it - classes.begin());
      difficult.push_back(obj.child("difficult").text().as_int(0));
    }
    const auto n = static_cast<Eigen::Index>(ids.size());
    BoxArray xyxy(n, 4);
    ClassIdArray cid(n);
    for (Eigen::Index k = 0; k < n; ++k) {
      for (int c = 0; c < 4; ++c) xyxy(k, c) = boxes[k][c];
      cid[k] = ids[k];
    }
    im.detections = Detections(std::move(xyxy), ScoreArray::Ones(n), std::move(cid), std::nullopt,
                               DataColumns{{"difficult", difficult}});
    images.push_back(std::move(im));
  }
  DetectionDataset ds(std::move(classes), std::move(images));
  ds.sort();
  return ds;
}

void DetectionDataset::as_pascal_voc(const fs::path& annotations_dir, const fs::path& images_dir,
                                     ImageTransfer transfer) const {
  validate();
  std::error_code ec;
  fs::create_directories(annotations_dir, ec);
  for (size_t i : detail::sorted_order(*this)) {
    const DatasetImage& im = images_[i];
    if (!images_dir.empty()) transfer_file(im.path, images_dir / im.relative_path, transfer);
    pugi::xml_document doc;
    pugi::xml_node ann = doc.append_child("annotation");
    ann.append_child("filename").text().set(fs::path(im.relative_path).filename().string().c_str());
    ann.append_child("path").text().set(im.path.string().c_str());
    pugi::xml_node size = ann.append_child("size");
    size.append_child("width").text().set(im.width);
    size.append_child("height").text().set(im.height);
    size.append_child("depth").text().set(3);
    const Detections& d = im.detections;
    const std::vector<int64_t>* difficult = nullptr;
    if (auto it = d.data().find("difficult"); it != d.data().end())
      difficult = std::get_if<std::vector<int64_t>>(&it->second);
    for (int64_t k = 0; k < d.size(); ++k) {
      pugi::xml_node obj = ann.append_child("object");
      obj.append_child("name").text().set(classes_[d.class_id()[k]].c_str());
      obj.append_child("difficult").text().set(difficult ? static_cast<int>((*difficult)[k]) : 0);
      pugi::xml_node bb = obj.append_child("bndbox");
      const char* names[] = {"xmin", "ymin", "xmax", "ymax"};
      for (int c = 0; c < 4; ++c) bb.append_child(names[c]).text().set(fmt::format("{}", d.xyxy()(k, c)).c_str());
    }
    std::ostringstream out;
    doc.save(out, "  ");
    write_file_atomic(annotations_dir / fs::path(im.relative_path).replace_extension(".xml"), out.str());
  }
}

}  // namespace autodistill
