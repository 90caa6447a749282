// configure_blas(): OpenBLAS's generic fallback kernels are replaced on CPUs it does not recognise,
// and matmuls stay correct.
#include <ATen/ATen.h>

#include "../catch_torch.h"
#include "autodistill/core/blas.h"
#include "autodistill/core/build_info.h"
#include "autodistill/core/threads.h"

using namespace autodistill;

TEST_CASE("configure_blas never leaves OpenBLAS on its generic kernels where AVX2 exists", "[core][blas]") {
  const std::string core = configure_blas();
  if (core.empty()) {
    WARN("the BLAS in this process is not OpenBLAS (" << build_info().blas << "): nothing to configure");
    return;
  }
  WARN("OpenBLAS core: " << core);
  __builtin_cpu_init();
  const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (has_avx2) CHECK(core != "Prescott");
  CHECK(configure_blas() == core);  // idempotent
  CHECK(build_info().blas.find(core) != std::string::npos);

  // The re-selected kernels compute the same products (odd shapes exercise the edge kernels).
  at::manual_seed(0);
  for (const auto& [m, k, n] : {std::array<int64_t, 3>{300, 77, 513}, {1, 768, 3072}, {577, 64, 577}}) {
    const at::Tensor a = at::randn({m, k}), b = at::randn({k, n});
    const at::Tensor ref = at::mm(a.to(at::kDouble), b.to(at::kDouble));
    const double err = (at::mm(a, b).to(at::kDouble) - ref).abs().max().item<double>();
    INFO(m << "x" << k << "x" << n);
    CHECK(err < 1e-3 * std::sqrt(double(k)));
  }
}
