#pragma once
// Multi-threaded training batches for the YOLO target: worker threads decode and augment whole batches
// ahead of the trainer. Deterministic: the order of an epoch comes from (seed, epoch) and each batch's
// augmentation from (seed, epoch, batch index), so the batches do not depend on the number of workers
// or on thread timing. Internal header (ATen).
#include <atomic>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <ATen/Tensor.h>

#include "autodistill/core/boxes.h"
#include "autodistill/core/detections.h"
#include "yolo_augment.h"

namespace autodistill::yolo {

/// One training image on disk and its labels; boxes are xyxy in the source image's pixels.
struct TrainSample {
  std::filesystem::path path;
  BoxArray boxes;
  ClassIdArray labels;
};

struct Batch {
  at::Tensor images;            ///< (B, 3, S, S) float32 in [0, 1], RGB
  at::Tensor boxes;             ///< (B, M, 4) float32 xyxy in canvas pixels, zero padded
  at::Tensor labels;            ///< (B, M) int64, zero padded
  at::Tensor mask;              ///< (B, M) bool, true where a box is real
  std::vector<size_t> indices;  ///< the B sample indices, in batch order
};

struct LoaderOptions {
  int64_t imgsz = 640;   ///< square output size
  int64_t batch = 16;
  int workers = 2;       ///< threads (at least 1)
  uint64_t seed = 0;
  bool augment = true;   ///< false: letterbox only (validation)
  bool shuffle = true;
  AugmentOptions augment_options;
  int prefetch = 4;      ///< batches in flight or ready ahead of next() (raised to `workers`)
  /// RAM for decoded images (already resized to imgsz on the long side) kept across batches and
  /// epochs and shared by the workers; 0 decodes on every use. Images are kept first come, first
  /// served until the budget is spent; the batches are the same with or without the cache.
  size_t cache_bytes = 0;
};

/// Threads start with the loader and wait for start_epoch(). Not thread-safe: one consumer thread.
class BatchLoader {
 public:
  BatchLoader(std::vector<TrainSample> samples, LoaderOptions options);
  /// Stops the workers and joins them; work in progress is abandoned between images.
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  /// ceil(size() / batch): the last partial batch is kept.
  int64_t batches_per_epoch() const;
  size_t size() const { return samples_.size(); }

  /// Fixes the epoch's order (shuffled from (seed, epoch)) and whether mosaic is used (the trainer
  /// closes it for the last epochs); abandons what is left of the previous epoch.
  void start_epoch(int64_t epoch, bool mosaic);

  /// The next batch in order; nullopt after the epoch's last batch (or before any start_epoch()).
  /// Rethrows a worker's error (an IOError naming an unreadable image). Polls throw_if_interrupted().
  std::optional<Batch> next();

  /// The batch `k` of `epoch`, built on the calling thread (what the workers run; for tests).
  Batch make_batch(int64_t epoch, bool mosaic, int64_t k, const std::vector<size_t>& order) const;

  /// The sample order of an epoch.
  std::vector<size_t> epoch_order(int64_t epoch) const;

 private:
  struct Result {
    std::optional<Batch> batch;
    std::exception_ptr error;
  };
  void worker_loop();
  // Sample i decoded and resized to imgsz on its long side, from the cache when it is there.
  LabeledImage load_resized(size_t i) const;
  // A (B, 3, S, S) float tensor, recycled from an earlier batch that nobody holds any more: fresh
  // pages of a ~80 MB tensor cost more to fault in than augmenting the batch.
  at::Tensor image_buffer(int64_t B) const;
  // make_batch() that gives up (nullopt) between images once `cancelled()` says so.
  std::optional<Batch> build_batch(int64_t epoch, bool mosaic, int64_t k, const std::vector<size_t>& order,
                                   const std::function<bool()>& cancelled) const;

  std::vector<TrainSample> samples_;
  LoaderOptions options_;

  std::mutex mutex_;
  std::condition_variable work_cv_;   // workers wait for claimable batches
  std::condition_variable ready_cv_;  // next() waits for its batch
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> generation_{0};          // bumped by start_epoch(): results of older epochs are dropped
  bool epoch_active_ = false;
  int64_t epoch_ = 0;
  bool mosaic_ = true;
  std::shared_ptr<const std::vector<size_t>> order_;
  int64_t claimed_ = 0;   // next batch index a worker takes
  int64_t consumed_ = 0;  // next batch index next() returns
  std::map<int64_t, Result> ready_;
  std::vector<std::thread> workers_;

  mutable std::mutex cache_mutex_;
  mutable std::map<size_t, LabeledImage> cache_;
  mutable size_t cache_used_ = 0;

  mutable std::mutex pool_mutex_;
  mutable std::vector<at::Tensor> pool_;
};

}  // namespace autodistill::yolo
