#include "train_args.h"

#include <cstdio>

#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace autodistill::cli {

void add_train_args(CLI::App* cmd, YoloTrainOptions& o, bool with_device) {
  cmd->add_option("--epochs", o.epochs)->capture_default_str();
  cmd->add_option("--imgsz", o.imgsz, "square size, a multiple of 32")->capture_default_str();
  cmd->add_option("--batch", o.batch)->capture_default_str();
  if (with_device) cmd->add_option("--device", o.device, "auto, cpu, cuda, cuda:N")->capture_default_str();
  cmd->add_option("--optimizer", o.optimizer, "auto (AdamW below 10k steps, else SGD), SGD or AdamW")
      ->check(CLI::IsMember({"auto", "SGD", "AdamW"}))
      ->capture_default_str();
  cmd->add_option("--lr", o.lr, "peak learning rate; 0 = the optimizer's default (SGD 0.01, AdamW 0.002)")
      ->capture_default_str();
  cmd->add_flag("--cos-lr", o.cos_lr, "cosine instead of linear learning-rate decay");
  cmd->add_option("--workers", o.workers, "data-loader threads")->capture_default_str();
  cmd->add_option("--seed", o.seed)->capture_default_str();
  cmd->add_option("--mosaic", o.mosaic, "mosaic probability")->capture_default_str();
  cmd->add_option("--close-mosaic", o.close_mosaic, "the last N epochs train without mosaic")->capture_default_str();
  cmd->add_flag("--no-augment", [&o](int64_t) { o.augment = false; }, "letterbox only: no mosaic, affine, HSV, flips");
}

void print_epoch(const YoloEpoch& e, int64_t epochs) {
  const std::string map = e.map50 < 0 ? std::string("(no validation labels)")
                                      : fmt::format("mAP50 {:.3f} mAP50-95 {:.3f}", e.map50, e.map);
  std::printf("epoch %ld/%ld: box %.3f cls %.3f dfl %.3f  %s  (%.1f s)\n", long(e.epoch + 1), long(epochs), e.box,
              e.cls, e.dfl, map.c_str(), e.seconds);
  std::fflush(stdout);
}

}  // namespace autodistill::cli
