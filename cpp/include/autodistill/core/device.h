#pragma once
/// \file
/// Device selection. Strings: "auto" (first CUDA device when LibTorch has CUDA and a GPU is
/// visible, else CPU), "cpu", "cuda" (= "cuda:0"), "cuda:N".

#include <string>

namespace autodistill {

struct Device {
  enum class Type { CPU, CUDA };
  Type type = Type::CPU;
  int index = 0;  ///< CUDA ordinal; 0 for CPU

  bool is_cuda() const noexcept { return type == Type::CUDA; }
  /// "cpu" or "cuda:N".
  std::string str() const;
  bool operator==(const Device& o) const noexcept { return type == o.type && index == o.index; }
};

/// Parses and resolves a device string. Throws InvalidArgument for an unknown string, for
/// "cuda" when LibTorch was built without CUDA or no GPU is visible, and for an ordinal that
/// does not exist; the message lists what is available.
Device parse_device(const std::string& spec);

/// True when LibTorch was built with CUDA and at least one GPU is visible.
bool cuda_available();
/// Number of visible CUDA devices (0 without CUDA).
int cuda_device_count();

}  // namespace autodistill
