#include "output_state.h"

#include <cerrno>
#include <cstring>
#include <regex>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "../io/dataset_util.h"
#include "autodistill/core/error.h"
#include "autodistill/io/file_io.h"

namespace autodistill::label_detail {

OutputLock::OutputLock(const fs::path& output) {
  std::error_code ec;
  fs::create_directories(state_dir(output), ec);
  const fs::path file = state_dir(output) / "lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  AD_CHECK_IO(fd_ >= 0, "cannot open lock file '{}': {}", file.string(), std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {0};
    const ssize_t n = ::pread(fd_, buf, sizeof(buf) - 1, 0);
    ::close(fd_);
    fd_ = -1;
    const std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("unknown");
    AD_THROW(Error, "output folder '{}' is in use by another labelling run (pid {}); wait for it to finish or "
             "choose another output folder", output.string(), pid.substr(0, pid.find_first_of("\r\n")));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The pid is informative only; the flock is the lock.
  }
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

json record_to_json(const DoneRecord& r) {
  json j = json::object();
  j["path"] = r.path;
  if (!r.error.empty()) {
    j["error"] = r.error;
    return j;
  }
  j["split"] = r.split;
  j["width"] = r.width;
  j["height"] = r.height;
  json boxes = json::array(), scores = json::array(), classes = json::array();
  const Detections& d = r.detections;
  for (int64_t i = 0; i < d.size(); ++i) {
    boxes.push_back({detail::clean_number(d.xyxy()(i, 0)), detail::clean_number(d.xyxy()(i, 1)),
                     detail::clean_number(d.xyxy()(i, 2)), detail::clean_number(d.xyxy()(i, 3))});
    scores.push_back(detail::clean_number(d.confidence()[i]));
    classes.push_back(d.class_id()[i]);
  }
  j["class_id"] = std::move(classes);
  j["xyxy"] = std::move(boxes);
  j["confidence"] = std::move(scores);
  return j;
}

DoneRecord record_from_json(const json& j, const std::string& where) {
  DoneRecord r;
  try {
    r.path = j.at("path").get<std::string>();
    if (j.contains("error")) {
      r.error = j.at("error").get<std::string>();
      return r;
    }
    r.split = j.at("split").get<std::string>();
    r.width = j.at("width").get<int>();
    r.height = j.at("height").get<int>();
    const auto& boxes = j.at("xyxy");
    const auto n = static_cast<Eigen::Index>(boxes.size());
    AD_CHECK_IO(j.at("confidence").size() == boxes.size() && j.at("class_id").size() == boxes.size(),
                "{}: xyxy, confidence and class_id differ in length", where);
    BoxArray xyxy(n, 4);
    ScoreArray conf(n);
    ClassIdArray cid(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      for (int k = 0; k < 4; ++k) xyxy(i, k) = boxes[i].at(k).get<float>();
      conf[i] = j["confidence"][i].get<float>();
      cid[i] = j["class_id"][i].get<int64_t>();
    }
    r.detections = Detections(std::move(xyxy), std::move(conf), std::move(cid));
  } catch (const json::exception& e) {
    AD_THROW(IOError, "{}: malformed record ({})", where, e.what());
  }
  return r;
}

std::vector<DoneRecord> read_journal(const fs::path& file, bool repair) {
  std::vector<DoneRecord> out;
  std::error_code ec;
  if (!fs::exists(file, ec)) return out;
  const std::string text = read_text_file(file);
  const size_t last_nl = text.rfind('\n');
  const size_t good = last_nl == std::string::npos ? 0 : last_nl + 1;
  if (good < text.size() && repair) {
    // A kill in the middle of an append: the torn line is not a done image.
    fs::resize_file(file, good, ec);
    AD_CHECK_IO(!ec, "cannot repair journal '{}': {}", file.string(), ec.message());
  }
  std::istringstream in(text.substr(0, good));
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.empty()) continue;
    const std::string where = fmt::format("{}:{}", file.string(), line_no);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      AD_THROW(IOError, "{}: not valid JSON ({})", where, e.what());
    }
    out.push_back(record_from_json(j, where));
  }
  return out;
}

JournalWriter::JournalWriter(const fs::path& file) : file_(file) {
  f_ = std::fopen(file.c_str(), "ab");
  AD_CHECK_IO(f_ != nullptr, "cannot open journal '{}': {}", file.string(), std::strerror(errno));
}

JournalWriter::~JournalWriter() {
  if (f_) std::fclose(f_);
}

void JournalWriter::append(const std::string& line) {
  AD_CHECK_IO(std::fwrite(line.data(), 1, line.size(), f_) == line.size() && std::fputc('\n', f_) != EOF,
              "cannot append to '{}': {}", file_.string(), std::strerror(errno));
}

void JournalWriter::sync() {
  AD_CHECK_IO(std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0, "cannot sync '{}': {}", file_.string(),
              std::strerror(errno));
}

int64_t remove_temp_files(const fs::path& dir) {
  static const std::regex temp_name(R"(.*\.tmp\.[0-9]+(\.[0-9]+)?$)");
  int64_t removed = 0;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  std::vector<fs::path> doomed;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && std::regex_match(it->path().filename().string(), temp_name))
      doomed.push_back(it->path());
  for (const fs::path& p : doomed) removed += fs::remove(p, ec) ? 1 : 0;
  return removed;
}

}  // namespace autodistill::label_detail
