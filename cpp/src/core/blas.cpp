#include "autodistill/core/blas.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#include <dlfcn.h>

#include "autodistill/core/logging.h"

namespace autodistill {
namespace {

// OpenBLAS's exported entry points, looked up at run time: the BLAS may be another library.
using CoreNameFn = char* (*)();
using VoidFn = void (*)();

std::string openblas_core() {
  auto corename = reinterpret_cast<CoreNameFn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return corename ? std::string(corename()) : std::string();
}

const char* better_core() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return nullptr;
}

}  // namespace

std::string configure_blas() {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::string core = openblas_core();
  if (core.empty() || std::getenv("OPENBLAS_CORETYPE") != nullptr) return core;
  // Only the generic fallback is overridden: a core OpenBLAS recognised is its own best choice.
  if (core != "Prescott" && core != "prescott") return core;
  const char* better = better_core();
  auto quit = reinterpret_cast<VoidFn>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit"));
  auto init = reinterpret_cast<VoidFn>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init"));
  if (!better || !quit || !init) return core;
  // gotoblas_dynamic_init() reads OPENBLAS_CORETYPE; quit() only forgets the current kernel table.
  setenv("OPENBLAS_CORETYPE", better, 0);
  quit();
  init();
  const std::string now = openblas_core();
  log_info("OpenBLAS did not recognise this CPU and chose its generic '{}' kernels; switched to '{}' "
           "(set OPENBLAS_CORETYPE to choose yourself)", core, now);
  return now;
}

}  // namespace autodistill
