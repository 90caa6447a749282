#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "autodistill/core/progress.h"

using namespace autodistill;

TEST_CASE("progress counts concurrent advances and reports the final state", "[core][progress]") {
  std::vector<ProgressState> seen;
  std::mutex m;
  CallbackProgress p([&](const ProgressState& s) {
    std::lock_guard<std::mutex> lock(m);
    seen.push_back(s);
  });
  p.start("work", 4000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) p.advance();
    });
  for (auto& t : threads) t.join();
  p.finish("done");
  REQUIRE(seen.size() >= 2);  // start and finish at least; throttling drops most of the rest
  CHECK(seen.size() < 100);
  CHECK(seen.front().done == 0);
  CHECK(seen.back().finished);
  CHECK(seen.back().done == 4000);
  CHECK(seen.back().detail == "done");
  CHECK(seen.back().rate > 0);
}

TEST_CASE("durations format as mm:ss or h:mm:ss", "[core][progress]") {
  CHECK(format_duration(0) == "00:00");
  CHECK(format_duration(75.4) == "01:15");
  CHECK(format_duration(3723) == "1:02:03");
  CHECK(format_duration(-1) == "?");
}
