#include "yolo_train.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <opencv2/imgproc.hpp>
#include <torch/optim/adamw.h>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/core/logging.h"
#include "autodistill/core/nms.h"
#include "autodistill/eval/mean_average_precision.h"
#include "yolo_loss.h"

namespace autodistill::yolo {
namespace {

// One letterboxed image: (3, S, S) float in [0, 1], RGB; boxes in canvas pixels.
struct Sample {
  at::Tensor pixels;
  at::Tensor boxes;   // (n, 4) xyxy
  at::Tensor labels;  // (n) int64
};

at::Tensor to_tensor(const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return at::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, at::kByte).permute({2, 0, 1}).to(at::kFloat).div(255.0);
}

std::vector<Sample> load_samples(const DetectionDataset& ds, int64_t size) {
  std::vector<Sample> out;
  for (const DatasetImage& im : ds.images()) {
    throw_if_interrupted();
    const LetterboxResult lb = letterbox(load_image(im.path), int(size), int(size));
    const BoxArray b = lb.transform.to_canvas(im.detections.xyxy());
    Sample s;
    s.pixels = to_tensor(lb.image);
    s.boxes = at::from_blob(const_cast<float*>(b.data()), {b.rows(), 4}, at::kFloat).clone();
    s.labels = at::from_blob(const_cast<int64_t*>(im.detections.class_id().data()), {im.detections.size()}, at::kLong).clone();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

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
    const at::Tensor b = boxes[int64_t(i)].index_select(0, keep).cpu().contiguous();
    const at::Tensor s = best.index_select(0, keep).cpu().contiguous(), c = cls.index_select(0, keep).cpu().contiguous();
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

std::vector<EpochStats> train(YoloNet& net, const DetectionDataset& train_ds, const DetectionDataset& val_ds,
                              const TrainOptions& o) {
  AD_CHECK(o.imgsz % 32 == 0, "YOLO imgsz must be a multiple of 32, got {}", o.imgsz);
  AD_CHECK(o.epochs >= 1 && o.batch >= 1, "YOLO train: epochs and batch must be >= 1, got {} and {}", o.epochs, o.batch);
  AD_CHECK(int64_t(train_ds.classes().size()) == net.num_classes(),
           "YOLO train: the dataset has {} classes but the model {}", train_ds.classes().size(), net.num_classes());
  AD_CHECK(!train_ds.images().empty(), "YOLO train: the training set has no images");
  torch::manual_seed(o.seed);
  std::mt19937_64 rng(o.seed);
  const std::vector<Sample> samples = load_samples(train_ds, o.imgsz);
  std::vector<cv::Mat> val_images;
  for (const DatasetImage& im : val_ds.images()) val_images.push_back(load_image(im.path));

  std::vector<at::Tensor> params;
  for (auto& p : net.parameters())
    if (p.requires_grad()) params.push_back(p);
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  const int64_t steps_per_epoch = (int64_t(samples.size()) + o.batch - 1) / o.batch, total = steps_per_epoch * o.epochs;
  int64_t step = 0;
  std::vector<EpochStats> history;
  std::vector<size_t> order(samples.size());
  std::iota(order.begin(), order.end(), size_t{0});
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    net.train();
    std::shuffle(order.begin(), order.end(), rng);
    EpochStats st;
    st.epoch = epoch;
    for (int64_t s0 = 0; s0 < int64_t(order.size()); s0 += o.batch) {
      throw_if_interrupted();
      const int64_t n = std::min<int64_t>(o.batch, int64_t(order.size()) - s0);
      std::vector<at::Tensor> px;
      int64_t m = 1;
      for (int64_t k = 0; k < n; ++k) m = std::max<int64_t>(m, samples[order[size_t(s0 + k)]].boxes.size(0));
      at::Tensor gt_boxes = at::zeros({n, m, 4}), gt_labels = at::zeros({n, m}, at::kLong);
      at::Tensor gt_mask = at::zeros({n, m}, at::kBool);
      for (int64_t k = 0; k < n; ++k) {
        const Sample& s = samples[order[size_t(s0 + k)]];
        at::Tensor p = s.pixels, b = s.boxes.clone();
        if (o.hflip && std::bernoulli_distribution(0.5)(rng)) {
          p = p.flip({2});
          const at::Tensor x1 = double(o.imgsz) - b.select(1, 2), x2 = double(o.imgsz) - b.select(1, 0);
          b.select(1, 0).copy_(x1);
          b.select(1, 2).copy_(x2);
        }
        px.push_back(p);
        const int64_t c = b.size(0);
        if (c) {
          gt_boxes[k].narrow(0, 0, c).copy_(b);
          gt_labels[k].narrow(0, 0, c).copy_(s.labels);
          gt_mask[k].narrow(0, 0, c).fill_(true);
        }
      }
      // Linear warm-up, then cosine decay to 1% of the peak.
      const double lr = step < o.warmup_steps
                            ? o.lr * double(step + 1) / double(o.warmup_steps)
                            : o.lr * (0.01 + 0.99 * 0.5 * (1 + std::cos(M_PI * double(step) / double(total))));
      for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
      const auto out = net.forward(at::stack(px));
      const LossParts loss = detection_loss(out, net.strides(), net.reg_max(), net.num_classes(), gt_labels, gt_boxes, gt_mask);
      opt.zero_grad();
      loss.total.backward();
      opt.step();
      st.box += loss.box / double(steps_per_epoch);
      st.cls += loss.cls / double(steps_per_epoch);
      st.dfl += loss.dfl / double(steps_per_epoch);
      ++step;
    }
    if (!val_images.empty()) {
      MeanAveragePrecisionOptions mo;
      mo.num_classes = net.num_classes();
      MeanAveragePrecision metric(mo);
      const std::vector<Detections> preds = predict(net, val_images, o.imgsz, 0.001f, 0.7f);
      for (size_t i = 0; i < preds.size(); ++i) metric.update(preds[i], val_ds.images()[i].detections, int64_t(i) + 1);
      const auto r = metric.compute();
      st.map50 = r.stats.ap50;
      st.map = r.stats.ap;
    }
    log_info("yolo epoch {}/{}: box {:.3f} cls {:.3f} dfl {:.3f} mAP50 {:.3f} mAP {:.3f}", epoch + 1, o.epochs, st.box,
             st.cls, st.dfl, st.map50, st.map);
    history.push_back(st);
  }
  return history;
}

}  // namespace autodistill::yolo
