#include "autodistill/io/safetensors.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"

namespace autodistill {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// The reference implementation refuses headers above 100 MB.
constexpr uint64_t kMaxHeaderSize = 100'000'000;

struct DtypeRow {
  SafetensorsDtype dtype;
  const char* name;
  size_t size;
};
constexpr DtypeRow kDtypes[] = {
    {SafetensorsDtype::BOOL, "BOOL", 1}, {SafetensorsDtype::U8, "U8", 1},
    {SafetensorsDtype::I8, "I8", 1},     {SafetensorsDtype::F8_E5M2, "F8_E5M2", 1},
    {SafetensorsDtype::F8_E4M3, "F8_E4M3", 1}, {SafetensorsDtype::I16, "I16", 2},
    {SafetensorsDtype::U16, "U16", 2},   {SafetensorsDtype::F16, "F16", 2},
    {SafetensorsDtype::BF16, "BF16", 2}, {SafetensorsDtype::I32, "I32", 4},
    {SafetensorsDtype::U32, "U32", 4},   {SafetensorsDtype::F32, "F32", 4},
    {SafetensorsDtype::F64, "F64", 8},   {SafetensorsDtype::I64, "I64", 8},
    {SafetensorsDtype::U64, "U64", 8},
};

bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return false;
  *out = a * b;
  return true;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

}  // namespace

const char* safetensors_dtype_name(SafetensorsDtype dtype) { return kDtypes[static_cast<int>(dtype)].name; }
size_t safetensors_dtype_size(SafetensorsDtype dtype) { return kDtypes[static_cast<int>(dtype)].size; }

bool safetensors_dtype_from_name(const std::string& name, SafetensorsDtype* out) {
  for (const auto& row : kDtypes) {
    if (name == row.name) {
      *out = row.dtype;
      return true;
    }
  }
  return false;
}

int64_t SafetensorsInfo::numel() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
}

struct SafetensorsFile::Mapping {
  void* addr = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (addr != nullptr) ::munmap(addr, size);
  }
};

SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;
SafetensorsFile::~SafetensorsFile() = default;

std::shared_ptr<const void> SafetensorsFile::keep_alive() const { return mapping_; }

SafetensorsFile SafetensorsFile::open(const fs::path& path) {
  const std::string file = path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  AD_CHECK_IO(fd >= 0, "cannot open safetensors file '{}': {}", file, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    AD_THROW(IOError, "cannot read safetensors file '{}': not a regular file", file);
  }
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 8) {
    ::close(fd);
    AD_THROW(IOError, "safetensors file '{}' is too small ({} bytes): it must start with an 8-byte header length",
             file, file_size);
  }
  auto mapping = std::make_shared<Mapping>();
  // Private copy-on-write mapping of a read-only descriptor: tensors handed out may be written
  // to (LibTorch cannot mark them read-only) without faulting and without touching the file.
  void* addr = ::mmap(nullptr, file_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);
  AD_CHECK_IO(addr != MAP_FAILED, "cannot map safetensors file '{}': {}", file, std::strerror(map_errno));
  mapping->addr = addr;
  mapping->size = file_size;
  const auto* base = static_cast<const uint8_t*>(addr);

  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | base[i];
  AD_CHECK_IO(n <= kMaxHeaderSize, "safetensors file '{}': header length {} exceeds the {} byte limit (corrupt file?)",
              file, n, kMaxHeaderSize);
  AD_CHECK_IO(n + 8 <= file_size, "safetensors file '{}': header length {} goes beyond the file size {}", file, n,
              file_size);

  json header;
  try {
    header = json::parse(reinterpret_cast<const char*>(base + 8), reinterpret_cast<const char*>(base + 8 + n));
  } catch (const json::exception& e) {
    AD_THROW(IOError, "safetensors file '{}': header is not valid JSON: {}", file, e.what());
  }
  AD_CHECK_IO(header.is_object(), "safetensors file '{}': header must be a JSON object, got {}", file,
              header.type_name());

  SafetensorsFile out;
  out.path_ = path;
  std::vector<std::pair<std::string, SafetensorsInfo>> tensors;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (entry.is_null()) continue;
      AD_CHECK_IO(entry.is_object(), "safetensors file '{}': __metadata__ must be an object of strings, got {}", file,
                  entry.type_name());
      for (const auto& [key, value] : entry.items()) {
        AD_CHECK_IO(value.is_string(), "safetensors file '{}': __metadata__ value '{}' must be a string, got {}", file,
                    key, value.type_name());
        out.metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    AD_CHECK_IO(entry.is_object(), "safetensors file '{}', tensor '{}': entry must be an object, got {}", file, name,
                entry.type_name());
    SafetensorsInfo info{};
    auto dt = entry.find("dtype");
    AD_CHECK_IO(dt != entry.end(), "safetensors file '{}', tensor '{}': missing 'dtype'", file, name);
    AD_CHECK_IO(dt->is_string(), "safetensors file '{}', tensor '{}': 'dtype' must be a string, got {}", file, name,
                dt->type_name());
    AD_CHECK_IO(safetensors_dtype_from_name(dt->get<std::string>(), &info.dtype),
                "safetensors file '{}', tensor '{}': unsupported dtype '{}' (known: BOOL U8 I8 F8_E5M2 F8_E4M3 I16 "
                "U16 F16 BF16 I32 U32 F32 F64 I64 U64)",
                file, name, dt->get<std::string>());
    auto sh = entry.find("shape");
    AD_CHECK_IO(sh != entry.end(), "safetensors file '{}', tensor '{}': missing 'shape'", file, name);
    AD_CHECK_IO(sh->is_array(), "safetensors file '{}', tensor '{}': 'shape' must be an array, got {}", file, name,
                sh->type_name());
    uint64_t numel = 1;
    for (const auto& d : *sh) {
      AD_CHECK_IO(d.is_number_unsigned(),
                  "safetensors file '{}', tensor '{}': shape {} must hold non-negative integers", file, name,
                  sh->dump());
      const uint64_t v = d.get<uint64_t>();
      AD_CHECK_IO(v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) && checked_mul(numel, v, &numel),
                  "safetensors file '{}', tensor '{}': shape {} overflows", file, name, sh->dump());
      info.shape.push_back(static_cast<int64_t>(v));
    }
    auto off = entry.find("data_offsets");
    AD_CHECK_IO(off != entry.end(), "safetensors file '{}', tensor '{}': missing 'data_offsets'", file, name);
    AD_CHECK_IO(off->is_array() && off->size() == 2 && (*off)[0].is_number_unsigned() &&
                    (*off)[1].is_number_unsigned(),
                "safetensors file '{}', tensor '{}': 'data_offsets' must be two non-negative integers, got {}", file,
                name, off->dump());
    info.begin = (*off)[0].get<uint64_t>();
    info.end = (*off)[1].get<uint64_t>();
    AD_CHECK_IO(info.begin <= info.end, "safetensors file '{}', tensor '{}': data_offsets [{}, {}] begin after end",
                file, name, info.begin, info.end);
    uint64_t nbytes = 0;
    AD_CHECK_IO(checked_mul(numel, safetensors_dtype_size(info.dtype), &nbytes),
                "safetensors file '{}', tensor '{}': shape {} overflows", file, name, sh->dump());
    AD_CHECK_IO(info.end - info.begin == nbytes,
                "safetensors file '{}', tensor '{}': data_offsets [{}, {}] hold {} bytes but {} {} needs {}", file,
                name, info.begin, info.end, info.end - info.begin, safetensors_dtype_name(info.dtype),
                shape_str(info.shape), nbytes);
    tensors.emplace_back(name, std::move(info));
  }

  // Like the reference reader: sorted by offsets, the tensors must tile the data buffer exactly.
  std::stable_sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.second.begin, a.second.end) < std::make_pair(b.second.begin, b.second.end);
  });
  const uint64_t data_size = file_size - 8 - n;
  uint64_t expected = 0;
  std::string previous;
  for (const auto& [name, info] : tensors) {
    if (info.begin != expected) {
      if (info.begin < expected) {
        AD_THROW(IOError, "safetensors file '{}', tensor '{}': data_offsets [{}, {}] overlap tensor '{}' ending at {}",
                 file, name, info.begin, info.end, previous, expected);
      }
      AD_THROW(IOError,
               "safetensors file '{}', tensor '{}': data_offsets [{}, {}] leave a gap after {} (the data buffer "
               "must be covered without holes)",
               file, name, info.begin, info.end, previous.empty() ? std::string("the start") : "'" + previous + "'");
    }
    AD_CHECK_IO(info.end <= data_size,
                "safetensors file '{}', tensor '{}': data_offsets [{}, {}] go beyond the data buffer of {} bytes", file,
                name, info.begin, info.end, data_size);
    expected = info.end;
    previous = name;
  }
  AD_CHECK_IO(expected == data_size,
              "safetensors file '{}': tensors cover {} bytes but the data buffer holds {} (truncated or trailing "
              "bytes)",
              file, expected, data_size);

  out.mapping_ = std::move(mapping);
  out.data_ = base + 8 + n;
  for (auto& [name, info] : tensors) {
    out.names_.push_back(name);
    out.infos_.emplace(name, std::move(info));
  }
  return out;
}

const SafetensorsInfo& SafetensorsFile::info(const std::string& name) const {
  auto it = infos_.find(name);
  AD_CHECK_IO(it != infos_.end(), "safetensors file '{}' has no tensor '{}'", path_.string(), name);
  return it->second;
}

ByteSpan SafetensorsFile::raw(const std::string& name) const {
  const auto& i = info(name);
  return ByteSpan{data_ + i.begin, static_cast<size_t>(i.end - i.begin)};
}

void save_safetensors_raw(const fs::path& path, std::vector<SafetensorsEntry> entries,
                          const std::map<std::string, std::string>& metadata) {
  const std::string file = path.string();
  for (const auto& e : entries) {
    uint64_t numel = 1;
    for (int64_t d : e.shape) {
      AD_CHECK(d >= 0, "save_safetensors '{}': tensor '{}' has a negative dimension in {}", file, e.name,
               shape_str(e.shape));
      AD_CHECK(checked_mul(numel, static_cast<uint64_t>(d), &numel), "save_safetensors '{}': tensor '{}' shape {} overflows",
               file, e.name, shape_str(e.shape));
    }
    AD_CHECK(numel * safetensors_dtype_size(e.dtype) == e.bytes.size,
             "save_safetensors '{}': tensor '{}' ({} {}) needs {} bytes, got {}", file, e.name,
             safetensors_dtype_name(e.dtype), shape_str(e.shape), numel * safetensors_dtype_size(e.dtype),
             e.bytes.size);
    AD_CHECK(e.name != "__metadata__", "save_safetensors '{}': '__metadata__' is reserved, not a tensor name", file);
  }
  // Same order as the reference writer: dtype descending (largest alignment first), then name.
  std::sort(entries.begin(), entries.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    if (a.dtype != b.dtype) return a.dtype > b.dtype;
    return a.name < b.name;
  });
  {
    std::vector<std::string> names;
    for (const auto& e : entries) names.push_back(e.name);
    std::sort(names.begin(), names.end());
    auto dup = std::adjacent_find(names.begin(), names.end());
    AD_CHECK(dup == names.end(), "save_safetensors '{}': duplicate tensor name '{}'", file,
             dup == names.end() ? std::string() : *dup);
  }

  // The header is built by hand to keep the reference writer's key order (nlohmann sorts keys):
  // tensors in data order, then __metadata__, as in files written by Python safetensors.
  std::string header = "{";
  bool first = true;
  uint64_t offset = 0;
  for (const auto& e : entries) {
    if (!first) header += ",";
    first = false;
    const uint64_t nbytes = e.bytes.size;
    try {
      header += json(e.name).dump();
    } catch (const json::exception&) {
      AD_THROW(InvalidArgument, "save_safetensors '{}': tensor name is not valid UTF-8", file);
    }
    header += fmt::format(":{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
                          safetensors_dtype_name(e.dtype), fmt::join(e.shape, ","), offset, offset + nbytes);
    offset += nbytes;
  }
  if (!metadata.empty()) {
    if (!first) header += ",";
    header += "\"__metadata__\":";
    try {
      header += json(metadata).dump();
    } catch (const json::exception&) {
      AD_THROW(InvalidArgument, "save_safetensors '{}': metadata is not valid UTF-8", file);
    }
    first = false;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');

  static std::atomic<uint64_t> counter{0};
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  const fs::path tmp = file + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  AD_CHECK_IO(f != nullptr, "cannot write safetensors file '{}': {}", file, std::strerror(errno));
  uint8_t len[8];
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
  bool ok = std::fwrite(len, 1, 8, f) == 8 && std::fwrite(header.data(), 1, header.size(), f) == header.size();
  for (size_t i = 0; ok && i < entries.size(); ++i)
    ok = entries[i].bytes.size == 0 ||
         std::fwrite(entries[i].bytes.data, 1, entries[i].bytes.size, f) == entries[i].bytes.size;
  ok = ok && std::fflush(f) == 0;
  const int err = errno;
  std::fclose(f);
  if (!ok) {
    fs::remove(tmp, ec);
    AD_THROW(IOError, "cannot write safetensors file '{}': {}", file, std::strerror(err));
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    AD_THROW(IOError, "cannot move safetensors file '{}' into place: {}", file, ec.message());
  }
}

}  // namespace autodistill
