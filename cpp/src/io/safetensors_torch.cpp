#include "autodistill/io/safetensors_torch.h"

#include <ATen/ATen.h>

#include "autodistill/core/error.h"

namespace autodistill {

bool safetensors_to_scalar_type(SafetensorsDtype dtype, c10::ScalarType* out) {
  switch (dtype) {
    case SafetensorsDtype::BOOL: *out = at::kBool; return true;
    case SafetensorsDtype::U8: *out = at::kByte; return true;
    case SafetensorsDtype::I8: *out = at::kChar; return true;
    case SafetensorsDtype::I16: *out = at::kShort; return true;
    case SafetensorsDtype::I32: *out = at::kInt; return true;
    case SafetensorsDtype::I64: *out = at::kLong; return true;
    case SafetensorsDtype::F16: *out = at::kHalf; return true;
    case SafetensorsDtype::BF16: *out = at::kBFloat16; return true;
    case SafetensorsDtype::F32: *out = at::kFloat; return true;
    case SafetensorsDtype::F64: *out = at::kDouble; return true;
    default: return false;
  }
}

SafetensorsDtype safetensors_from_scalar_type(c10::ScalarType type) {
  switch (type) {
    case at::kBool: return SafetensorsDtype::BOOL;
    case at::kByte: return SafetensorsDtype::U8;
    case at::kChar: return SafetensorsDtype::I8;
    case at::kShort: return SafetensorsDtype::I16;
    case at::kInt: return SafetensorsDtype::I32;
    case at::kLong: return SafetensorsDtype::I64;
    case at::kHalf: return SafetensorsDtype::F16;
    case at::kBFloat16: return SafetensorsDtype::BF16;
    case at::kFloat: return SafetensorsDtype::F32;
    case at::kDouble: return SafetensorsDtype::F64;
    default: AD_THROW(InvalidArgument, "safetensors cannot store tensors of dtype {}", c10::toString(type));
  }
}

at::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const SafetensorsInfo& i = info(name);
  c10::ScalarType type{};
  AD_CHECK_IO(safetensors_to_scalar_type(i.dtype, &type),
              "safetensors file '{}', tensor '{}': dtype {} has no LibTorch equivalent", path_.string(), name,
              safetensors_dtype_name(i.dtype));
  const ByteSpan bytes = raw(name);
  const auto options = at::TensorOptions().dtype(type).device(at::kCPU);
  const size_t item = safetensors_dtype_size(i.dtype);
  if (reinterpret_cast<uintptr_t>(bytes.data) % item != 0) {
    // Files from other writers may leave data misaligned; kernels expect aligned elements.
    at::Tensor copy = at::empty(i.shape, options);
    if (bytes.size) std::memcpy(copy.data_ptr(), bytes.data, bytes.size);
    return copy;
  }
  std::shared_ptr<const void> hold = keep_alive();
  return at::from_blob(const_cast<uint8_t*>(bytes.data), i.shape, [hold](void*) mutable { hold.reset(); }, options);
}

std::vector<std::pair<std::string, at::Tensor>> load_safetensors(const SafetensorsFile& file) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  out.reserve(file.size());
  for (const auto& name : file.names()) out.emplace_back(name, file.tensor(name));
  return out;
}

void save_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<at::Tensor> keep;
  std::vector<SafetensorsEntry> entries;
  keep.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    AD_CHECK(t.defined(), "save_safetensors '{}': tensor '{}' is undefined", path.string(), name);
    at::Tensor c = t.to(at::kCPU).contiguous();
    if (c.is_conj()) c = c.resolve_conj();
    if (c.is_neg()) c = c.resolve_neg();
    keep.push_back(c);
    SafetensorsEntry e;
    e.name = name;
    e.dtype = safetensors_from_scalar_type(c.scalar_type());
    e.shape = c.sizes().vec();
    e.bytes = ByteSpan{static_cast<const uint8_t*>(c.data_ptr()), c.numel() * c.element_size()};
    entries.push_back(std::move(e));
  }
  save_safetensors_raw(path, std::move(entries), metadata);
}

}  // namespace autodistill
