#pragma once
/// \file
/// Progress of long work (labelling, training) through one interface: a bar on a terminal, a
/// callback (the Python layer draws a notebook bar with it), or nothing. Reporters throttle
/// themselves, so callers may call `advance` per item. Thread-safe: workers may advance concurrently.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace autodistill {

struct ProgressState {
  std::string task;      ///< e.g. "labelling"
  int64_t done = 0;
  int64_t total = 0;     ///< 0 when unknown
  double elapsed_s = 0;
  double rate = 0;       ///< items per second since start
  double eta_s = -1;     ///< seconds left; -1 when unknown
  std::string detail;    ///< short free text, e.g. "3 errors"
  bool finished = false;
};

class ProgressReporter {
 public:
  virtual ~ProgressReporter() = default;
  void start(const std::string& task, int64_t total);
  void advance(int64_t n = 1, const std::string& detail = {});
  void finish(const std::string& detail = {});
  ProgressState state() const;

 protected:
  /// Called at most every `min_interval` and once at finish, with the lock released.
  virtual void render(const ProgressState& state) = 0;
  std::chrono::milliseconds min_interval{100};

 private:
  ProgressState snapshot_locked() const;
  mutable std::mutex mutex_;
  ProgressState state_;
  std::chrono::steady_clock::time_point started_, last_render_;
};

/// Draws "task  42% |#####     | 420/1000 [00:10<00:14, 41.2 it/s]" on stderr, rewriting one line.
class TerminalProgress : public ProgressReporter {
 protected:
  void render(const ProgressState& state) override;
};

/// Forwards every (throttled) state to a callback.
class CallbackProgress : public ProgressReporter {
 public:
  explicit CallbackProgress(std::function<void(const ProgressState&)> callback) : callback_(std::move(callback)) {}

 protected:
  void render(const ProgressState& state) override { callback_(state); }

 private:
  std::function<void(const ProgressState&)> callback_;
};

/// Reports nothing.
class SilentProgress : public ProgressReporter {
 protected:
  void render(const ProgressState&) override {}
};

/// A terminal bar when stderr is a terminal and the CI environment variable is unset, else silent.
std::unique_ptr<ProgressReporter> make_default_progress();

/// "00:14", "1:02:03" (hours only when needed); "?" for negative values.
std::string format_duration(double seconds);

}  // namespace autodistill
