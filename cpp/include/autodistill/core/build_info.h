#pragma once
/// \file
/// What this build of autodistill-cpp was compiled against and what it runs on.

#include <string>

namespace autodistill {

/// Library version, "MAJOR.MINOR.PATCH".
const char* version();

struct BuildInfo {
  std::string version;           ///< autodistill-cpp version
  std::string libtorch_version;  ///< LibTorch version the library was compiled against
  std::string opencv_version;
  std::string blas;              ///< BLAS library LibTorch calls at run time (path or name)
  bool cuda_compiled = false;    ///< LibTorch has CUDA support
  bool cuda_available = false;   ///< ... and a GPU is visible
  int cuda_device_count = 0;
  int num_threads = 0;           ///< LibTorch intra-op threads
  int cxx11_abi = 1;             ///< _GLIBCXX_USE_CXX11_ABI of this build
  std::string compiler;
};

BuildInfo build_info();

}  // namespace autodistill
