#pragma once
/// \file
/// Whole-file reads with clear errors, and atomic writes: data goes to a temporary file in the
/// same folder which is then renamed over the target, so a reader (or a resumed run after a
/// crash) sees the old file or the new one, never half of one.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace autodistill {

/// Reads a whole file. IOError naming the file (and the OS reason) if it cannot be read.
std::string read_text_file(const std::filesystem::path& path);
std::vector<uint8_t> read_binary_file(const std::filesystem::path& path);

/// Writes `bytes` to `path` atomically; creates missing parent folders. IOError on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

}  // namespace autodistill
