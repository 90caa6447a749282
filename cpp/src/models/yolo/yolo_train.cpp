#include "yolo_train.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <sstream>

#include <ATen/autocast_mode.h>
#include <opencv2/imgproc.hpp>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include "../common/runtime.h"
#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/core/logging.h"
#include "autodistill/core/nms.h"
#include "autodistill/eval/mean_average_precision.h"
#include "yolo_ema.h"
#include "yolo_loader.h"
#include "yolo_loss.h"
#include "yolo_results.h"

namespace autodistill::yolo {
namespace fs = std::filesystem;
namespace {

at::Tensor to_tensor(const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return at::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, at::kByte).permute({2, 0, 1}).to(at::kFloat).div(255.0);
}

void check_options(const YoloTrainOptions& o) {
  AD_CHECK(o.imgsz >= 32 && o.imgsz % 32 == 0, "YOLO imgsz must be a positive multiple of 32, got {}", o.imgsz);
  AD_CHECK(o.epochs >= 1 && o.batch >= 1, "YOLO train: epochs and batch must be >= 1, got {} and {}", o.epochs, o.batch);
  AD_CHECK(o.optimizer == "auto" || o.optimizer == "SGD" || o.optimizer == "AdamW",
           "YOLO train: optimizer must be 'auto', 'SGD' or 'AdamW', got '{}'", o.optimizer);
  AD_CHECK(o.lr >= 0 && o.lrf > 0 && o.lrf <= 1, "YOLO train: need lr >= 0 and 0 < lrf <= 1, got {} and {}", o.lr, o.lrf);
  AD_CHECK(o.warmup_epochs >= 0 && o.weight_decay >= 0 && o.workers >= 0 && o.close_mosaic >= 0,
           "YOLO train: warmup_epochs, weight_decay, workers and close_mosaic must be >= 0");
  for (const auto& [name, p] : {std::pair<const char*, double>{"fliplr", o.fliplr}, {"mosaic", o.mosaic}})
    AD_CHECK(p >= 0 && p <= 1, "YOLO train: {} is a probability, got {}", name, p);
}

// Autocast to bfloat16 on CUDA for the forward pass (no loss scaling needed with bf16's range).
class CudaAutocast {
 public:
  explicit CudaAutocast(bool on) : on_(on) {
    if (!on_) return;
    previous_ = at::autocast::is_enabled();
    previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
  }
  ~CudaAutocast() {
    if (!on_) return;
    at::autocast::set_enabled(previous_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
    at::autocast::clear_cache();
  }
  CudaAutocast(const CudaAutocast&) = delete;
  CudaAutocast& operator=(const CudaAutocast&) = delete;

 private:
  bool on_, previous_ = false;
  at::ScalarType previous_dtype_ = at::kHalf;
};

double fitness(const YoloEpoch& e) { return e.map50 < 0 ? -1 : 0.1 * e.map50 + 0.9 * e.map; }

nlohmann::json epoch_json(const YoloEpoch& e) {
  return {{"epoch", e.epoch}, {"box", e.box}, {"cls", e.cls}, {"dfl", e.dfl}, {"map50", e.map50},
          {"map", e.map},     {"lr", e.lr},   {"seconds", e.seconds}};
}
YoloEpoch epoch_from_json(const nlohmann::json& j) {
  return {j.at("epoch"), j.at("box"), j.at("cls"), j.at("dfl"), j.at("map50"), j.at("map"), j.at("lr"), j.at("seconds")};
}

// Where a run stands; stored in last.safetensors so that it can resume exactly.
struct RunState {
  int64_t epoch = 0;  // the epoch in progress (== epochs when finished)
  int64_t step = 0;   // batches of that epoch already trained
  double sums[3] = {0, 0, 0};  // box, cls, dfl summed over those batches
  double best_fitness = -1;
  std::vector<YoloEpoch> history;

  nlohmann::json to_json(int64_t updates, int64_t epochs) const {
    nlohmann::json h = nlohmann::json::array();
    for (const YoloEpoch& e : history) h.push_back(epoch_json(e));
    return {{"epoch", epoch},       {"step", step},     {"sums", {sums[0], sums[1], sums[2]}}, {"best_fitness", best_fitness},
            {"updates", updates},   {"history", h},     {"finished", epoch >= epochs}};
  }
};

class Trainer {
 public:
  Trainer(YoloNet& net, const CheckpointMeta& meta, const DetectionDataset& train_ds, const DetectionDataset& val_ds,
          const YoloTrainOptions& o)
      : net_(net), meta_(meta), val_(val_ds), o_(o), device_(clip_common::resolve_device(o.device)) {
    meta_.imgsz = o.imgsz;
    meta_.train_args = options_to_json(o);
    net_.to(device_);
    std::vector<TrainSample> samples;
    for (const DatasetImage& im : train_ds.images())
      samples.push_back({im.path, im.detections.xyxy(), im.detections.class_id()});
    LoaderOptions lo;
    lo.imgsz = o.imgsz;
    lo.batch = o.batch;
    lo.workers = std::max(1, o.workers);
    lo.seed = o.seed;
    lo.augment = o.augment;
    lo.cache_bytes = o.cache ? size_t(2) << 30 : 0;
    lo.augment_options = {o.hsv_h, o.hsv_s, o.hsv_v, o.degrees, o.translate, o.scale, o.shear, o.fliplr, o.mosaic};
    loader_ = std::make_unique<BatchLoader>(std::move(samples), lo);
    nb_ = loader_->batches_per_epoch();
    const int64_t total = nb_ * o.epochs;
    // Warm-up: at most a third of the run, so that short runs still reach their peak rate.
    warmup_ = std::min<int64_t>(std::llround(o.warmup_epochs * double(nb_)), total / 3);
    make_optimizer(total);
    ema_ = std::make_unique<ModelEma>(net_);
    best_ = std::make_shared<YoloNet>(net_.scale(), net_.num_classes());
    best_->to(device_);
  }

  std::vector<YoloEpoch> run() {
    if (o_.resume) restore();
    if (state_.epoch >= o_.epochs) {
      log_info("YOLO train: the run in '{}' has finished ({} epochs)", o_.project.string(), state_.history.size());
      finish();
      return state_.history;
    }
    try {
      while (state_.epoch < o_.epochs) run_epoch();
    } catch (const Interrupted&) {
      save_last();
      if (!o_.project.empty())
        log_warning("YOLO train interrupted at epoch {} step {}: '{}' holds the run; train again with resume to go on",
                    state_.epoch + 1, state_.step, (o_.project / "weights" / "last.safetensors").string());
      throw;
    }
    finish();
    return state_.history;
  }

 private:
  YoloNet& model_for_eval() { return o_.ema ? ema_->net() : net_; }

  void make_optimizer(int64_t total) {
    optimizer_ = o_.optimizer == "auto" ? (total > 10000 ? "SGD" : "AdamW") : o_.optimizer;
    lr0_ = o_.lr > 0 ? o_.lr : (optimizer_ == "SGD" ? 0.01 : 0.002);
    // Decay on convolution weights only; BatchNorm weights and biases are not pulled to zero.
    std::vector<at::Tensor> decay, no_decay;
    for (const auto& p : net_.named_parameters()) {
      if (!p.value().requires_grad()) continue;
      (p.value().dim() > 1 ? decay : no_decay).push_back(p.value());
      params_.push_back(p.value());
    }
    std::vector<torch::optim::OptimizerParamGroup> groups;
    if (optimizer_ == "SGD") {
      groups.emplace_back(decay, std::make_unique<torch::optim::SGDOptions>(
                                     torch::optim::SGDOptions(lr0_).momentum(o_.momentum).nesterov(true).weight_decay(o_.weight_decay)));
      groups.emplace_back(no_decay, std::make_unique<torch::optim::SGDOptions>(
                                        torch::optim::SGDOptions(lr0_).momentum(o_.momentum).nesterov(true)));
      opt_ = std::make_unique<torch::optim::SGD>(std::move(groups), torch::optim::SGDOptions(lr0_));
    } else {
      const auto betas = std::make_tuple(o_.momentum, 0.999);
      groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                     torch::optim::AdamWOptions(lr0_).betas(betas).weight_decay(o_.weight_decay)));
      groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                        torch::optim::AdamWOptions(lr0_).betas(betas).weight_decay(0.0)));
      opt_ = std::make_unique<torch::optim::AdamW>(std::move(groups), torch::optim::AdamWOptions(lr0_));
    }
  }

  // Learning rate and SGD momentum of global step `i`: linear warm-up from 0 (momentum from 0.8), then
  // linear or cosine decay from lr0 to lr0 * lrf over the run.
  std::pair<double, double> schedule(int64_t i) const {
    const double x = double(i) / double(nb_ * o_.epochs);
    const double decay = o_.cos_lr ? o_.lrf + (1 - o_.lrf) * 0.5 * (1 + std::cos(M_PI * x)) : (1 - x) * (1 - o_.lrf) + o_.lrf;
    if (i >= warmup_) return {lr0_ * decay, o_.momentum};
    const double w = double(i + 1) / double(warmup_);
    return {lr0_ * decay * w, 0.8 + (o_.momentum - 0.8) * w};
  }

  double set_schedule(int64_t i) {
    const auto [lr, momentum] = schedule(i);
    for (auto& g : opt_->param_groups()) {
      if (optimizer_ == "SGD")
        static_cast<torch::optim::SGDOptions&>(g.options()).lr(lr).momentum(momentum);
      else
        static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    }
    return lr;
  }

  void run_epoch() {
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t epoch = state_.epoch;
    const bool mosaic = epoch < o_.epochs - o_.close_mosaic;
    if (o_.progress) o_.progress->start(fmt::format("epoch {}/{}", epoch + 1, o_.epochs), nb_);
    if (o_.progress && state_.step) o_.progress->advance(state_.step);
    if (state_.step < nb_) {
      loader_->start_epoch(epoch, mosaic);
      for (int64_t k = 0; k < state_.step; ++k) loader_->next();  // resumed mid-epoch: same batches as before
      net_.train();
      while (std::optional<Batch> batch = loader_->next()) {
        throw_if_interrupted();
        set_schedule(epoch * nb_ + state_.step);
        train_step(*batch);
        ++state_.step;
        if (o_.progress)
          o_.progress->advance(1, fmt::format("box {:.3f} cls {:.3f} dfl {:.3f}", state_.sums[0] / double(state_.step),
                                              state_.sums[1] / double(state_.step), state_.sums[2] / double(state_.step)));
      }
    }
    YoloEpoch e;
    e.epoch = epoch;
    e.box = state_.sums[0] / double(nb_);
    e.cls = state_.sums[1] / double(nb_);
    e.dfl = state_.sums[2] / double(nb_);
    e.lr = schedule(epoch * nb_ + nb_ - 1).first;
    throw_if_interrupted();
    validate(e);
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string map = e.map50 < 0 ? std::string("no validation labels")
                                        : fmt::format("mAP50 {:.3f} mAP50-95 {:.3f}", e.map50, e.map);
    if (o_.progress) o_.progress->finish(fmt::format("box {:.3f} cls {:.3f} dfl {:.3f} {}", e.box, e.cls, e.dfl, map));
    log_info("yolo epoch {}/{}: box {:.3f} cls {:.3f} dfl {:.3f} {} ({:.1f} s)", epoch + 1, o_.epochs, e.box, e.cls,
             e.dfl, map, e.seconds);
    state_.history.push_back(e);
    // Without validation labels there is nothing to rank epochs by: the latest is the best.
    const bool improved = e.map50 < 0 || fitness(e) > state_.best_fitness;
    if (improved) {
      state_.best_fitness = fitness(e);
      copy_weights(model_for_eval(), *best_);
    }
    // The epoch is done: the state that resumes is "next epoch, step 0".
    state_.epoch = epoch + 1;
    state_.step = 0;
    std::fill(std::begin(state_.sums), std::end(state_.sums), 0.0);
    save_last();
    if (improved && !o_.project.empty()) save_checkpoint(o_.project / "weights" / "best.safetensors", *best_, meta_);
    if (!o_.project.empty()) write_results(o_.project, state_.history);
    if (o_.on_epoch) o_.on_epoch(e);
  }

  void train_step(const Batch& b) {
    const at::Tensor images = b.images.to(device_, /*non_blocking=*/true);
    std::vector<at::Tensor> out;
    {
      CudaAutocast autocast(o_.amp && device_.is_cuda());
      out = net_.forward(images);
    }
    for (auto& t : out) t = t.to(at::kFloat);
    const LossParts loss = detection_loss(out, net_.strides(), net_.reg_max(), net_.num_classes(), b.labels.to(device_),
                                          b.boxes.to(device_), b.mask.to(device_));
    opt_->zero_grad();
    loss.total.backward();
    torch::nn::utils::clip_grad_norm_(params_, 10.0);
    opt_->step();
    if (o_.ema) ema_->update(net_);
    state_.sums[0] += loss.box;
    state_.sums[1] += loss.cls;
    state_.sums[2] += loss.dfl;
  }

  void validate(YoloEpoch& e) {
    if (val_.images().empty()) return;
    MeanAveragePrecisionOptions mo;
    mo.num_classes = net_.num_classes();
    MeanAveragePrecision metric(mo);
    const auto& images = val_.images();
    for (size_t i0 = 0; i0 < images.size(); i0 += size_t(o_.batch)) {
      throw_if_interrupted();
      std::vector<cv::Mat> chunk;
      for (size_t i = i0; i < std::min(images.size(), i0 + size_t(o_.batch)); ++i) chunk.push_back(load_image(images[i].path));
      const std::vector<Detections> preds = predict(model_for_eval(), chunk, o_.imgsz, 0.001f, 0.7f);
      for (size_t k = 0; k < preds.size(); ++k) metric.update(preds[k], images[i0 + k].detections, int64_t(i0 + k) + 1);
    }
    const auto r = metric.compute();
    e.map50 = r.stats.ap50;
    e.map = r.stats.ap;
  }

  void save_last() {
    if (o_.project.empty()) return;
    TrainState st;
    st.progress = state_.to_json(ema_->updates(), o_.epochs);
    st.progress["optimizer"] = optimizer_;
    for (const auto& p : net_.named_parameters()) st.raw_weights.emplace_back(p.key(), p.value().detach());
    for (const auto& b : net_.named_buffers()) st.raw_weights.emplace_back(b.key(), b.value());
    torch::serialize::OutputArchive archive;
    opt_->save(archive);
    std::ostringstream bytes;
    archive.save_to(bytes);
    st.optimizer = bytes.str();
    save_checkpoint(o_.project / "weights" / "last.safetensors", model_for_eval(), meta_, &st);
  }

  void restore() {
    const fs::path last = o_.project / "weights" / "last.safetensors";
    AD_CHECK(!o_.project.empty(), "YOLO train: resume needs the run folder (project)");
    std::error_code ec;
    if (!fs::exists(last, ec)) {
      log_info("YOLO train: no earlier run in '{}'; starting afresh", o_.project.string());
      return;
    }
    const CheckpointMeta m = read_checkpoint_meta(last);
    AD_CHECK(m.classes == meta_.classes && m.scale == meta_.scale,
             "YOLO train: cannot resume '{}': it trains YOLO-{} for [{}], this model is YOLO-{} for [{}]", last.string(),
             m.scale, fmt::join(m.classes, ", "), meta_.scale, fmt::join(meta_.classes, ", "));
    const std::optional<TrainState> st = read_train_state(last);
    AD_CHECK_IO(st.has_value(), "YOLO train: '{}' holds no training state to resume", last.string());
    const nlohmann::json& args = m.train_args;
    AD_CHECK(args.is_object() && args.value("imgsz", int64_t(-1)) == o_.imgsz && args.value("batch", int64_t(-1)) == o_.batch &&
                 args.value("seed", uint64_t(0)) == o_.seed,
             "YOLO train: '{}' was trained with imgsz {}, batch {}, seed {}: resume with the same (got {}, {}, {}) or "
             "start afresh",
             last.string(), args.value("imgsz", int64_t(-1)), args.value("batch", int64_t(-1)), args.value("seed", uint64_t(0)),
             o_.imgsz, o_.batch, o_.seed);
    const nlohmann::json& p = st->progress;
    AD_CHECK(p.value("optimizer", std::string()) == optimizer_,
             "YOLO train: '{}' used the {} optimizer, this run would use {}", last.string(),
             p.value("optimizer", std::string()), optimizer_);
    try {
      state_.epoch = p.at("epoch");
      state_.step = p.at("step");
      for (int k = 0; k < 3; ++k) state_.sums[k] = p.at("sums").at(size_t(k));
      state_.best_fitness = p.at("best_fitness");
      for (const auto& e : p.at("history")) state_.history.push_back(epoch_from_json(e));
      ema_->set_updates(p.at("updates"));
    } catch (const nlohmann::json::exception& e) {
      AD_THROW(IOError, "'{}': unreadable training state ({})", last.string(), e.what());
    }
    AD_CHECK(state_.step <= nb_, "YOLO train: '{}' stopped at step {} of an epoch, but the data now has {} batches per "
             "epoch: resume on the same dataset or start afresh", last.string(), state_.step, nb_);
    {
      // The raw weights, by name: every tensor of the network must be there with its shape.
      std::map<std::string, at::Tensor> raw(st->raw_weights.begin(), st->raw_weights.end());
      at::NoGradGuard no_grad;
      const auto restore_tensor = [&](const std::string& name, at::Tensor& dst) {
        const auto it = raw.find(name);
        AD_CHECK_IO(it != raw.end() && it->second.sizes() == dst.sizes(),
                    "'{}': the training state lacks '{}' [{}] (or it is misshapen)", last.string(), name,
                    fmt::join(dst.sizes(), ", "));
        dst.copy_(it->second);
      };
      for (auto& p : net_.named_parameters()) restore_tensor(p.key(), p.value());
      for (auto& b : net_.named_buffers()) restore_tensor(b.key(), b.value());
    }
    torch::serialize::InputArchive archive;
    std::istringstream bytes(st->optimizer);
    archive.load_from(bytes, device_);
    opt_->load(archive);
    if (o_.ema) load_checkpoint_weights(last, ema_->net());
    // The best weights so far: best.safetensors when it exists, else what last holds.
    const fs::path best = o_.project / "weights" / "best.safetensors";
    load_checkpoint_weights(fs::exists(best, ec) ? best : last, *best_);
    log_info("YOLO train: resuming '{}' at epoch {} step {}", o_.project.string(), state_.epoch + 1, state_.step);
  }

  // The model keeps the best epoch's weights (the last epoch's EMA without validation).
  void finish() {
    copy_weights(*best_, net_);
    net_.eval();
  }

  YoloNet& net_;
  CheckpointMeta meta_;
  const DetectionDataset& val_;
  const YoloTrainOptions o_;
  c10::Device device_;
  std::unique_ptr<BatchLoader> loader_;
  int64_t nb_ = 0, warmup_ = 0;
  std::string optimizer_;
  double lr0_ = 0;
  std::vector<at::Tensor> params_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
  std::unique_ptr<ModelEma> ema_;
  std::shared_ptr<YoloNet> best_;
  RunState state_;
};

}  // namespace

nlohmann::json options_to_json(const YoloTrainOptions& o) {
  return {{"epochs", o.epochs},
          {"imgsz", o.imgsz},
          {"batch", o.batch},
          {"device", o.device},
          {"optimizer", o.optimizer},
          {"lr", o.lr},
          {"lrf", o.lrf},
          {"cos_lr", o.cos_lr},
          {"momentum", o.momentum},
          {"weight_decay", o.weight_decay},
          {"warmup_epochs", o.warmup_epochs},
          {"ema", o.ema},
          {"amp", o.amp},
          {"hsv_h", o.hsv_h},
          {"hsv_s", o.hsv_s},
          {"hsv_v", o.hsv_v},
          {"degrees", o.degrees},
          {"translate", o.translate},
          {"scale", o.scale},
          {"shear", o.shear},
          {"fliplr", o.fliplr},
          {"mosaic", o.mosaic},
          {"close_mosaic", o.close_mosaic},
          {"augment", o.augment},
          {"workers", o.workers},
          {"cache", o.cache},
          {"seed", o.seed},
          {"project", o.project.string()}};
}

std::vector<Detections> predict(YoloNet& net, const std::vector<cv::Mat>& images, int64_t imgsz, float confidence,
                                float iou, int64_t max_det) {
  AD_CHECK(imgsz % 32 == 0, "YOLO imgsz must be a multiple of 32, got {}", imgsz);
  at::NoGradGuard no_grad;
  const bool was_training = net.is_training();
  net.eval();
  std::vector<at::Tensor> batch;
  std::vector<LetterboxTransform> transforms;
  for (const cv::Mat& im : images) {
    const LetterboxResult lb = letterbox(im, int(imgsz), int(imgsz));
    batch.push_back(to_tensor(lb.image));
    transforms.push_back(lb.transform);
  }
  const auto device = net.parameters().front().device();
  const auto [boxes, scores] = decode(net.forward(at::stack(batch).to(device)), net.strides(), net.reg_max(), net.num_classes());
  if (was_training) net.train();
  std::vector<Detections> out;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto [best, cls] = scores[int64_t(i)].max(-1);
    const at::Tensor keep = (best >= confidence).nonzero().squeeze(1);
    const at::Tensor b = boxes[int64_t(i)].index_select(0, keep).to(at::kFloat).cpu().contiguous();
    const at::Tensor s = best.index_select(0, keep).to(at::kFloat).cpu().contiguous(), c = cls.index_select(0, keep).cpu().contiguous();
    const auto n = Eigen::Index(b.size(0));
    BoxArray xyxy = Eigen::Map<const BoxArray>(b.data_ptr<float>(), n, 4);
    ScoreArray conf = Eigen::Map<const ScoreArray>(s.data_ptr<float>(), n);
    ClassIdArray ids = Eigen::Map<const ClassIdArray>(c.data_ptr<int64_t>(), n);
    std::vector<int64_t> kept = batched_nms(xyxy, conf, ids, iou);
    if (int64_t(kept.size()) > max_det) kept.resize(size_t(max_det));
    Detections d(transforms[i].to_source(xyxy), conf, ids);
    out.push_back(d.select(kept));
  }
  return out;
}

std::vector<YoloEpoch> train(YoloNet& net, const CheckpointMeta& meta, const DetectionDataset& train_ds,
                             const DetectionDataset& val_ds, const YoloTrainOptions& o) {
  check_options(o);
  AD_CHECK(int64_t(train_ds.classes().size()) == net.num_classes(),
           "YOLO train: the dataset has {} classes but the model {}", train_ds.classes().size(), net.num_classes());
  AD_CHECK(!train_ds.images().empty(), "YOLO train: the training split has no images");
  torch::manual_seed(o.seed);
  Trainer trainer(net, meta, train_ds, val_ds, o);
  return trainer.run();
}

}  // namespace autodistill::yolo
