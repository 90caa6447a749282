#pragma once
// Where test data lives. Fixtures we ship are under tests/fixtures; third-party data (coco128, the
// real CLIP vocabulary) is read from ../shared and tests that need it skip with a message if absent.
#include <cstdlib>
#include <filesystem>
#include <string>

namespace autodistill::test {

inline std::filesystem::path fixtures_dir() { return AUTODISTILL_TEST_FIXTURES; }

inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("AUTODISTILL_SHARED_DIR")) return env;
  return AUTODISTILL_SHARED_DIR;
}

/// Exit code CTest reports as "Skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt).
inline constexpr int kSkipExitCode = 77;

/// Third-party data (under ../shared) is not shipped with the repository. When `path` is absent the
/// test is skipped: a message names the missing path and the process exits with kSkipExitCode,
/// which CTest counts as skipped, never as passed. (CTest runs each test case in its own process.)
void skip_unless_exists(const std::filesystem::path& path);

/// A fresh empty folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "test");
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace autodistill::test
