// Resume after a real kill: the CLI labels a folder in a child process, is SIGKILLed mid-run, and the same
// command run again finishes the job with every image labelled exactly once and no temp files.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "test_paths.h"

extern char** environ;

namespace fs = std::filesystem;

namespace {

#ifdef AUTODISTILL_CLI_EXE
pid_t spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  REQUIRE(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

size_t journal_lines(const fs::path& file) {
  std::ifstream in(file);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n;
}
#endif

}  // namespace

TEST_CASE("the label CLI killed with SIGKILL mid-run resumes to a complete output", "[label][cli]") {
#ifndef AUTODISTILL_CLI_EXE
  WARN("built without the command line");
  return;
#else
  autodistill::test::TempDir tmp("label_kill");
  const int n = 150;
  cv::Mat base(120, 160, CV_8UC3);
  cv::randu(base, 0, 255);
  for (int i = 0; i < n; ++i) {
    cv::Mat im = base.clone();
    cv::circle(im, cv::Point(20 + i / 2, 60), 25, cv::Scalar(i, 255 - i, 128), cv::FILLED);
    fs::create_directories(tmp / "in");
    cv::imwrite((tmp / "in" / ("p" + std::to_string(1000 + i) + ".jpg")).string(), im);
  }
  const std::vector<std::string> args = {AUTODISTILL_CLI_EXE, "label", "--model", "cascade", "--ontology",
                                         R"({"face": "face"})", "--input", (tmp / "in").string(), "--output",
                                         (tmp / "out").string(), "--batch", "2", "--workers", "1", "--no-progress"};
  const fs::path journal = tmp / "out/.autodistill/done.jsonl";
  const pid_t pid = spawn(args);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (journal_lines(journal) < 6 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(pid, SIGKILL);
  CHECK(wait_for(pid) == 128 + SIGKILL);
  const size_t done_at_kill = journal_lines(journal);
  INFO("journalled at the kill: " << done_at_kill);
  REQUIRE(done_at_kill >= 6);
  REQUIRE(done_at_kill < size_t(n));  // it really was mid-run

  CHECK(wait_for(spawn(args)) == 0);
  std::multiset<std::string> journalled;
  {
    std::ifstream in(journal);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) journalled.insert(nlohmann::json::parse(line)["path"].get<std::string>());
  }
  CHECK(journalled.size() == size_t(n));
  CHECK(std::set<std::string>(journalled.begin(), journalled.end()).size() == size_t(n));
  size_t images = 0, labels = 0;
  for (auto& e : fs::recursive_directory_iterator(tmp / "out")) {
    const std::string name = e.path().filename().string();
    INFO(e.path().string());
    CHECK(name.find(".tmp.") == std::string::npos);
    if (e.path().parent_path().filename() == "images") ++images;
    if (e.path().parent_path().filename() == "labels") ++labels;
  }
  CHECK(images == size_t(n));
  CHECK(labels == size_t(n));
  const auto coco = nlohmann::json::parse(std::ifstream(tmp / "out/annotations.coco.json"));
  CHECK(coco["images"].size() == size_t(n));
#endif
}
