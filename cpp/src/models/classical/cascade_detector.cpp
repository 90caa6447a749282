#include "autodistill/models/classical/cascade_detector.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "autodistill/core/error.h"
#include "autodistill/models/options.h"
#include "autodistill/models/registry.h"
#include "prompt_text.h"

namespace autodistill {
namespace fs = std::filesystem;
namespace {
// Neighbour count that maps to confidence 0.5 (see the header).
constexpr double kHalfConfidenceNeighbours = 10.0;
constexpr const char* kDebianCascadeDir = "/usr/share/opencv4";
constexpr int kDefaultMinNeighbours = 3;

struct LoadedCascade {
  fs::path file;
  cv::CascadeClassifier classifier;
  int min_neighbors = kDefaultMinNeighbours;
  std::vector<int64_t> class_ids;  // distinct classes of the prompts that use this file
};
}  // namespace

struct CascadeDetector::Impl {
  std::vector<LoadedCascade> cascades;
};

void CascadeDetector::Options::validate() const {
  AD_CHECK(std::isfinite(scale_factor) && scale_factor > 1.0, "cascade: scale_factor must be > 1, got {}",
           scale_factor);
  AD_CHECK(min_neighbors >= 0, "cascade: min_neighbors must be >= 1, or 0 for each cascade's default; got {}",
           min_neighbors);
  AD_CHECK(min_size >= 1, "cascade: min_size must be >= 1 pixel, got {}", min_size);
  AD_CHECK(max_size == 0 || max_size >= min_size, "cascade: max_size must be 0 (no limit) or >= min_size ({}), got {}",
           min_size, max_size);
  AD_CHECK(confidence >= 0.f && confidence < 1.f, "cascade: confidence must be in [0, 1), got {}", confidence);
  AD_CHECK(nms_iou > 0.f && nms_iou <= 1.f, "cascade: nms_iou must be in (0, 1], got {}", nms_iou);
  for (const auto& [prompt, file] : cascades) {
    AD_CHECK(!classical::normalize_prompt(prompt).empty(), "cascade: the 'cascades' option has an empty prompt");
    AD_CHECK(!file.empty(), "cascade: the 'cascades' option gives prompt '{}' an empty file name", prompt);
  }
}

const std::vector<CascadeDetector::BuiltinCascade>& CascadeDetector::builtin_cascades() {
  static const std::vector<BuiltinCascade> table = {
      {"face", "haarcascades/haarcascade_frontalface_default.xml", 3},
      {"frontal face", "haarcascades/haarcascade_frontalface_default.xml", 3},
      {"profile face", "haarcascades/haarcascade_profileface.xml", 3},
      {"cat face", "haarcascades/haarcascade_frontalcatface.xml", 3},
      {"full body", "haarcascades/haarcascade_fullbody.xml", 3},
      {"upper body", "haarcascades/haarcascade_upperbody.xml", 3},
      {"lower body", "haarcascades/haarcascade_lowerbody.xml", 3},
      {"eye", "haarcascades/haarcascade_eye.xml", 3},
      {"eyes", "haarcascades/haarcascade_eye.xml", 3},
      // Fires on many mouth-like textures: OpenCV's smile sample asks for ~20 neighbours.
      {"smile", "haarcascades/haarcascade_smile.xml", 20},
      {"licence plate", "haarcascades/haarcascade_russian_plate_number.xml", 3},
      {"license plate", "haarcascades/haarcascade_russian_plate_number.xml", 3},
      {"silverware", "lbpcascades/lbpcascade_silverware.xml", 3},
  };
  return table;
}

std::vector<std::string> CascadeDetector::supported_prompts() {
  std::vector<std::string> prompts;
  for (const auto& b : builtin_cascades()) prompts.push_back(b.prompt);
  return prompts;
}

fs::path CascadeDetector::default_cascade_dir() {
  const char* env = std::getenv("AUTODISTILL_CASCADE_DIR");
  if (env != nullptr && *env != '\0') return env;
  return kDebianCascadeDir;
}

CascadeDetector::CascadeDetector(CaptionOntology ontology) : CascadeDetector(std::move(ontology), Options{}) {}

CascadeDetector::CascadeDetector(CaptionOntology ontology, Options options)
    : BaseModel(std::move(ontology)), options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  options_.validate();
  const fs::path dir = options_.cascade_dir.empty() ? default_cascade_dir() : fs::path(options_.cascade_dir);
  const CaptionOntology& onto = this->ontology();

  // User cascades by normalised prompt; each must name an ontology prompt (a typo must not pass).
  std::map<std::string, std::string> user;
  for (const auto& [prompt, file] : options_.cascades) {
    const std::string key = classical::normalize_prompt(prompt);
    const bool in_ontology = std::any_of(onto.prompts().begin(), onto.prompts().end(), [&](const std::string& p) {
      return classical::normalize_prompt(p) == key;
    });
    AD_CHECK(in_ontology, "cascade: the 'cascades' option names prompt '{}', which is not in the ontology (prompts: {})",
             prompt, classical::join_quoted(onto.prompts()));
    user[key] = file;
  }

  for (size_t i = 0; i < onto.size(); ++i) {
    const std::string& prompt = onto.prompts()[i];
    const std::string key = classical::normalize_prompt(prompt);
    fs::path file;
    bool builtin = false;
    int min_neighbors = kDefaultMinNeighbours;
    if (auto it = user.find(key); it != user.end()) {
      file = it->second;
      if (file.is_relative() && !fs::exists(file)) file = dir / file;
    } else {
      const auto& table = builtin_cascades();
      auto b = std::find_if(table.begin(), table.end(), [&](const BuiltinCascade& e) { return e.prompt == key; });
      if (b == table.end()) {
        std::vector<std::string> supported = supported_prompts();
        for (const auto& [p, f] : user) supported.push_back(p);
        AD_THROW(InvalidArgument,
                 "cascade: prompt '{}' is not supported; supported prompts: {} (or add a cascade file for it "
                 "with the 'cascades' option)",
                 prompt, classical::join_quoted(supported));
      }
      file = dir / b->file;
      min_neighbors = b->min_neighbors;
      builtin = true;
    }
    if (!fs::is_regular_file(file)) {
      if (builtin) {
        AD_THROW(IOError,
                 "cascade: cascade file '{}' for prompt '{}' not found{}. The built-in cascades come with the "
                 "Debian/Ubuntu package opencv-data (apt install opencv-data); or point the 'cascade_dir' option "
                 "or AUTODISTILL_CASCADE_DIR at a folder holding haarcascades/ and lbpcascades/",
                 file.string(), prompt,
                 fs::is_directory(dir) ? "" : fmt::format(" (the cascade folder '{}' does not exist)", dir.string()));
      }
      AD_THROW(IOError, "cascade: cascade file '{}' for prompt '{}' (from the 'cascades' option) not found",
               file.string(), prompt);
    }
    prompt_files_.push_back(file);

    const int64_t class_id = onto.prompt_class_id(i);
    auto loaded = std::find_if(impl_->cascades.begin(), impl_->cascades.end(),
                               [&](const LoadedCascade& c) { return fs::equivalent(c.file, file); });
    if (loaded == impl_->cascades.end()) {
      LoadedCascade c;
      c.file = file;
      c.min_neighbors = options_.min_neighbors > 0 ? options_.min_neighbors : min_neighbors;
      bool ok = false;
      try {
        ok = c.classifier.load(file.string());
      } catch (const cv::Exception& e) {
        AD_THROW(IOError, "cascade: could not load cascade file '{}' for prompt '{}': {}", file.string(), prompt,
                 e.what());
      }
      AD_CHECK_IO(ok && !c.classifier.empty(),
                  "cascade: could not load cascade file '{}' for prompt '{}' (not an OpenCV cascade XML?)",
                  file.string(), prompt);
      impl_->cascades.push_back(std::move(c));
      loaded = impl_->cascades.end() - 1;
    }
    if (std::find(loaded->class_ids.begin(), loaded->class_ids.end(), class_id) == loaded->class_ids.end())
      loaded->class_ids.push_back(class_id);
  }
}

CascadeDetector::~CascadeDetector() = default;

Detections CascadeDetector::predict(const cv::Mat& image) {
  check_image(image);
  cv::Mat gray;
  cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
  if (options_.equalize) cv::equalizeHist(gray, gray);
  const cv::Size min_size(options_.min_size, options_.min_size);
  const cv::Size max_size = options_.max_size > 0 ? cv::Size(options_.max_size, options_.max_size) : cv::Size();

  std::vector<std::array<float, 4>> boxes;
  std::vector<float> scores;
  std::vector<int64_t> ids;
  for (LoadedCascade& c : impl_->cascades) {
    std::vector<cv::Rect> found;
    std::vector<int> neighbours;
    c.classifier.detectMultiScale(gray, found, neighbours, options_.scale_factor, c.min_neighbors, 0, min_size,
                                  max_size);
    for (size_t i = 0; i < found.size(); ++i) {
      const double n = i < neighbours.size() ? std::max(neighbours[i], 1) : 1.0;
      const float conf = float(n / (n + kHalfConfidenceNeighbours));
      if (conf < options_.confidence) continue;
      const cv::Rect r = found[i] & cv::Rect(0, 0, image.cols, image.rows);
      if (r.empty()) continue;
      for (int64_t id : c.class_ids) {
        boxes.push_back({float(r.x), float(r.y), float(r.x + r.width), float(r.y + r.height)});
        scores.push_back(conf);
        ids.push_back(id);
      }
    }
  }

  const Eigen::Index n = Eigen::Index(boxes.size());
  BoxArray xyxy(n, 4);
  ScoreArray confidence(n);
  ClassIdArray class_id(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (int j = 0; j < 4; ++j) xyxy(i, j) = boxes[size_t(i)][size_t(j)];
    confidence(i) = scores[size_t(i)];
    class_id(i) = ids[size_t(i)];
  }
  return Detections(std::move(xyxy), std::move(confidence), std::move(class_id)).with_nms(options_.nms_iou);
}

namespace {
ModelInfo make_cascade_info() {
  const CascadeDetector::Options d;
  nlohmann::ordered_json defaults = {{"cascade_dir", d.cascade_dir},
                                     {"cascades", nlohmann::ordered_json::object()},
                                     {"scale_factor", d.scale_factor},
                                     {"min_neighbors", d.min_neighbors},
                                     {"min_size", d.min_size},
                                     {"max_size", d.max_size},
                                     {"equalize", d.equalize},
                                     {"confidence", d.confidence},
                                     {"nms_iou", d.nms_iou}};
  ModelInfo info;
  info.name = "cascade";
  info.description =
      "OpenCV Haar/LBP cascades (faces, eyes, bodies, cat faces, licence plates; offline, CPU). Cascade folder: "
      "option cascade_dir, else $AUTODISTILL_CASCADE_DIR, else /usr/share/opencv4 (package opencv-data). "
      "Confidence n/(n+10) of the neighbour count n: a ranking score, not a calibrated probability.";
  info.supported_prompts = CascadeDetector::supported_prompts();
  info.default_options_json = defaults.dump();
  info.factory = [](const ModelOptions& options) -> std::shared_ptr<BaseModel> {
    OptionReader r(options, "cascade");
    CaptionOntology ontology = r.ontology();
    CascadeDetector::Options o;
    o.cascade_dir = r.get("cascade_dir", o.cascade_dir);
    o.cascades = r.get("cascades", o.cascades);
    o.scale_factor = r.get("scale_factor", o.scale_factor);
    o.min_neighbors = r.get("min_neighbors", o.min_neighbors);
    o.min_size = r.get("min_size", o.min_size);
    o.max_size = r.get("max_size", o.max_size);
    o.equalize = r.get("equalize", o.equalize);
    o.confidence = r.get("confidence", o.confidence);
    o.nms_iou = r.get("nms_iou", o.nms_iou);
    r.finish();
    return std::make_shared<CascadeDetector>(std::move(ontology), std::move(o));
  };
  return info;
}
}  // namespace

AD_REGISTER_BASE_MODEL(cascade, &make_cascade_info);

}  // namespace autodistill
