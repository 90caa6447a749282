#include "yolo_loader.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>

#include <ATen/ATen.h>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/core/interrupt.h"

namespace autodistill::yolo {
namespace {

// splitmix64's finaliser: decorrelates nearby (seed, epoch, batch) triples.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t stream_seed(uint64_t seed, int64_t epoch, uint64_t stream) {
  return mix(mix(mix(seed) ^ uint64_t(epoch)) ^ stream);
}

constexpr uint64_t kOrderStream = ~uint64_t(0);  // batch indices never reach it

// BGR uint8 (S, S, 3) -> RGB float [0, 1] into a (3, S, S) slice; a plain loop keeps ATen's thread
// pool out of the worker threads.
void write_pixels(const cv::Mat& bgr, float* dst) {
  const int64_t plane = int64_t(bgr.rows) * bgr.cols;
  for (int y = 0; y < bgr.rows; ++y) {
    const uint8_t* p = bgr.ptr<uint8_t>(y);
    float* r = dst + int64_t(y) * bgr.cols;
    for (int x = 0; x < bgr.cols; ++x, p += 3) {
      r[x] = p[2] * (1.f / 255.f);
      r[x + plane] = p[1] * (1.f / 255.f);
      r[x + 2 * plane] = p[0] * (1.f / 255.f);
    }
  }
}

}  // namespace

BatchLoader::BatchLoader(std::vector<TrainSample> samples, LoaderOptions options)
    : samples_(std::move(samples)), options_(std::move(options)) {
  AD_CHECK(!samples_.empty(), "BatchLoader: no training samples");
  AD_CHECK(options_.imgsz >= 32, "BatchLoader: imgsz must be >= 32, got {}", options_.imgsz);
  AD_CHECK(options_.batch >= 1, "BatchLoader: batch must be >= 1, got {}", options_.batch);
  AD_CHECK(options_.workers >= 1, "BatchLoader: workers must be >= 1, got {}", options_.workers);
  for (const TrainSample& s : samples_)
    AD_CHECK(s.boxes.rows() == s.labels.rows(), "BatchLoader: {} has {} boxes but {} labels", s.path.string(),
             s.boxes.rows(), s.labels.rows());
  options_.prefetch = std::max(options_.prefetch, options_.workers);
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  ready_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

int64_t BatchLoader::batches_per_epoch() const {
  return (int64_t(samples_.size()) + options_.batch - 1) / options_.batch;
}

std::vector<size_t> BatchLoader::epoch_order(int64_t epoch) const {
  std::vector<size_t> order(samples_.size());
  std::iota(order.begin(), order.end(), size_t(0));
  if (options_.shuffle) {
    // Fisher-Yates with our own index draw (std::shuffle's draws differ between standard libraries).
    std::mt19937_64 rng(stream_seed(options_.seed, epoch, kOrderStream));
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[size_t(uniform_index(rng, i))]);
  }
  return order;
}

void BatchLoader::start_epoch(int64_t epoch, bool mosaic) {
  auto order = std::make_shared<const std::vector<size_t>>(epoch_order(epoch));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    epoch_active_ = true;
    epoch_ = epoch;
    mosaic_ = mosaic;
    order_ = std::move(order);
    claimed_ = 0;
    consumed_ = 0;
    ready_.clear();
  }
  work_cv_.notify_all();
}

std::optional<Batch> BatchLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!epoch_active_ || consumed_ >= batches_per_epoch()) return std::nullopt;
  const int64_t k = consumed_;
  while (ready_.count(k) == 0) {
    // Wake up now and then so that Ctrl-C reaches a trainer waiting on slow images.
    if (!ready_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return ready_.count(k) > 0; })) {
      lock.unlock();
      throw_if_interrupted();
      lock.lock();
    }
  }
  Result r = std::move(ready_.at(k));
  ready_.erase(k);
  ++consumed_;
  lock.unlock();
  work_cv_.notify_all();  // a prefetch slot is free
  if (r.error) std::rethrow_exception(r.error);
  return std::move(r.batch);
}

void BatchLoader::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_cv_.wait(lock, [&] {
      return stop_ || (epoch_active_ && claimed_ < batches_per_epoch() && claimed_ < consumed_ + options_.prefetch);
    });
    if (stop_) return;
    const int64_t k = claimed_++;
    const uint64_t generation = generation_;
    const int64_t epoch = epoch_;
    const bool mosaic = mosaic_;
    const std::shared_ptr<const std::vector<size_t>> order = order_;
    lock.unlock();
    Result r;
    try {
      r.batch = build_batch(epoch, mosaic, k, *order, [&] { return stop_ || generation_ != generation; });
    } catch (...) {
      r.error = std::current_exception();
    }
    lock.lock();
    if (generation_ == generation && !stop_ && (r.batch || r.error)) {
      ready_.emplace(k, std::move(r));
      ready_cv_.notify_all();
    }
  }
}

LabeledImage BatchLoader::load_resized(size_t i) const {
  if (options_.cache_bytes > 0) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto it = cache_.find(i); it != cache_.end()) return it->second;  // shares pixels: nobody writes into them
  }
  const TrainSample& s = samples_[i];
  LabeledImage im = resize_long_side({load_image(s.path), s.boxes, s.labels}, int(options_.imgsz));
  if (options_.cache_bytes > 0) {
    const size_t bytes = im.image.total() * im.image.elemSize();
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_used_ + bytes <= options_.cache_bytes && cache_.emplace(i, im).second) cache_used_ += bytes;
  }
  return im;
}

at::Tensor BatchLoader::image_buffer(int64_t B) const {
  const int64_t S = options_.imgsz;
  std::lock_guard<std::mutex> lock(pool_mutex_);
  for (const at::Tensor& t : pool_)
    // Only the pool refers to it (no Batch, copy or view of it is alive): its pixels are free to overwrite.
    if (t.use_count() == 1 && t.storage().use_count() == 1 && t.size(0) == B) return t;
  at::Tensor t = at::empty({B, 3, S, S}, at::kFloat);
  // Enough for every batch in flight or waiting, the one the trainer holds and the one it just dropped.
  if (pool_.size() < size_t(options_.prefetch + options_.workers + 2)) pool_.push_back(t);
  return t;
}

Batch BatchLoader::make_batch(int64_t epoch, bool mosaic, int64_t k, const std::vector<size_t>& order) const {
  return *build_batch(epoch, mosaic, k, order, [] { return false; });
}

std::optional<Batch> BatchLoader::build_batch(int64_t epoch, bool mosaic, int64_t k, const std::vector<size_t>& order,
                                              const std::function<bool()>& cancelled) const {
  AD_CHECK(k >= 0 && k < batches_per_epoch(), "BatchLoader: batch {} out of range [0, {})", k, batches_per_epoch());
  AD_CHECK(order.size() == samples_.size(), "BatchLoader: order has {} entries for {} samples", order.size(),
           samples_.size());
  const size_t begin = size_t(k * options_.batch);
  const size_t end = std::min(samples_.size(), begin + size_t(options_.batch));
  const int S = int(options_.imgsz);
  std::mt19937_64 rng(stream_seed(options_.seed, epoch, uint64_t(k)));
  const auto load = [this](size_t i) { return load_resized(i); };

  std::vector<LabeledImage> items;
  Batch batch;
  for (size_t j = begin; j < end; ++j) {
    if (cancelled()) return std::nullopt;
    const size_t index = order[j];
    batch.indices.push_back(index);
    if (options_.augment)
      items.push_back(augment_sample(index, samples_.size(), load, S, options_.augment_options, mosaic, rng));
    else
      items.push_back(letterbox_sample(load_resized(index), S));
  }

  const int64_t B = int64_t(items.size());
  int64_t M = 1;
  for (const LabeledImage& it : items) M = std::max<int64_t>(M, it.boxes.rows());
  batch.images = image_buffer(B);
  batch.boxes = at::zeros({B, M, 4}, at::kFloat);
  batch.labels = at::zeros({B, M}, at::kLong);
  batch.mask = at::zeros({B, M}, at::kBool);
  float* px = batch.images.data_ptr<float>();
  float* bx = batch.boxes.data_ptr<float>();
  int64_t* lb = batch.labels.data_ptr<int64_t>();
  bool* mk = batch.mask.data_ptr<bool>();
  for (int64_t b = 0; b < B; ++b) {
    const LabeledImage& it = items[size_t(b)];
    write_pixels(it.image, px + b * 3 * S * S);
    for (int64_t m = 0; m < it.boxes.rows(); ++m) {
      for (int c = 0; c < 4; ++c) bx[(b * M + m) * 4 + c] = it.boxes(m, c);
      lb[b * M + m] = it.labels(m);
      mk[b * M + m] = true;
    }
  }
  return batch;
}

}  // namespace autodistill::yolo
