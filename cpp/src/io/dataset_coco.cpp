// COCO json: images, annotations (bbox xywh), categories.
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/logging.h"
#include "autodistill/io/dataset.h"
#include "autodistill/io/file_io.h"
#include "dataset_util.h"

namespace autodistill {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {
template <typename T>
T get_field(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  AD_CHECK_IO(it != obj.end(), "{}: missing '{}'", where, key);
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    AD_THROW(IOError, "{}: '{}' has the wrong type (got {})", where, key, it->dump());
  }
}
}  // namespace

json detail::coco_document(const DetectionDataset& ds, bool with_split_prefix) {
  json doc = json::object();
  doc["info"] = {{"description", "written by autodistill-cpp"}};
  json categories = json::array();
  for (size_t c = 0; c < ds.classes().size(); ++c) {
    const int64_t id = ds.coco_category_ids().empty() ? static_cast<int64_t>(c) : ds.coco_category_ids()[c];
    categories.push_back({{"id", id}, {"name", ds.classes()[c]}, {"supercategory", "none"}});
  }
  json images = json::array(), annotations = json::array();
  int64_t ann_id = 1, image_id = 1;
  for (size_t i : sorted_order(ds)) {
    const DatasetImage& im = ds.images()[i];
    std::string file_name = im.relative_path;
    if (with_split_prefix) file_name = (im.split.empty() ? "train" : im.split) + "/images/" + file_name;
    images.push_back({{"id", image_id}, {"file_name", file_name}, {"width", im.width}, {"height", im.height}});
    const Detections& d = im.detections;
    const std::vector<int64_t>* crowd = nullptr;
    if (auto it = d.data().find("iscrowd"); it != d.data().end()) crowd = std::get_if<std::vector<int64_t>>(&it->second);
    for (int64_t k = 0; k < d.size(); ++k) {
      const double x1 = clean_number(d.xyxy()(k, 0)), y1 = clean_number(d.xyxy()(k, 1));
      const double w = clean_number(d.xyxy()(k, 2) - d.xyxy()(k, 0)), h = clean_number(d.xyxy()(k, 3) - d.xyxy()(k, 1));
      const int64_t c = d.class_id()[k];
      json a = {{"id", ann_id++},
                {"image_id", image_id},
                {"category_id", ds.coco_category_ids().empty() ? c : ds.coco_category_ids()[c]},
                {"bbox", {x1, y1, w, h}},
                {"area", clean_number(static_cast<float>(w * h))},
                {"iscrowd", crowd ? (*crowd)[k] : 0},
                {"segmentation", json::array()}};
      if (ds.has_scores()) a["score"] = clean_number(d.confidence()[k]);
      annotations.push_back(std::move(a));
    }
    ++image_id;
  }
  doc["images"] = std::move(images);
  doc["annotations"] = std::move(annotations);
  doc["categories"] = std::move(categories);
  return doc;
}

namespace {

json parse_json_file(const fs::path& path) {
  try {
    return json::parse(read_text_file(path));
  } catch (const json::parse_error& e) {
    AD_THROW(IOError, "'{}': not valid JSON ({})", path.string(), e.what());
  }
}

// `doc` is a COCO document; `where` names it in messages and `where_annotations` its annotations
// (another file when they are a results list).
DetectionDataset dataset_from_coco_document(const json& doc, const fs::path& images_dir, const std::string& where,
                                            const std::string& where_annotations);

}  // namespace

DetectionDataset DetectionDataset::from_coco(const fs::path& images_dir, const fs::path& json_path) {
  std::error_code ec;
  AD_CHECK_IO(fs::is_directory(images_dir, ec), "COCO images folder '{}' does not exist", images_dir.string());
  const json doc = parse_json_file(json_path);
  return dataset_from_coco_document(doc, images_dir, json_path.string(), json_path.string());
}

DetectionDataset DetectionDataset::from_coco_results(const fs::path& images_dir, const fs::path& ground_truth_json,
                                                     const fs::path& results_json) {
  std::error_code ec;
  AD_CHECK_IO(fs::is_directory(images_dir, ec), "COCO images folder '{}' does not exist", images_dir.string());
  json doc = parse_json_file(ground_truth_json);
  json results = parse_json_file(results_json);
  AD_CHECK_IO(results.is_array(), "'{}': a COCO results file is a list of {{image_id, category_id, bbox, score}}",
              results_json.string());
  std::set<int64_t> categories;
  if (doc.is_object() && doc.contains("categories") && doc["categories"].is_array())
    for (const json& c : doc["categories"])
      if (c.is_object() && c.contains("id") && c["id"].is_number_integer()) categories.insert(c["id"].get<int64_t>());
  json kept = json::array();
  size_t unknown_category = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const json& r = results[i];
    AD_CHECK_IO(r.is_object() && r.contains("score"), "'{}' [{}]: a result needs a 'score'", results_json.string(), i);
    // As pycocotools: a result of a category the ground truth does not list is not evaluated.
    if (r.contains("category_id") && r["category_id"].is_number_integer() &&
        !categories.count(r["category_id"].get<int64_t>())) {
      ++unknown_category;
      continue;
    }
    kept.push_back(r);
  }
  if (unknown_category)
    log_warning("'{}': {} results have a category_id that '{}' does not list; they are not evaluated",
                results_json.string(), unknown_category, ground_truth_json.string());
  results = std::move(kept);
  // The ground truth's images and categories with the results as annotations: one parser for both.
  AD_CHECK_IO(doc.is_object(), "'{}': expected a COCO object", ground_truth_json.string());
  doc["annotations"] = std::move(results);
  DetectionDataset ds = dataset_from_coco_document(doc, images_dir, ground_truth_json.string(), results_json.string());
  ds.set_has_scores(true);
  return ds;
}

namespace {

DetectionDataset dataset_from_coco_document(const json& doc, const fs::path& images_dir, const std::string& where,
                                            const std::string& where_annotations) {
  AD_CHECK_IO(doc.is_object() && doc.contains("images") && doc.contains("categories"),
              "'{}': expected an object with 'images', 'annotations' and 'categories'", where);
  std::vector<std::string> classes;
  std::vector<int64_t> category_ids;
  std::map<int64_t, int64_t> class_of_category;
  for (size_t i = 0; i < doc["categories"].size(); ++i) {
    const json& c = doc["categories"][i];
    const std::string w = fmt::format("'{}' categories[{}]", where, i);
    const auto id = get_field<int64_t>(c, "id", w);
    AD_CHECK_IO(class_of_category.emplace(id, static_cast<int64_t>(classes.size())).second, "{}: duplicate id {}", w, id);
    classes.push_back(get_field<std::string>(c, "name", w));
    category_ids.push_back(id);
  }
  std::map<int64_t, size_t> index_of_image;
  std::vector<DatasetImage> images;
  for (size_t i = 0; i < doc["images"].size(); ++i) {
    const json& j = doc["images"][i];
    const std::string w = fmt::format("'{}' images[{}]", where, i);
    DatasetImage im;
    im.relative_path = fs::path(get_field<std::string>(j, "file_name", w)).generic_string();
    im.path = images_dir / im.relative_path;
    im.width = get_field<int>(j, "width", w);
    im.height = get_field<int>(j, "height", w);
    AD_CHECK_IO(index_of_image.emplace(get_field<int64_t>(j, "id", w), images.size()).second, "{}: duplicate id", w);
    images.push_back(std::move(im));
  }
  struct Rows {
    std::vector<std::array<float, 4>> boxes;
    std::vector<float> scores;
    std::vector<int64_t> ids, crowd;
  };
  std::vector<Rows> rows(images.size());
  bool any_score = false;
  const json empty = json::array();
  const json& anns = doc.contains("annotations") ? doc["annotations"] : empty;
  for (size_t i = 0; i < anns.size(); ++i) {
    const json& a = anns[i];
    const std::string w = fmt::format("'{}' annotations[{}]", where_annotations, i);
    const auto img = index_of_image.find(get_field<int64_t>(a, "image_id", w));
    AD_CHECK_IO(img != index_of_image.end(), "{}: image_id {} is not in images", w, a["image_id"].dump());
    const auto cat = class_of_category.find(get_field<int64_t>(a, "category_id", w));
    AD_CHECK_IO(cat != class_of_category.end(), "{}: category_id {} is not in categories", w, a["category_id"].dump());
    const auto bbox = get_field<std::vector<double>>(a, "bbox", w);
    AD_CHECK_IO(bbox.size() == 4, "{}: bbox must have 4 numbers, got {}", w, bbox.size());
    Rows& r = rows[img->second];
    r.boxes.push_back({float(bbox[0]), float(bbox[1]), float(bbox[0] + bbox[2]), float(bbox[1] + bbox[3])});
    r.ids.push_back(cat->second);
    r.crowd.push_back(a.contains("iscrowd") ? get_field<int64_t>(a, "iscrowd", w) : 0);
    if (a.contains("score")) any_score = true;
    r.scores.push_back(a.contains("score") ? get_field<float>(a, "score", w) : 1.f);
  }
  for (size_t i = 0; i < images.size(); ++i) {
    const Rows& r = rows[i];
    const auto n = static_cast<Eigen::Index>(r.ids.size());
    BoxArray xyxy(n, 4);
    ScoreArray conf(n);
    ClassIdArray cid(n);
    for (Eigen::Index k = 0; k < n; ++k) {
      for (int c = 0; c < 4; ++c) xyxy(k, c) = r.boxes[k][c];
      conf[k] = r.scores[k];
      cid[k] = r.ids[k];
    }
    images[i].detections = Detections(std::move(xyxy), std::move(conf), std::move(cid), std::nullopt,
                                      DataColumns{{"iscrowd", r.crowd}});
  }
  DetectionDataset ds(std::move(classes), std::move(images));
  ds.set_coco_category_ids(std::move(category_ids));
  ds.set_has_scores(any_score);
  ds.sort();
  return ds;
}

}  // namespace

void DetectionDataset::as_coco(const fs::path& json_path, const fs::path& images_dir, ImageTransfer transfer) const {
  validate();
  if (!images_dir.empty())
    for (size_t i : detail::sorted_order(*this))
      transfer_file(images_[i].path, images_dir / images_[i].relative_path, transfer);
  write_file_atomic(json_path, detail::coco_document(*this, false).dump(2) + "\n");
}

}  // namespace autodistill
