#include "autodistill/core/error.h"

namespace autodistill {
namespace {
std::string with_location(const std::string& message, const char* file, int line) {
#ifndef NDEBUG
  if (file) return fmt::format("{} [{}:{}]", message, file, line);
#else
  (void)file;
  (void)line;
#endif
  return message;
}
}  // namespace

Error::Error(std::string message, const char* file, int line)
    : std::runtime_error(with_location(message, file, line)),
      message_(std::move(message)),
      file_(file),
      line_(line) {}

namespace detail {
void throw_error(int kind, std::string message, const char* file, int line) {
  switch (kind) {
    case kInvalidArgument: throw InvalidArgument(std::move(message), file, line);
    case kIOError: throw IOError(std::move(message), file, line);
    case kInterrupted: throw Interrupted(std::move(message), file, line);
    default: throw Error(std::move(message), file, line);
  }
}
}  // namespace detail
}  // namespace autodistill
