#pragma once
/// \file
/// OpenBLAS kernel selection. OpenBLAS builds with DYNAMIC_ARCH (Debian's) choose their kernels from
/// the CPU model at load time; a CPU they do not know (recent Xeons, many VMs) gets the generic
/// "Prescott" kernels, about 5x slower than the AVX-512 ones on such machines (measured here: 20 vs
/// 106 GFLOP/s for a 2048^2 fp32 matmul on 2 cores). LibTorch's fp32 matmuls go through that BLAS.

#include <string>

namespace autodistill {

/// When the BLAS in the process is OpenBLAS, OPENBLAS_CORETYPE is unset and OpenBLAS fell back to
/// "Prescott" on a CPU with AVX-512 (F/BW/VL/DQ/CD) or AVX2+FMA, re-selects the SkylakeX or Haswell
/// kernels exactly as OPENBLAS_CORETYPE would have (and logs it once). Returns the OpenBLAS core in
/// use, or "" when the BLAS is not OpenBLAS. Idempotent; must not run concurrently with BLAS calls
/// (configure_threads() calls it).
std::string configure_blas();

}  // namespace autodistill
