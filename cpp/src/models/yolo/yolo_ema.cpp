#include "yolo_ema.h"

#include <cmath>

#include <ATen/ATen.h>

namespace autodistill::yolo {

void copy_weights(YoloNet& from, YoloNet& to) {
  at::NoGradGuard no_grad;
  const auto src_p = from.parameters(), dst_p = to.parameters();
  for (size_t i = 0; i < src_p.size(); ++i) dst_p[i].copy_(src_p[i]);
  const auto src_b = from.buffers(), dst_b = to.buffers();
  for (size_t i = 0; i < src_b.size(); ++i) dst_b[i].copy_(src_b[i]);
}

ModelEma::ModelEma(YoloNet& model, double decay, double tau)
    : ema_(std::make_shared<YoloNet>(model.scale(), model.num_classes())), decay_(decay), tau_(tau) {
  ema_->to(model.parameters().front().device());
  copy_weights(model, *ema_);
  for (auto& p : ema_->parameters()) p.set_requires_grad(false);
  ema_->eval();
}

double ModelEma::decay_at(int64_t k) const { return decay_ * (1.0 - std::exp(-double(k) / tau_)); }

void ModelEma::update(YoloNet& model) {
  at::NoGradGuard no_grad;
  const double d = decay_at(++updates_);
  const auto src_p = model.parameters(), dst_p = ema_->parameters();
  for (size_t i = 0; i < src_p.size(); ++i) dst_p[i].mul_(d).add_(src_p[i].detach(), 1.0 - d);
  const auto src_b = model.buffers(), dst_b = ema_->buffers();
  for (size_t i = 0; i < src_b.size(); ++i) {
    if (dst_b[i].is_floating_point())
      dst_b[i].mul_(d).add_(src_b[i], 1.0 - d);
    else
      dst_b[i].copy_(src_b[i]);  // e.g. BatchNorm's num_batches_tracked
  }
}

}  // namespace autodistill::yolo
