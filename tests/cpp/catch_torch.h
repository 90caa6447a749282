#pragma once
// LibTorch's c10 logging pulls in glog, whose CHECK macro replaces Catch's. Include this after
// the ATen/torch headers in a test file to get Catch's CHECK back.
#include <catch2/catch.hpp>
#ifdef CHECK
#undef CHECK
#endif
#define CHECK(...) INTERNAL_CATCH_TEST("CHECK", Catch::ResultDisposition::ContinueOnFailure, __VA_ARGS__)
