#include "autodistill/models/yolo/yolo.h"

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/threads.h"
#include "autodistill/eval/compare.h"
#include "autodistill/io/file_io.h"
#include "autodistill/io/safetensors.h"
#include "autodistill/io/safetensors_torch.h"
#include "autodistill/io/weights_map.h"
#include "yolo_export.h"
#include "yolo_net.h"
#include "yolo_train.h"

namespace autodistill {

struct YOLO::Impl {
  std::shared_ptr<yolo::YoloNet> net;
};

YOLO::YOLO(const std::string& scale, std::vector<std::string> classes, int64_t imgsz)
    : scale_(scale), classes_(std::move(classes)), imgsz_(imgsz), impl_(std::make_unique<Impl>()) {
  AD_CHECK(!classes_.empty(), "YOLO needs at least one class");
  AD_CHECK(imgsz_ >= 32 && imgsz_ % 32 == 0, "YOLO imgsz must be a positive multiple of 32, got {}", imgsz_);
  ensure_threads_configured();
  impl_->net = std::make_shared<yolo::YoloNet>(yolo::scale_from_name(scale_), int64_t(classes_.size()));
}

YOLO::~YOLO() = default;
YOLO::YOLO(YOLO&&) noexcept = default;
YOLO& YOLO::operator=(YOLO&&) noexcept = default;

int64_t YOLO::num_parameters() const {
  int64_t n = 0;
  for (const auto& p : impl_->net->parameters()) n += p.numel();
  return n;
}

namespace {
std::vector<YoloEpoch> convert(const std::vector<yolo::EpochStats>& h) {
  std::vector<YoloEpoch> out;
  for (const auto& s : h) out.push_back({s.epoch, s.box, s.cls, s.dfl, s.map50, s.map});
  return out;
}

DetectionDataset only_split(const DetectionDataset& ds, const std::string& split) {
  std::vector<DatasetImage> images;
  for (const DatasetImage& im : ds.images())
    if (im.split == split) images.push_back(im);
  return DetectionDataset(ds.classes(), std::move(images));
}
}  // namespace

std::vector<YoloEpoch> YOLO::train(const std::filesystem::path& data_yaml, const YoloTrainOptions& options) {
  const DetectionDataset ds = DetectionDataset::from_yolo(data_yaml);
  return train(only_split(ds, "train"), only_split(ds, "valid"), options);
}

std::vector<YoloEpoch> YOLO::train(const DetectionDataset& train_ds, const DetectionDataset& valid,
                                   const YoloTrainOptions& o) {
  AD_CHECK(train_ds.classes() == classes_, "YOLO train: the dataset's classes [{}] are not the model's [{}]",
           fmt::join(train_ds.classes(), ", "), fmt::join(classes_, ", "));
  yolo::TrainOptions t;
  t.epochs = o.epochs;
  t.imgsz = o.imgsz;
  t.batch = o.batch;
  t.lr = o.lr;
  t.weight_decay = o.weight_decay;
  t.warmup_steps = o.warmup_steps;
  t.seed = o.seed;
  t.hflip = o.hflip;
  imgsz_ = o.imgsz;
  return convert(yolo::train(*impl_->net, train_ds, valid, t));
}

std::vector<Detections> YOLO::predict_batch(const std::vector<cv::Mat>& images, float confidence, float iou) {
  if (images.empty()) return {};
  return yolo::predict(*impl_->net, images, imgsz_, confidence, iou);
}

Detections YOLO::predict(const cv::Mat& image, float confidence, float iou) {
  return predict_batch({image}, confidence, iou).front();
}

EvaluationReport YOLO::evaluate(const DetectionDataset& truth, const std::string& split, const EvaluateOptions& options) {
  // mAP ranks every prediction, so predict with a low threshold as validation does.
  const DetectionDataset predictions = predict_dataset(
      [this](const std::vector<cv::Mat>& images) { return predict_batch(images, 0.001f, 0.7f); }, classes_, truth,
      split);
  return autodistill::evaluate(predictions, split.empty() ? truth : only_split(truth, split), options);
}

void YOLO::save(const std::filesystem::path& path) const {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& p : impl_->net->named_parameters()) tensors.emplace_back(p.key(), p.value().detach());
  for (const auto& b : impl_->net->named_buffers()) tensors.emplace_back(b.key(), b.value());
  const nlohmann::json meta = {{"format", "autodistill-cpp yolo 1"}, {"scale", scale_}, {"classes", classes_},
                               {"imgsz", imgsz_}};
  // Written next to the target and renamed: an interrupted save never leaves a broken checkpoint.
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  save_safetensors(tmp, tensors, {{"autodistill", meta.dump()}});
  std::filesystem::rename(tmp, path);
}

YOLO YOLO::load(const std::filesystem::path& path) {
  const SafetensorsFile file = SafetensorsFile::open(path);
  const auto it = file.metadata().find("autodistill");
  AD_CHECK_IO(it != file.metadata().end(), "'{}' is not an autodistill-cpp YOLO checkpoint (no 'autodistill' metadata)",
              path.string());
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    AD_THROW(IOError, "'{}': unreadable checkpoint metadata ({})", path.string(), e.what());
  }
  YOLO model(meta.at("scale").get<std::string>(), meta.at("classes").get<std::vector<std::string>>(),
             meta.at("imgsz").get<int64_t>());
  load_state_dict(*model.impl_->net, file);
  model.impl_->net->eval();
  return model;
}

void YOLO::export_torchscript(const std::filesystem::path& path) const {
  yolo::save_torchscript(*impl_->net, {scale_, classes_, imgsz_}, path);
}

}  // namespace autodistill
