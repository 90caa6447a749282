#include "cli.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>

#include <CLI/CLI.hpp>

#include "autodistill/core/build_info.h"
#include "autodistill/core/error.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/core/logging.h"
#include "commands.h"

namespace autodistill::cli {
namespace {
std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted = true; }
}  // namespace

InterruptOnSigint::InterruptOnSigint() {
  g_interrupted = false;
  previous_ = std::signal(SIGINT, on_sigint);
  set_interrupt_checker([] { return g_interrupted.load(); });
}

InterruptOnSigint::~InterruptOnSigint() {
  set_interrupt_checker(nullptr);
  std::signal(SIGINT, previous_);
}

int run(const std::vector<std::string>& args) {
  CLI::App app{"autodistill-cpp: label images with foundation models, train small detectors, evaluate."};
  app.set_version_flag("--version", std::string("autodistill-cpp ") + version());
  app.require_subcommand(1);
  std::string log_level = "warning";
  app.add_option("--log-level", log_level, "debug, info, warning, error or off")->capture_default_str();

  std::vector<std::function<int()>> runners;
  for (const SubcommandFactory& add : subcommands()) runners.push_back(add(app));

  std::vector<std::string> rest(args.rbegin(), args.rend());
  if (!rest.empty()) rest.pop_back();  // program name
  try {
    app.parse(rest);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  try {
    set_log_level(parse_log_level(log_level));
    for (auto& runner : runners) {
      if (runner) {
        const int code = runner();
        if (code >= 0) return code;
      }
    }
    return kExitOk;
  } catch (const InvalidArgument& e) {
    std::fprintf(stderr, "error: %s\n", e.message().c_str());
    return kExitUsage;
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.message().c_str());
    return kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitFailure;
  }
}

}  // namespace autodistill::cli
