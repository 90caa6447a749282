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
