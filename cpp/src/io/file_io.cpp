#include "autodistill/io/file_io.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <unistd.h>

#include "autodistill/core/error.h"

namespace autodistill {
namespace fs = std::filesystem;

namespace {
template <typename Container>
Container read_whole(const fs::path& path) {
  std::error_code ec;
  AD_CHECK_IO(fs::exists(path, ec), "cannot read '{}': no such file", path.string());
  AD_CHECK_IO(!fs::is_directory(path, ec), "cannot read '{}': it is a directory", path.string());
  std::ifstream in(path, std::ios::binary);
  AD_CHECK_IO(in.good(), "cannot open '{}': {}", path.string(), std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  Container out;
  out.resize(static_cast<size_t>(std::max<std::streamoff>(size, 0)));
  if (!out.empty()) in.read(reinterpret_cast<char*>(out.data()), size);
  AD_CHECK_IO(in.good() || in.eof(), "error while reading '{}'", path.string());
  return out;
}
}  // namespace

std::string read_text_file(const fs::path& path) { return read_whole<std::string>(path); }
std::vector<uint8_t> read_binary_file(const fs::path& path) { return read_whole<std::vector<uint8_t>>(path); }

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  static std::atomic<uint64_t> counter{0};
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  // Unique per process and call, so concurrent writers never share a temporary.
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    AD_CHECK_IO(f != nullptr, "cannot write '{}': {}", path.string(), std::strerror(errno));
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
    const int err = errno;
    std::fclose(f);
    if (!ok) {
      fs::remove(tmp, ec);
      AD_THROW(IOError, "cannot write '{}': {}", path.string(), std::strerror(err));
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    AD_THROW(IOError, "cannot move '{}' into place: {}", path.string(), ec.message());
  }
}

}  // namespace autodistill
