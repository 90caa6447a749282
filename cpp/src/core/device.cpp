#include "autodistill/core/device.h"

#include <algorithm>
#include <cctype>
#include <string>

#include <ATen/Context.h>

#include "autodistill/core/error.h"

namespace autodistill {

bool cuda_available() { return at::hasCUDA() && at::getNumGPUs() > 0; }

int cuda_device_count() { return at::hasCUDA() ? static_cast<int>(at::getNumGPUs()) : 0; }

std::string Device::str() const { return type == Type::CPU ? "cpu" : "cuda:" + std::to_string(index); }

Device parse_device(const std::string& spec_in) {
  std::string spec;
  for (char c : spec_in) spec += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (spec == "auto") return cuda_available() ? Device{Device::Type::CUDA, 0} : Device{};
  if (spec == "cpu") return Device{};
  if (spec.rfind("cuda", 0) == 0) {
    int index = 0;
    if (spec.size() > 4) {
      const std::string ordinal = spec.substr(5);
      AD_CHECK(spec[4] == ':' && !ordinal.empty() && ordinal.size() < 4 &&
                   std::all_of(ordinal.begin(), ordinal.end(), [](unsigned char c) { return std::isdigit(c); }),
               "unknown device '{}': expected 'auto', 'cpu', 'cuda' or 'cuda:N'", spec_in);
      index = std::stoi(ordinal);
    }
    AD_CHECK(at::hasCUDA(),
             "device '{}' requested, but this LibTorch was built without CUDA; use device='cpu', or build "
             "autodistill-cpp against a CUDA LibTorch (CMAKE_PREFIX_PATH=/path/to/libtorch)",
             spec_in);
    const int count = cuda_device_count();
    AD_CHECK(index < count, "device '{}' requested, but {} CUDA device(s) are visible{}", spec_in, count,
             count > 0 ? fmt::format(" (cuda:0 .. cuda:{})", count - 1) : std::string());
    return Device{Device::Type::CUDA, index};
  }
  AD_THROW(InvalidArgument, "unknown device '{}': expected 'auto', 'cpu', 'cuda' or 'cuda:N'", spec_in);
}

}  // namespace autodistill
