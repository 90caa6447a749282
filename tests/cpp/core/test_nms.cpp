#include <catch2/catch.hpp>

#include "autodistill/core/nms.h"

using namespace autodistill;

TEST_CASE("nms keeps the highest-scoring of overlapping boxes", "[core][nms]") {
  BoxArray b(3, 4);
  b << 0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30;
  Eigen::VectorXf s(3);
  s << 0.8f, 0.9f, 0.5f;
  const auto keep = nms(b, s, 0.5f);
  REQUIRE(keep == std::vector<int64_t>{1, 2});
}
