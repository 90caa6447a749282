#include "test_paths.h"

#include <atomic>
#include <cstdio>
#include <unistd.h>

namespace autodistill::test {

void skip_unless_exists(const std::filesystem::path& path) {
  if (std::filesystem::exists(path)) return;
  std::fprintf(stderr, "SKIPPED: %s is absent (third-party data read from ../shared; set AUTODISTILL_SHARED_DIR)\n",
               path.string().c_str());
  std::fflush(stderr);
  std::exit(kSkipExitCode);
}

TempDir::TempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("autodistill_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace autodistill::test
