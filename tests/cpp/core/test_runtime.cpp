// Device parsing, threads, build info, logging, errors and interruption.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>

#include "autodistill/core/build_info.h"
#include "autodistill/core/device.h"
#include "autodistill/core/error.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/core/logging.h"
#include "autodistill/core/threads.h"

using namespace autodistill;

TEST_CASE("device strings parse or fail with the accepted forms", "[core][device]") {
  CHECK(parse_device("cpu").str() == "cpu");
  CHECK(parse_device("CPU").str() == "cpu");
  CHECK(parse_device("auto") == (cuda_available() ? Device{Device::Type::CUDA, 0} : Device{}));
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda0", "", "tpu:0"}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse_device(bad), Catch::Contains("expected 'auto', 'cpu', 'cuda' or 'cuda:N'"));
  }
  if (!cuda_available()) {
    CHECK_THROWS_AS(parse_device("cuda"), InvalidArgument);
    CHECK_THROWS_WITH(parse_device("cuda:1"), Catch::Contains("cuda:1"));
  } else {
    CHECK_THROWS_WITH(parse_device("cuda:99"), Catch::Contains("CUDA device(s) are visible"));
  }
}

TEST_CASE("threads come from the hardware or the environment", "[core][threads]") {
  CHECK(available_cpus() >= 1);
  CHECK(configure_threads(1) == 1);
  CHECK(torch_num_threads() == 1);
  setenv("AUTODISTILL_NUM_THREADS", "2", 1);
  CHECK(configure_threads() == 2);
  CHECK(torch_num_threads() == 2);
  unsetenv("AUTODISTILL_NUM_THREADS");
  configure_threads(1);
}

TEST_CASE("build_info reports the LibTorch build and a BLAS", "[core][build_info]") {
  const BuildInfo b = build_info();
  CHECK(b.version == version());
  CHECK(b.libtorch_version.rfind("1.", 0) == 0);
  CHECK_FALSE(b.blas.empty());
  CHECK(b.num_threads >= 1);
}

TEST_CASE("log messages reach the installed sink at or above the level", "[core][logging]") {
  std::vector<std::pair<LogLevel, std::string>> seen;
  set_log_sink([&](LogLevel l, const std::string& m) { seen.emplace_back(l, m); });
  set_log_level(LogLevel::Info);
  log_debug("hidden {}", 1);
  log_info("shown {}", 2);
  log_warning("also {}", 3);
  set_log_level(LogLevel::Warning);
  set_log_sink(nullptr);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == std::make_pair(LogLevel::Info, std::string("shown 2")));
  CHECK(seen[1].first == LogLevel::Warning);
  CHECK(parse_log_level("WARN") == LogLevel::Warning);
  CHECK_THROWS_WITH(parse_log_level("loud"), Catch::Contains("unknown log level 'loud'"));
}

TEST_CASE("errors carry their type, message and location", "[core][error]") {
  try {
    AD_CHECK(1 + 1 == 3, "expected {} got {}", 3, 2);
    FAIL("AD_CHECK did not throw");
  } catch (const InvalidArgument& e) {
    CHECK(e.message() == "expected 3 got 2");
    CHECK(std::string(e.file()).find("test_runtime.cpp") != std::string::npos);
    CHECK(e.line() > 0);
  }
  CHECK_THROWS_AS([] { AD_CHECK_IO(false, "disk"); }(), IOError);
  CHECK_THROWS_AS([] { AD_THROW(Error, "x"); }(), Error);
}

TEST_CASE("throw_if_interrupted asks the installed checker", "[core][interrupt]") {
  throw_if_interrupted();  // no checker: nothing happens
  std::atomic<bool> stop{false};
  set_interrupt_checker([&] { return stop.load(); });
  throw_if_interrupted();
  stop = true;
  CHECK_THROWS_AS(throw_if_interrupted(), Interrupted);
  set_interrupt_checker(nullptr);
  throw_if_interrupted();
}
