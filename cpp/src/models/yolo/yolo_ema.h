#pragma once
// Exponential moving average of a network's weights (parameters and floating buffers, i.e. the
// BatchNorm statistics), as YOLOv5/v8 keep it: after update k the average moves towards the model
// by 1 - d_k with d_k = decay * (1 - exp(-k / tau)), so early updates follow the model closely and
// later ones smooth over ~1 / (1 - decay) steps. Validation and checkpoints use the average.
#include <cstdint>
#include <memory>

#include "yolo_net.h"

namespace autodistill::yolo {

class ModelEma {
 public:
  /// Starts as a copy of `model` (same scale, classes and device), in eval mode.
  explicit ModelEma(YoloNet& model, double decay = 0.9999, double tau = 2000.0);
  /// One step towards `model`; counts the update.
  void update(YoloNet& model);
  /// The smoothing factor of update number `k` (1-based).
  double decay_at(int64_t k) const;
  YoloNet& net() { return *ema_; }
  int64_t updates() const { return updates_; }
  void set_updates(int64_t k) { updates_ = k; }

 private:
  std::shared_ptr<YoloNet> ema_;
  double decay_, tau_;
  int64_t updates_ = 0;
};

/// Copies every parameter and buffer of `from` into `to` (same architecture).
void copy_weights(YoloNet& from, YoloNet& to);

}  // namespace autodistill::yolo
