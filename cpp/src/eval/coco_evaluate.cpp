#include "autodistill/eval/coco_evaluate.h"

#include <cctype>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/logging.h"
#include "autodistill/io/file_io.h"
#include "coco_engine.h"

namespace autodistill {

namespace {

using json = nlohmann::json;

struct Source {
  json value;
  std::string name;  // for messages
};

Source load(const std::string& text_or_path, const char* what) {
  size_t i = 0;
  while (i < text_or_path.size() && std::isspace(static_cast<unsigned char>(text_or_path[i]))) ++i;
  const bool is_text = i < text_or_path.size() && (text_or_path[i] == '{' || text_or_path[i] == '[');
  Source s;
  s.name = is_text ? fmt::format("{} json text", what) : fmt::format("{} file {}", what, text_or_path);
  const std::string text = is_text ? text_or_path : read_text_file(text_or_path);
  try {
    s.value = json::parse(text);
  } catch (const json::parse_error& e) {
    AD_THROW(InvalidArgument, "{}: not valid json: {}", s.name, e.what());
  }
  return s;
}

int64_t get_id(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  AD_CHECK(it != obj.end(), "{}: missing \"{}\"", where, key);
  AD_CHECK(it->is_number(), "{}: \"{}\" must be a number, got {}", where, key, it->dump());
  const double v = it->get<double>();
  AD_CHECK(it->is_number_integer() || v == std::floor(v), "{}: \"{}\" must be an integer, got {}", where, key,
           it->dump());
  return it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(v);
}

double get_number(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  AD_CHECK(it != obj.end(), "{}: missing \"{}\"", where, key);
  AD_CHECK(it->is_number(), "{}: \"{}\" must be a number, got {}", where, key, it->dump());
  return it->get<double>();
}

std::array<double, 4> get_bbox(const json& obj, const std::string& where) {
  auto it = obj.find("bbox");
  AD_CHECK(it != obj.end(), "{}: missing \"bbox\" (only bbox evaluation is supported)", where);
  AD_CHECK(it->is_array() && it->size() == 4, "{}: \"bbox\" must be [x, y, width, height], got {}", where,
           it->dump());
  std::array<double, 4> b{};
  for (size_t i = 0; i < 4; ++i) {
    AD_CHECK((*it)[i].is_number(), "{}: \"bbox\" must hold numbers, got {}", where, it->dump());
    b[i] = (*it)[i].get<double>();
  }
  return b;
}

const json& get_list(const json& obj, const char* key, const std::string& where) {
  static const json kEmpty = json::array();
  auto it = obj.find(key);
  if (it == obj.end()) return kEmpty;
  AD_CHECK(it->is_array(), "{}: \"{}\" must be a list, got {}", where, key, it->type_name());
  return *it;
}

}  // namespace

MeanAveragePrecisionResult coco_evaluate_detailed(const std::string& ground_truth, const std::string& results,
                                                  ApMethod ap_method, std::array<int64_t, 3> max_detections) {
  MeanAveragePrecisionOptions{0, ap_method, max_detections}.check();
  const Source gt = load(ground_truth, "COCO ground truth");
  const Source dt = load(results, "COCO results");
  AD_CHECK(gt.value.is_object(), "{}: expected an object with \"images\", \"annotations\", \"categories\", got {}",
           gt.name, gt.value.type_name());
  AD_CHECK(dt.value.is_array(), "{}: expected a list of {{image_id, category_id, bbox, score}}, got {}", dt.name,
           dt.value.type_name());

  eval_detail::EngineInput in;
  std::set<int64_t> images, categories;
  const json& gt_images = get_list(gt.value, "images", gt.name);
  for (size_t i = 0; i < gt_images.size(); ++i)
    images.insert(get_id(gt_images[i], "id", fmt::format("{}: images[{}]", gt.name, i)));
  const json& gt_cats = get_list(gt.value, "categories", gt.name);
  for (size_t i = 0; i < gt_cats.size(); ++i)
    categories.insert(get_id(gt_cats[i], "id", fmt::format("{}: categories[{}]", gt.name, i)));
  in.image_ids.assign(images.begin(), images.end());
  in.category_ids.assign(categories.begin(), categories.end());
  // pycocotools filters annotations by category only when the category list is non-empty.
  auto category_used = [&](int64_t c) { return categories.empty() || categories.count(c) > 0; };

  EvalInputReport report;
  int64_t zero_ids = 0;
  const json& anns = get_list(gt.value, "annotations", gt.name);
  for (size_t i = 0; i < anns.size(); ++i) {
    const std::string where = fmt::format("{}: annotations[{}]", gt.name, i);
    const json& a = anns[i];
    AD_CHECK(a.is_object(), "{}: expected an object, got {}", where, a.type_name());
    const int64_t image = get_id(a, "image_id", where), cat = get_id(a, "category_id", where);
    const auto b = get_bbox(a, where);
    eval_detail::TruthBox t{};
    t.x = b[0];
    t.y = b[1];
    t.w = b[2];
    t.h = b[3];
    t.area = a.contains("area") ? get_number(a, "area", where) : b[2] * b[3];
    if (a.contains("iscrowd")) {
      const json& c = a["iscrowd"];
      t.crowd = c.is_boolean() ? c.get<bool>() : get_number(a, "iscrowd", where) != 0;
    }
    t.id_is_zero = a.contains("id") && a["id"].is_number() && a["id"].get<double>() == 0;
    if (!images.count(image) || !category_used(cat)) continue;
    zero_ids += t.id_is_zero;
    ++report.truths;
    in.cells[{image, cat}].truth.push_back(t);
  }
  int64_t unknown_category = 0;
  for (size_t i = 0; i < dt.value.size(); ++i) {
    const std::string where = fmt::format("{}: [{}]", dt.name, i);
    const json& r = dt.value[i];
    AD_CHECK(r.is_object(), "{}: expected an object, got {}", where, r.type_name());
    const int64_t image = get_id(r, "image_id", where), cat = get_id(r, "category_id", where);
    AD_CHECK(images.count(image), "{}: image_id {} is not an image of the ground truth (pycocotools: \"Results do "
             "not correspond to current coco set\")", where, image);
    const auto b = get_bbox(r, where);
    const double score = get_number(r, "score", where);
    if (!category_used(cat)) {
      ++unknown_category;
      continue;
    }
    ++report.predictions;
    in.cells[{image, cat}].preds.push_back(eval_detail::PredBox{b[0], b[1], b[2], b[3], b[2] * b[3], score});
  }
  if (zero_ids)
    log_warning("coco_evaluate: {} ground-truth annotations have id 0; as in pycocotools, detections matched to "
                "them count as false positives (renumber the annotations to avoid this)",
                zero_ids);
  if (unknown_category)
    log_info("coco_evaluate: {} results have a category_id not in the ground truth's categories and are not "
             "evaluated", unknown_category);
  report.images = static_cast<int64_t>(images.size());
  MeanAveragePrecisionResult res = eval_detail::run_engine(in, ap_method, max_detections);
  res.input = report;
  return res;
}

CocoStats coco_evaluate(const std::string& ground_truth, const std::string& results) {
  return coco_evaluate_detailed(ground_truth, results).stats;
}

}  // namespace autodistill
