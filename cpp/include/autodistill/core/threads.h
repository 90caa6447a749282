#pragma once
/// \file
/// Thread pools of LibTorch (intra-op) and OpenCV sized from the hardware. Debian's LibTorch
/// starts with one intra-op thread; the library calls `configure_threads()` once, lazily, before
/// the first model is built.

namespace autodistill {

/// CPUs this process may run on (sched affinity, so containers and `taskset` are respected).
int available_cpus();

/// Sets LibTorch's intra-op threads and OpenCV's threads (and lets configure_blas() fix OpenBLAS's
/// kernel choice, core/blas.h). `num_threads <= 0` means: the
/// AUTODISTILL_NUM_THREADS or OMP_NUM_THREADS environment variable if set, else available_cpus().
/// Returns the number used.
int configure_threads(int num_threads = 0);

/// Calls configure_threads() the first time only; cheap afterwards.
void ensure_threads_configured();

/// LibTorch's current intra-op thread count.
int torch_num_threads();

}  // namespace autodistill
