#pragma once
// The `.autodistill/` folder of a label() output: lock, manifest, done journal, error log, and the
// clean-up of temporary files left by a killed run.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autodistill/core/detections.h"

namespace autodistill::label_detail {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

/// flock() on out/.autodistill/lock holding our pid. The kernel drops the lock when the process dies,
/// so a stale lock file is simply taken over. Error (not InvalidArgument) when another run holds it.
class OutputLock {
 public:
  explicit OutputLock(const fs::path& output);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  int fd_ = -1;
};

/// One journal line: an image that is done (labelled, or recorded as bad).
struct DoneRecord {
  std::string path;   // relative path
  std::string split;  // "train" / "valid"; empty for errors
  int width = 0, height = 0;
  Detections detections;
  std::string error;  // non-empty: a bad image
};

json record_to_json(const DoneRecord& r);
DoneRecord record_from_json(const json& j, const std::string& where);

/// Reads done.jsonl: drops (and truncates away) a torn last line left by a kill; a malformed line
/// elsewhere is IOError naming file and line. Missing file = no records.
std::vector<DoneRecord> read_journal(const fs::path& file, bool repair);

/// Appends lines; `sync()` flushes and fsyncs (once per batch).
class JournalWriter {
 public:
  explicit JournalWriter(const fs::path& file);
  ~JournalWriter();
  void append(const std::string& line);
  void sync();

 private:
  fs::path file_;
  std::FILE* f_ = nullptr;
};

/// Removes "<name>.tmp.<pid>[.<n>]" files (ours, from write_file_atomic / transfer_file) under `dir`.
int64_t remove_temp_files(const fs::path& dir);

inline fs::path state_dir(const fs::path& out) { return out / ".autodistill"; }

}  // namespace autodistill::label_detail
