#include "autodistill/core/threads.h"

#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include <sched.h>

#include <ATen/Parallel.h>
#include <opencv2/core/utility.hpp>

#include "autodistill/core/blas.h"

namespace autodistill {
namespace {
int env_threads(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (end && *end == '\0' && n > 0 && n < 4096) ? static_cast<int>(n) : 0;
}
}  // namespace

int available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? static_cast<int>(hc) : 1;
}

int configure_threads(int num_threads) {
  int n = num_threads;
  if (n <= 0) n = env_threads("AUTODISTILL_NUM_THREADS");
  if (n <= 0) n = env_threads("OMP_NUM_THREADS");
  if (n <= 0) n = available_cpus();
  configure_blas();
  at::set_num_threads(n);
  cv::setNumThreads(n);
  return n;
}

void ensure_threads_configured() {
  static std::once_flag once;
  std::call_once(once, [] { configure_threads(0); });
}

int torch_num_threads() { return at::get_num_threads(); }

}  // namespace autodistill
