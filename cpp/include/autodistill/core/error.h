#pragma once
/// \file
/// The one exception hierarchy of autodistill-cpp and the macros that raise it.
///
/// Python maps `InvalidArgument` to `ValueError`, `IOError` to `OSError`, `Interrupted` to
/// `KeyboardInterrupt` and every other `Error` to `autodistill_cpp.Error` (a `RuntimeError`).
/// Messages say what was expected, what arrived and where; `what()` appends the C++ source
/// location only in debug builds so that user-facing messages stay readable.

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace autodistill {

/// Base of every exception the library throws.
class Error : public std::runtime_error {
 public:
  Error(std::string message, const char* file = nullptr, int line = 0);
  /// The message without the source location.
  const std::string& message() const noexcept { return message_; }
  /// C++ source file that raised the error (nullptr when unknown).
  const char* file() const noexcept { return file_; }
  int line() const noexcept { return line_; }

 private:
  std::string message_;
  const char* file_;
  int line_;
};

/// A caller passed something invalid: a bad shape, dtype, option, ontology or device string.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// A file could not be read or written, or its contents are malformed.
class IOError : public Error {
 public:
  using Error::Error;
};

/// A long operation stopped because the user asked (Ctrl-C in Python, a cancel callback in C++).
class Interrupted : public Error {
 public:
  using Error::Error;
};

namespace detail {
[[noreturn]] void throw_error(int kind, std::string message, const char* file, int line);
enum ErrorKind : int { kError = 0, kInvalidArgument = 1, kIOError = 2, kInterrupted = 3 };
}  // namespace detail

}  // namespace autodistill

/// Throws `autodistill::InvalidArgument` with an fmt-formatted message unless `cond` holds.
#define AD_CHECK(cond, ...)                                                                      \
  do {                                                                                           \
    if (!(cond))                                                                                 \
      ::autodistill::detail::throw_error(::autodistill::detail::kInvalidArgument,                \
                                         ::fmt::format(__VA_ARGS__), __FILE__, __LINE__);        \
  } while (false)

/// Throws `autodistill::IOError` with an fmt-formatted message unless `cond` holds.
#define AD_CHECK_IO(cond, ...)                                                                   \
  do {                                                                                           \
    if (!(cond))                                                                                 \
      ::autodistill::detail::throw_error(::autodistill::detail::kIOError,                        \
                                         ::fmt::format(__VA_ARGS__), __FILE__, __LINE__);        \
  } while (false)

/// Throws the given error type (`Error`, `InvalidArgument`, `IOError`, `Interrupted`) unconditionally.
#define AD_THROW(Type, ...) throw ::autodistill::Type(::fmt::format(__VA_ARGS__), __FILE__, __LINE__)
