#pragma once
/// \file
/// Reader and writer for the safetensors format (https://github.com/huggingface/safetensors):
/// 8 bytes little-endian header length N, N bytes of JSON header, then the data buffer.
///
/// The reader memory-maps the file and validates the header the way the reference Rust crate
/// does: tensors sorted by offset must tile the data buffer from 0 to the end of the file with
/// no gap and no overlap, and each tensor's byte size must equal product(shape) * itemsize.
/// Every problem is an `IOError` naming the file and, where there is one, the tensor.
///
/// This header is LibTorch-free; `tensor()` is declared here with a forward-declared
/// `at::Tensor` and defined with the other LibTorch functions in io/safetensors_torch.h.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace at {
class Tensor;
}

namespace autodistill {

/// The dtypes of the format, in the order the reference implementation declares them (the
/// writer sorts tensors by this order, descending, then by name).
enum class SafetensorsDtype : uint8_t { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

/// "F32", "BF16", ... as written in headers.
const char* safetensors_dtype_name(SafetensorsDtype dtype);
/// Bytes per element.
size_t safetensors_dtype_size(SafetensorsDtype dtype);
/// Parses a dtype name; false if unknown.
bool safetensors_dtype_from_name(const std::string& name, SafetensorsDtype* out);

/// One tensor's header entry. Offsets are relative to the start of the data buffer
/// (i.e. after the 8-byte length and the header), as in the file.
struct SafetensorsInfo {
  SafetensorsDtype dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
  int64_t numel() const;
};

/// A read-only view of bytes inside the mapping.
struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

/// An opened, validated safetensors file. Cheap to move; not copyable. Thread-safe for
/// concurrent reads. The mapping stays alive while this object or any tensor made from it lives.
class SafetensorsFile {
 public:
  /// Maps and validates `path`. IOError (naming the file and tensor) on any problem.
  static SafetensorsFile open(const std::filesystem::path& path);

  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  ~SafetensorsFile();

  const std::filesystem::path& path() const { return path_; }
  /// Tensor names in file order (increasing data offset).
  const std::vector<std::string>& names() const { return names_; }
  size_t size() const { return names_.size(); }
  bool contains(const std::string& name) const { return infos_.count(name) != 0; }
  /// IOError naming the file if `name` is absent.
  const SafetensorsInfo& info(const std::string& name) const;
  /// The tensor's bytes (little-endian, C order); valid while this object lives.
  ByteSpan raw(const std::string& name) const;
  /// The `__metadata__` map (empty when the file has none).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// A handle that keeps the mapping alive (for zero-copy views that outlive this object).
  std::shared_ptr<const void> keep_alive() const;

  /// Zero-copy CPU tensor over the mapping (copied only if the data is misaligned for its
  /// dtype). Defined in safetensors.cpp but needs io/safetensors_torch.h to be called.
  /// The mapping is private copy-on-write: writing into the tensor never changes the file.
  /// IOError for dtypes LibTorch 1.13 lacks (U16, U32, U64, F8_*), naming the tensor.
  at::Tensor tensor(const std::string& name) const;

 private:
  struct Mapping;
  SafetensorsFile() = default;
  std::filesystem::path path_;
  std::shared_ptr<Mapping> mapping_;
  const uint8_t* data_ = nullptr;  // start of the data buffer inside the mapping
  std::vector<std::string> names_;
  std::unordered_map<std::string, SafetensorsInfo> infos_;
  std::map<std::string, std::string> metadata_;
};

/// A tensor to write: dtype, shape and `product(shape) * itemsize` bytes, little-endian C order.
struct SafetensorsEntry {
  std::string name;
  SafetensorsDtype dtype;
  std::vector<int64_t> shape;
  ByteSpan bytes;
};

/// Writes a safetensors file atomically (temporary file in the same folder, then rename),
/// streaming each tensor's bytes. Same layout as the reference writer: tensors sorted by dtype
/// (descending) then name, header JSON compact, `__metadata__` last (keys sorted), header padded
/// with spaces to a multiple of 8. InvalidArgument for duplicate names, negative dims or a byte
/// count that does not match the shape; IOError if the file cannot be written.
void save_safetensors_raw(const std::filesystem::path& path, std::vector<SafetensorsEntry> entries,
                          const std::map<std::string, std::string>& metadata = {});

}  // namespace autodistill
