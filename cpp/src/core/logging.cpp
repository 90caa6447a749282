#include "autodistill/core/logging.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>

#include "autodistill/core/error.h"

namespace autodistill {
namespace {
std::atomic<LogLevel> g_level{LogLevel::Warning};
std::mutex g_sink_mutex;
std::shared_ptr<LogSink> g_sink;  // null = stderr

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
    default: return "off";
  }
}
}  // namespace

void set_log_sink(LogSink sink) {
  std::lock_guard<std::mutex> lock(g_sink_mutex);
  g_sink = sink ? std::make_shared<LogSink>(std::move(sink)) : nullptr;
}

void set_log_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }

LogLevel parse_log_level(const std::string& name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (LogLevel l : {LogLevel::Debug, LogLevel::Info, LogLevel::Warning, LogLevel::Error, LogLevel::Off})
    if (n == level_name(l)) return l;
  if (n == "warn") return LogLevel::Warning;
  AD_THROW(InvalidArgument, "unknown log level '{}': expected debug, info, warning, error or off", name);
}

void log_message(LogLevel level, const std::string& message) {
  if (level < g_level.load() || level >= LogLevel::Off) return;
  std::shared_ptr<LogSink> sink;
  {
    std::lock_guard<std::mutex> lock(g_sink_mutex);
    sink = g_sink;
  }
  // Called outside the lock so a sink may itself log or take other locks (the GIL in Python).
  if (sink) {
    (*sink)(level, message);
  } else {
    std::fprintf(stderr, "[autodistill %s] %s\n", level_name(level), message.c_str());
  }
}

}  // namespace autodistill
