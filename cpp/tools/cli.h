#pragma once
/// \file
/// Entry point of the `autodistill-cpp` command line, shared by the executable and the Python
/// package. Exit codes: 0 success, 1 failure while working, 2 bad usage or bad input.

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace autodistill::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
/// `label` finished but some images were bad (listed in OUT/.autodistill/errors.jsonl).
inline constexpr int kExitBadImages = 3;
/// Stopped by Ctrl-C (128 + SIGINT, as shells report it); the output is resumable.
inline constexpr int kExitInterrupted = 130;

/// While alive, Ctrl-C (SIGINT) makes the library's long loops throw `Interrupted` (at their next
/// check) instead of killing the process, so they can leave resumable state behind.
class InterruptOnSigint {
 public:
  InterruptOnSigint();
  ~InterruptOnSigint();
  InterruptOnSigint(const InterruptOnSigint&) = delete;
  InterruptOnSigint& operator=(const InterruptOnSigint&) = delete;

 private:
  void (*previous_)(int) = nullptr;
};

/// Runs the command line with argv-style arguments (args[0] is the program name).
int run(const std::vector<std::string>& args);

// Each subcommand adds itself to the app and returns the callback that runs it.
// (cmd_<name>.cpp; the table of subcommands is in cli.cpp.)
}  // namespace autodistill::cli
