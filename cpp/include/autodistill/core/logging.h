#pragma once
/// \file
/// The library's logger. The library never prints: messages go to one sink (stderr by default;
/// Python routes them to the `logging` module's "autodistill_cpp" logger). Thread-safe.

#include <functional>
#include <string>

#include <fmt/format.h>

namespace autodistill {

enum class LogLevel { Debug = 10, Info = 20, Warning = 30, Error = 40, Off = 100 };

/// Receives every message at or above the current level. Called from any thread.
using LogSink = std::function<void(LogLevel, const std::string&)>;

/// Replaces the sink; an empty function restores the default stderr sink.
void set_log_sink(LogSink sink);
void set_log_level(LogLevel level);
LogLevel log_level();
/// Parses "debug", "info", "warning", "error", "off" (case-insensitive).
LogLevel parse_log_level(const std::string& name);

void log_message(LogLevel level, const std::string& message);

template <typename... Args>
void log_debug(fmt::format_string<Args...> f, Args&&... args) {
  if (log_level() <= LogLevel::Debug) log_message(LogLevel::Debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_info(fmt::format_string<Args...> f, Args&&... args) {
  if (log_level() <= LogLevel::Info) log_message(LogLevel::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_warning(fmt::format_string<Args...> f, Args&&... args) {
  if (log_level() <= LogLevel::Warning) log_message(LogLevel::Warning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_error(fmt::format_string<Args...> f, Args&&... args) {
  if (log_level() <= LogLevel::Error) log_message(LogLevel::Error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace autodistill
