#include "autodistill/core/progress.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <unistd.h>

#include <fmt/format.h>

namespace autodistill {

void ProgressReporter::start(const std::string& task, int64_t total) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    state_ = ProgressState{};
    state_.task = task;
    state_.total = total;
    started_ = last_render_ = std::chrono::steady_clock::now();
  }
  render(state());
}

ProgressState ProgressReporter::snapshot_locked() const {
  ProgressState s = state_;
  s.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  s.rate = s.elapsed_s > 0 ? static_cast<double>(s.done) / s.elapsed_s : 0;
  s.eta_s = (s.total > 0 && s.rate > 0) ? static_cast<double>(s.total - s.done) / s.rate : -1;
  return s;
}

void ProgressReporter::advance(int64_t n, const std::string& detail) {
  ProgressState s;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    state_.done += n;
    if (!detail.empty()) state_.detail = detail;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_render_ < min_interval) return;
    last_render_ = now;
    s = snapshot_locked();
  }
  render(s);
}

void ProgressReporter::finish(const std::string& detail) {
  ProgressState s;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!detail.empty()) state_.detail = detail;
    state_.finished = true;
    s = snapshot_locked();
  }
  render(s);
}

ProgressState ProgressReporter::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return snapshot_locked();
}

std::string format_duration(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "?";
  const auto total = static_cast<int64_t>(seconds + 0.5);
  const int64_t h = total / 3600, m = (total / 60) % 60, s = total % 60;
  return h > 0 ? fmt::format("{}:{:02d}:{:02d}", h, m, s) : fmt::format("{:02d}:{:02d}", m, s);
}

void TerminalProgress::render(const ProgressState& s) {
  std::string bar;
  if (s.total > 0) {
    const double frac = std::min(1.0, static_cast<double>(s.done) / static_cast<double>(s.total));
    const int width = 24, filled = static_cast<int>(frac * width);
    bar = fmt::format("{:3.0f}% |{}{}| {}/{}", frac * 100, std::string(filled, '#'), std::string(width - filled, ' '),
                      s.done, s.total);
  } else {
    bar = fmt::format("{}", s.done);
  }
  std::fprintf(stderr, "\r%s %s [%s<%s, %.1f it/s]%s%s\033[K%s", s.task.c_str(), bar.c_str(),
               format_duration(s.elapsed_s).c_str(), format_duration(s.eta_s).c_str(), s.rate,
               s.detail.empty() ? "" : " ", s.detail.c_str(), s.finished ? "\n" : "");
  std::fflush(stderr);
}

std::unique_ptr<ProgressReporter> make_default_progress() {
  const char* ci = std::getenv("CI");
  if (isatty(STDERR_FILENO) && !(ci && *ci)) return std::make_unique<TerminalProgress>();
  return std::make_unique<SilentProgress>();
}

}  // namespace autodistill
