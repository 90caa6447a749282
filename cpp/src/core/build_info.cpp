#include "autodistill/core/build_info.h"

#include <dlfcn.h>

#include <opencv2/core/version.hpp>
#include <torch/version.h>

#include "autodistill/core/device.h"
#include "autodistill/core/threads.h"

#ifndef AUTODISTILL_VERSION
#error "AUTODISTILL_VERSION must be defined by the build"
#endif

namespace autodistill {
namespace {
// LibTorch reaches BLAS through sgemm_; whichever library provides that symbol at run time is what
// matters (Debian switches libblas.so.3 between reference BLAS and OpenBLAS with alternatives).
std::string runtime_blas() {
  std::string name;
  if (void* sym = dlsym(RTLD_DEFAULT, "sgemm_")) {
    Dl_info info{};
    if (dladdr(sym, &info) && info.dli_fname) name = info.dli_fname;
  }
  using ConfigFn = char* (*)();
  if (auto cfg = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    name = std::string(cfg()) + (name.empty() ? "" : " (" + name + ")");
  }
  return name.empty() ? "unknown (no sgemm_ symbol loaded)" : name;
}
}  // namespace

const char* version() { return AUTODISTILL_VERSION; }

BuildInfo build_info() {
  BuildInfo b;
  b.version = AUTODISTILL_VERSION;
  b.libtorch_version = TORCH_VERSION;
  b.opencv_version = CV_VERSION;
  b.blas = runtime_blas();
  b.cuda_device_count = cuda_device_count();
  // A CUDA LibTorch always has libtorch_cuda.so loaded next to libtorch_cpu.so.
  if (void* h = dlopen("libtorch_cuda.so", RTLD_NOW | RTLD_NOLOAD)) {
    b.cuda_compiled = true;
    dlclose(h);
  }
  b.cuda_available = cuda_available();
  ensure_threads_configured();
  b.num_threads = torch_num_threads();
  b.cxx11_abi = _GLIBCXX_USE_CXX11_ABI;
#if defined(__clang__)
  b.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  b.compiler = "gcc " __VERSION__;
#endif
  return b;
}

}  // namespace autodistill
