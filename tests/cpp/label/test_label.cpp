// label(): layout and values, split, resume after a crash, lock, ontology refusal, bad inputs,
// shards + merge, SAHI, interruption.
#include <catch2/catch.hpp>

#include <fstream>
#include <future>
#include <set>
#include <thread>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/io/file_io.h"
#include "autodistill/label/label.h"
#include "fake_models.h"
#include "test_paths.h"

using namespace autodistill;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path().lexically_relative(dir).generic_string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> journal_paths(const fs::path& out) {
  std::vector<std::string> paths;
  std::ifstream in(out / ".autodistill/done.jsonl");
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) paths.push_back(json::parse(line)["path"]);
  return paths;
}

// Every input image appears exactly once in the output (one image + one label), nowhere half-written.
void require_labelled_once(const fs::path& out, const std::vector<std::string>& rels) {
  const auto files = files_under(out);
  for (const std::string& f : files) {
    INFO(f);
    CHECK(f.find(".tmp.") == std::string::npos);
  }
  for (const std::string& rel : rels) {
    INFO(rel);
    const std::string label = fs::path(rel).replace_extension(".txt").generic_string();
    const int n_img = int(std::count(files.begin(), files.end(), "train/images/" + rel)) +
                      int(std::count(files.begin(), files.end(), "valid/images/" + rel));
    const int n_lbl = int(std::count(files.begin(), files.end(), "train/labels/" + label)) +
                      int(std::count(files.begin(), files.end(), "valid/labels/" + label));
    CHECK(n_img == 1);
    CHECK(n_lbl == 1);
  }
  auto paths = journal_paths(out);
  std::set<std::string> unique(paths.begin(), paths.end());
  CHECK(unique.size() == paths.size());
  CHECK(paths.size() == rels.size());
}

LabelOptions quiet(int workers = 2, int batch = 4) {
  LabelOptions o;
  o.workers = workers;
  o.batch_size = batch;
  return o;
}

}  // namespace

TEST_CASE("label writes the DESIGN layout with hand-checked rows and a COCO json with scores", "[label]") {
  test::TempDir tmp("label_layout");
  cv::Mat im(50, 100, CV_8UC3, cv::Scalar(20, 20, 20));
  cv::rectangle(im, cv::Rect(10, 5, 20, 20), cv::Scalar(0, 0, 220), cv::FILLED);   // red: class 0
  cv::rectangle(im, cv::Rect(60, 10, 40, 30), cv::Scalar(0, 220, 0), cv::FILLED);  // green: class 1
  fs::create_directories(tmp / "in/sub");
  cv::imwrite((tmp / "in/sub/one.PNG").string(), im);
  cv::imwrite((tmp / "in/empty.png").string(), cv::Mat(8, 8, CV_8UC3, cv::Scalar(0, 0, 0)));
  std::ofstream(tmp / "in/notes.txt") << "not an image and not an image extension";
  test::ColorBlobModel model;
  LabelOptions o = quiet();
  o.split = 1.0;  // everything in train
  const LabelSummary s = label(model, tmp / "in", tmp / "out", o);
  CHECK(s.total == 2);
  CHECK(s.labelled == 2);
  CHECK(s.errors == 0);
  CHECK(s.boxes_per_class == std::vector<int64_t>{1, 1});
  CHECK(read_text_file(tmp / "out/data.yaml") == "train: train/images\nval: valid/images\nnc: 2\nnames: [red, green]\n");
  // red: x 10..30 of 100, y 5..25 of 50 -> cx 0.2 cy 0.3 w 0.2 h 0.4; green: 60..100, 10..40.
  std::string rows = read_text_file(tmp / "out/train/labels/sub/one.txt");
  CHECK(rows == "0 0.200000 0.300000 0.200000 0.400000\n1 0.800000 0.500000 0.400000 0.600000\n");
  CHECK(read_text_file(tmp / "out/train/labels/empty.txt").empty());
  CHECK(read_binary_file(tmp / "out/train/images/sub/one.PNG") == read_binary_file(tmp / "in/sub/one.PNG"));
  CHECK(fs::is_directory(tmp / "out/valid/images"));
  const json coco = json::parse(read_text_file(tmp / "out/annotations.coco.json"));
  REQUIRE(coco["images"].size() == 2);
  CHECK(coco["images"][0]["file_name"] == "train/images/empty.png");
  CHECK(coco["images"][1]["file_name"] == "train/images/sub/one.PNG");
  REQUIRE(coco["annotations"].size() == 2);
  CHECK(coco["annotations"][0]["bbox"] == json({10, 5, 20, 20}));
  CHECK(coco["annotations"][0]["score"].get<double>() == Approx(0.5 + 400.0 / 5000.0));
  const json manifest = json::parse(read_text_file(tmp / "out/.autodistill/manifest.json"));
  CHECK(manifest["model"] == "test_color_blobs");
  CHECK(manifest["complete"] == true);
  CHECK(manifest["ontology"] == json::parse(R"({"red thing": "red", "green thing": "green"})"));
  CHECK(read_text_file(tmp / "out/.autodistill/errors.jsonl").empty());
  // The dataset of the output, read back both ways.
  const DetectionDataset ds = s.dataset();
  REQUIRE(ds.size() == 2);
  CHECK(ds.images()[1].detections.size() == 2);
  CHECK(DetectionDataset::from_yolo(tmp / "out").stats().boxes == 2);
  // A second run finds everything done.
  const LabelSummary again = label(model, tmp / "in", tmp / "out", o);
  CHECK(again.skipped == 2);
  CHECK(again.labelled == 0);
}

TEST_CASE("label places each image in the split of its path hash, and options filter boxes", "[label]") {
  test::TempDir tmp("label_split");
  const auto rels = test::write_synthetic_images(tmp / "in", 30);
  test::ColorBlobModel model;
  LabelOptions o = quiet(3, 5);
  o.seed = 7;
  o.split = 0.5;
  label(model, tmp / "in", tmp / "out", o);
  for (const auto& rel : rels) {
    INFO(rel);
    CHECK(fs::exists(tmp / "out" / split_for_path(rel, 0.5, 7) / "images" / rel));
  }
  require_labelled_once(tmp / "out", rels);
  // Non-recursive and an extension filter.
  LabelOptions o2 = quiet();
  o2.recursive = false;
  CHECK(label(model, tmp / "in/a", tmp / "out_a", o2).total == 15);
  o2.extensions = {".JPG"};
  CHECK(label(model, tmp / "in/a", tmp / "out_jpg", o2).total == 5);
  // confidence above every score drops every box.
  LabelOptions o3 = quiet();
  o3.confidence = 0.99f;
  const LabelSummary s3 = label(model, tmp / "in", tmp / "out_conf", o3);
  CHECK(s3.boxes_per_class == std::vector<int64_t>{0, 0});
}

TEST_CASE("label options are validated once", "[label]") {
  test::TempDir tmp("label_opts");
  fs::create_directories(tmp / "in");
  test::ColorBlobModel model;
  auto bad = [&](auto tweak, const char* what) {
    LabelOptions o;
    tweak(o);
    CHECK_THROWS_WITH(label(model, tmp / "in", tmp / "out", o), Catch::Contains(what));
  };
  bad([](LabelOptions& o) { o.split = 1.5; }, "split must be in [0, 1]");
  bad([](LabelOptions& o) { o.batch_size = 0; }, "batch_size must be >= 1");
  bad([](LabelOptions& o) { o.shard = {3, 3}; }, "0 <= index < count");
  bad([](LabelOptions& o) { o.extensions = {"jpg"}; }, "must start with a dot");
  bad([](LabelOptions& o) { o.sahi = SliceOptions{}; o.sahi->overlap = 1.0; }, "overlap must be in [0, 1)");
  CHECK_THROWS_AS(parse_nms_mode("greedy"), InvalidArgument);
  CHECK(parse_nms_mode("class_agnostic") == NmsMode::ClassAgnostic);
  CHECK_THROWS_WITH(label(model, tmp / "missing", tmp / "out", LabelOptions{}), Catch::Contains("does not exist"));
}

TEST_CASE("label resumes after a crash: every image labelled once, no temp files", "[label]") {
  test::TempDir tmp("label_resume");
  const auto rels = test::write_synthetic_images(tmp / "in", 40);
  test::ColorBlobModel crashing;
  crashing.fail_after = 17;
  CHECK_THROWS_WITH(label(crashing, tmp / "in", tmp / "out", quiet(2, 4)), Catch::Contains("simulated crash"));
  const size_t done_before = journal_paths(tmp / "out").size();
  CHECK(done_before >= 16);  // the batches before the crash are journalled
  CHECK(done_before < 40);
  // Leftovers of a kill: a temp file and a torn journal line.
  std::ofstream(tmp / "out/train/labels/x.txt.tmp.12345.0") << "half";
  std::ofstream(tmp / "out/.autodistill/done.jsonl", std::ios::app) << R"({"path": "b/img_10)";
  test::ColorBlobModel model;
  const LabelSummary s = label(model, tmp / "in", tmp / "out", quiet(2, 4));
  CHECK(s.skipped == int64_t(done_before));
  CHECK(s.labelled == 40 - int64_t(done_before));
  CHECK(model.images_seen == 40 - int(done_before));
  require_labelled_once(tmp / "out", rels);
  // The result equals a run that never crashed.
  test::ColorBlobModel fresh;
  label(fresh, tmp / "in", tmp / "ref", quiet(1, 3));
  CHECK(read_text_file(tmp / "out/annotations.coco.json") == read_text_file(tmp / "ref/annotations.coco.json"));
  CHECK(read_text_file(tmp / "out/.autodistill/done.jsonl") == read_text_file(tmp / "ref/.autodistill/done.jsonl"));
}

TEST_CASE("label refuses a second concurrent run on the same output", "[label]") {
  test::TempDir tmp("label_lock");
  test::write_synthetic_images(tmp / "in", 6);
  struct BlockingModel : test::ColorBlobModel {
    std::promise<void> entered;
    std::shared_future<void> release;
    bool first = true;
    Detections predict(const cv::Mat& image) override {
      if (first) {
        first = false;
        entered.set_value();
        release.wait();
      }
      return ColorBlobModel::predict(image);
    }
  } blocking;
  std::promise<void> release;
  blocking.release = release.get_future().share();
  auto entered = blocking.entered.get_future();
  auto first = std::async(std::launch::async, [&] { return label(blocking, tmp / "in", tmp / "out", quiet(1, 2)); });
  entered.wait();
  test::ColorBlobModel other;
  CHECK_THROWS_WITH(label(other, tmp / "in", tmp / "out", quiet()),
                    Catch::Contains("in use by another labelling run (pid " + std::to_string(::getpid())));
  release.set_value();
  CHECK(first.get().labelled == 6);
  // Released: a stale lock file (its process gone) does not block.
  std::ofstream(tmp / "out/.autodistill/lock") << "999999\n";
  CHECK(label(other, tmp / "in", tmp / "out", quiet()).skipped == 6);
}

TEST_CASE("label refuses another ontology, model or options on an existing output unless overwrite", "[label]") {
  test::TempDir tmp("label_mismatch");
  test::write_synthetic_images(tmp / "in", 5);
  test::ColorBlobModel model;
  label(model, tmp / "in", tmp / "out", quiet());
  struct Renamed : test::ColorBlobModel {
    std::string name() const override { return "another_model"; }
  } renamed;
  CHECK_THROWS_WITH(label(renamed, tmp / "in", tmp / "out", quiet()),
                    Catch::Contains("different model") && Catch::Contains("overwrite"));
  LabelOptions o = quiet();
  o.split = 0.3;
  CHECK_THROWS_WITH(label(model, tmp / "in", tmp / "out", o), Catch::Contains("different options"));
  o.overwrite = true;
  const LabelSummary s = label(renamed, tmp / "in", tmp / "out", o);
  CHECK(s.labelled == 5);
  CHECK(s.skipped == 0);
  // A non-empty folder that is not a labelling output is refused too.
  fs::create_directories(tmp / "foreign");
  std::ofstream(tmp / "foreign/thesis.tex") << "precious";
  CHECK_THROWS_WITH(label(model, tmp / "in", tmp / "foreign", quiet()), Catch::Contains("not a labelling output"));
}

TEST_CASE("bad images are recorded in errors.jsonl and the run goes on; strict stops", "[label]") {
  test::TempDir tmp("label_bad");
  const auto rels = test::write_synthetic_images(tmp / "in", 6);
  std::ofstream(tmp / "in/zero.jpg").close();
  std::ofstream(tmp / "in/text.jpg") << "this is not a JPEG";
  {
    std::vector<uchar> jpeg;
    cv::Mat noise(64, 64, CV_8UC3);
    cv::randu(noise, 0, 255);
    cv::imencode(".jpg", noise, jpeg);
    std::ofstream(tmp / "in/truncated.jpg", std::ios::binary).write(reinterpret_cast<char*>(jpeg.data()), jpeg.size() / 2);
  }
  cv::imwrite((tmp / "in/huge.png").string(), cv::Mat(300, 400, CV_8UC3, cv::Scalar(1, 2, 3)));
  const bool root = ::geteuid() == 0;
  if (!root) {
    cv::imwrite((tmp / "in/locked.png").string(), cv::Mat(4, 4, CV_8UC3, cv::Scalar(1, 2, 3)));
    fs::permissions(tmp / "in/locked.png", fs::perms::none);
  }
  test::ColorBlobModel model;
  LabelOptions o = quiet();
  o.max_pixels = 200 * 200;
  const LabelSummary s = label(model, tmp / "in", tmp / "out", o);
  const int n_bad = root ? 4 : 5;
  CHECK(s.labelled == 6);
  CHECK(s.errors == n_bad);
  std::map<std::string, std::string> reasons;
  std::ifstream in(tmp / "out/.autodistill/errors.jsonl");
  for (std::string line; std::getline(in, line);) {
    const json j = json::parse(line);
    reasons[j["path"]] = j["error"];
  }
  REQUIRE(int(reasons.size()) == n_bad);
  CHECK_THAT(reasons["zero.jpg"], Catch::Contains("empty file"));
  CHECK_THAT(reasons["text.jpg"], Catch::Contains("not a decodable image"));
  CHECK_THAT(reasons["truncated.jpg"], Catch::Contains("not a decodable image"));
  CHECK_THAT(reasons["huge.png"], Catch::Contains("400x300 = 120000 pixels, more than max_pixels = 40000"));
  if (!root) CHECK_THAT(reasons["locked.png"], Catch::Contains("unreadable"));
  CHECK_FALSE(fs::exists(tmp / "out/train/images/zero.jpg"));
  CHECK_FALSE(fs::exists(tmp / "out/valid/images/zero.jpg"));
  // Recorded errors are done: a re-run does not retry them and still counts them.
  const LabelSummary again = label(model, tmp / "in", tmp / "out", o);
  CHECK(again.errors == n_bad);
  CHECK(again.new_errors == 0);
  o.strict = true;
  o.overwrite = true;
  CHECK_THROWS_AS(label(model, tmp / "in", tmp / "out_strict", o), IOError);
  if (!root) fs::permissions(tmp / "in/locked.png", fs::perms::owner_all);
}

TEST_CASE("three shards merged equal a single run byte for byte", "[label]") {
  test::TempDir tmp("label_shards");
  const auto rels = test::write_synthetic_images(tmp / "in", 45);
  test::ColorBlobModel model;
  label(model, tmp / "in", tmp / "single", quiet(2, 4));
  std::vector<fs::path> shards;
  int64_t total = 0;
  for (int i = 0; i < 3; ++i) {
    LabelOptions o = quiet(1, 3);
    o.shard = {i, 3};
    shards.push_back(tmp / ("shard" + std::to_string(i)));
    const LabelSummary s = label(model, tmp / "in", shards.back(), o);
    CHECK(s.total > 5);  // each shard gets about a third
    total += s.total;
  }
  CHECK(total == 45);
  // A shard run into a folder made with other options is refused by merge.
  const DetectionDataset merged = merge_shards(shards, tmp / "merged");
  CHECK(merged.size() == 45);
  const auto single = files_under(tmp / "single");
  const auto files = files_under(tmp / "merged");
  for (const auto& f : single) {
    if (f == ".autodistill/lock" || f == ".autodistill/manifest.json") continue;
    INFO(f);
    REQUIRE(std::count(files.begin(), files.end(), f) == 1);
    CHECK(read_binary_file(tmp / "single" / f) == read_binary_file(tmp / "merged" / f));
  }
  CHECK_THROWS_WITH(merge_shards({shards[0], shards[0]}, tmp / "twice"), Catch::Contains("is in two shards"));
  CHECK_THROWS_WITH(merge_shards({tmp / "in"}, tmp / "x"), Catch::Contains("is not a labelling output"));
}

TEST_CASE("SAHI tiles find a small object a low-resolution whole-image pass misses", "[label]") {
  SliceOptions so;
  so.tile_width = 100;
  so.tile_height = 80;
  so.overlap = 0.25;
  const auto tiles = so.tiles(250, 100);
  // x starts 0, 75, 150 (last moved to 250-100=150), y starts 0, 20.
  REQUIRE(tiles.size() == 6);
  CHECK(tiles[2] == std::array<int, 4>{150, 0, 100, 80});
  CHECK(tiles[5] == std::array<int, 4>{150, 20, 100, 80});
  CHECK(so.tiles(50, 40) == std::vector<std::array<int, 4>>{{0, 0, 50, 40}});

  test::TempDir tmp("label_sahi");
  cv::Mat im(600, 800, CV_8UC3, cv::Scalar(20, 20, 20));
  cv::rectangle(im, cv::Rect(500, 300, 12, 12), cv::Scalar(0, 0, 220), cv::FILLED);   // small
  cv::rectangle(im, cv::Rect(50, 50, 300, 200), cv::Scalar(0, 220, 0), cv::FILLED);  // large
  fs::create_directories(tmp / "in");
  cv::imwrite((tmp / "in/scene.png").string(), im);
  // Sees only blobs >= 4 px after shrinking to 200 px: the 12 px object becomes 3 px.
  test::ColorBlobModel model(200, 4);
  const LabelSummary whole = label(model, tmp / "in", tmp / "whole", quiet());
  CHECK(whole.boxes_per_class == std::vector<int64_t>{0, 1});
  LabelOptions o = quiet(1, 4);
  o.sahi = SliceOptions{};
  o.sahi->tile_width = o.sahi->tile_height = 200;
  o.sahi->overlap = 0.2;
  const int before = model.images_seen;
  const LabelSummary sliced = label(model, tmp / "in", tmp / "sliced", o);
  CHECK(model.images_seen - before > 4);  // the tiles and the full image went through the model
  CHECK(sliced.boxes_per_class[0] == 1);
  const Detections& d = sliced.dataset().images()[0].detections;
  bool found = false;
  for (int64_t i = 0; i < d.size(); ++i)
    if (d.class_id()[i] == 0) {
      found = true;
      CHECK(d.xyxy()(i, 0) == Approx(500));
      CHECK(d.xyxy()(i, 1) == Approx(300));
      CHECK(d.xyxy()(i, 2) == Approx(512));
      CHECK(d.xyxy()(i, 3) == Approx(312));
    }
  CHECK(found);
}

TEST_CASE("an interrupt between batches leaves a resumable output", "[label]") {
  test::TempDir tmp("label_interrupt");
  const auto rels = test::write_synthetic_images(tmp / "in", 24);
  test::ColorBlobModel model;
  std::atomic<int> calls{0};
  set_interrupt_checker([&] { return ++calls > 3; });
  CHECK_THROWS_AS(label(model, tmp / "in", tmp / "out", quiet(2, 4)), Interrupted);
  set_interrupt_checker(nullptr);
  const auto done = journal_paths(tmp / "out").size();
  CHECK(done == 12);  // three batches of 4 before the fourth check
  const LabelSummary s = label(model, tmp / "in", tmp / "out", quiet(2, 4));
  CHECK(s.skipped == 12);
  require_labelled_once(tmp / "out", rels);
}
