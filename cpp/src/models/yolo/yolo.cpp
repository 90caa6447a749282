#include "autodistill/models/yolo/yolo.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/threads.h"
#include "../common/runtime.h"
#include "yolo_checkpoint.h"
#include "yolo_export.h"
#include "yolo_net.h"
#include "yolo_train.h"

namespace autodistill {

struct YOLO::Impl {
  std::shared_ptr<yolo::YoloNet> net;  // null until the classes are known
  yolo::YoloNet& network(const YOLO& y);  // the network; InvalidArgument while there is none
  nlohmann::json train_args;  // of the run that trained it, kept in checkpoints
};

YOLO::YOLO(const std::string& scale, std::vector<std::string> classes, int64_t imgsz)
    : scale_(scale), classes_(std::move(classes)), imgsz_(imgsz), impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  if (scale_ != "n" && scale_ != "s" && std::filesystem::is_regular_file(scale_, ec)) {  // YOLO("best.safetensors")
    AD_CHECK(classes_.empty() && imgsz_ == 640, "YOLO('{}'): a checkpoint brings its classes and imgsz", scale_);
    *this = load(scale_);
    return;
  }
  yolo::scale_from_name(scale_);  // InvalidArgument for an unknown scale, with or without classes
  AD_CHECK(imgsz_ >= 32 && imgsz_ % 32 == 0, "YOLO imgsz must be a positive multiple of 32, got {}", imgsz_);
  ensure_threads_configured();
  if (!classes_.empty()) build_network();
}

void YOLO::build_network() {
  // A new model starts from the same initial weights every time (what makes training with a seed
  // repeatable), without disturbing the caller's random stream.
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  const at::Tensor saved = gen.get_state();
  gen.set_current_seed(0);
  impl_->net = std::make_shared<yolo::YoloNet>(yolo::scale_from_name(scale_), int64_t(classes_.size()));
  gen.set_state(saved);
}

yolo::YoloNet& YOLO::Impl::network(const YOLO& y) {
  AD_CHECK(net, "YOLO-{} has no classes yet: train it on a dataset first, or give the classes when making it", y.scale_);
  return *net;
}

YOLO::~YOLO() = default;
YOLO::YOLO(YOLO&&) noexcept = default;
YOLO& YOLO::operator=(YOLO&&) noexcept = default;

int64_t YOLO::num_parameters() const {
  int64_t n = 0;
  for (const auto& p : impl_->network(*this).parameters()) n += p.numel();
  return n;
}

namespace {
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
  if (!impl_->net) {  // YOLO("n"): the dataset names the classes
    AD_CHECK(!train_ds.classes().empty(), "YOLO train: the dataset has no classes");
    classes_ = train_ds.classes();
    build_network();
  }
  AD_CHECK(train_ds.classes() == classes_, "YOLO train: the dataset's classes [{}] are not the model's [{}]",
           fmt::join(train_ds.classes(), ", "), fmt::join(classes_, ", "));
  yolo::CheckpointMeta meta{scale_, classes_, o.imgsz, nullptr};
  std::vector<YoloEpoch> history = yolo::train(impl_->network(*this), meta, train_ds, valid, o);
  imgsz_ = o.imgsz;
  impl_->train_args = yolo::options_to_json(o);
  return history;
}

std::vector<Detections> YOLO::predict_batch(const std::vector<cv::Mat>& images, float confidence, float iou) {
  if (images.empty()) return {};
  return yolo::predict(impl_->network(*this), images, imgsz_, confidence, iou);
}

void YOLO::save(const std::filesystem::path& path) const {
  yolo::save_checkpoint(path, impl_->network(*this), {scale_, classes_, imgsz_, impl_->train_args});
}

YOLO YOLO::load(const std::filesystem::path& path) {
  const yolo::CheckpointMeta meta = yolo::read_checkpoint_meta(path);
  YOLO model(meta.scale, meta.classes, meta.imgsz);
  yolo::load_checkpoint_weights(path, *model.impl_->net);
  model.impl_->train_args = meta.train_args;
  model.impl_->net->eval();
  return model;
}

void YOLO::to(const std::string& device) { impl_->network(*this).to(clip_common::resolve_device(device)); }

std::string YOLO::device() const { return impl_->network(*this).parameters().front().device().str(); }

void YOLO::export_torchscript(const std::filesystem::path& path) const {
  yolo::save_torchscript(impl_->network(*this), {scale_, classes_, imgsz_}, path);
}

}  // namespace autodistill
