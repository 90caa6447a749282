// DetectionDataset: YOLO / COCO / VOC round trips, conversions, splits, stats and malformed input.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "autodistill/core/error.h"
#include "autodistill/io/dataset.h"
#include "autodistill/io/file_io.h"
#include "test_paths.h"

using namespace autodistill;
namespace fs = std::filesystem;

namespace {

Detections dets(std::vector<std::array<float, 4>> boxes, std::vector<int64_t> ids, std::vector<float> scores = {}) {
  const auto n = static_cast<Eigen::Index>(boxes.size());
  BoxArray b(n, 4);
  ScoreArray s = ScoreArray::Ones(n);
  ClassIdArray c(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (int k = 0; k < 4; ++k) b(i, k) = boxes[i][k];
    c[i] = ids[i];
    if (!scores.empty()) s[i] = scores[i];
  }
  return Detections(b, s, c);
}

void write_image(const fs::path& p, int w, int h) {
  fs::create_directories(p.parent_path());
  cv::imwrite(p.string(), cv::Mat(h, w, CV_8UC3, cv::Scalar(40, 80, 120)));
}

void write_text(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s;
}

// Three images in relative-path order (one empty, one in a sub folder) with boxes on integer pixels (exact in every format).
DetectionDataset sample(const fs::path& dir) {
  write_image(dir / "src/a.png", 100, 50);
  write_image(dir / "src/sub/b.jpg", 64, 64);
  write_image(dir / "src/c.png", 32, 16);
  std::vector<DatasetImage> images(3);
  images[0] = {dir / "src/a.png", "a.png", 100, 50, dets({{10, 5, 30, 25}, {50, 0, 100, 50}}, {0, 1}), "train"};
  images[2] = {dir / "src/sub/b.jpg", "sub/b.jpg", 64, 64, dets({{0, 0, 32, 16}}, {1}), "valid"};
  images[1] = {dir / "src/c.png", "c.png", 32, 16, Detections(), "train"};
  return DetectionDataset({"cat", "dog"}, images);
}

void require_same_boxes(const DetectionDataset& a, const DetectionDataset& b, float tol) {
  REQUIRE(a.size() == b.size());
  REQUIRE(a.classes() == b.classes());
  for (size_t i = 0; i < a.size(); ++i) {
    const auto& x = a.images()[i];
    const auto& y = b.images()[i];
    INFO(x.relative_path);
    CHECK(x.relative_path == y.relative_path);
    CHECK(x.width == y.width);
    CHECK(x.height == y.height);
    REQUIRE(x.detections.size() == y.detections.size());
    for (int64_t k = 0; k < x.detections.size(); ++k) {
      CHECK(x.detections.class_id()[k] == y.detections.class_id()[k]);
      for (int c = 0; c < 4; ++c) CHECK(x.detections.xyxy()(k, c) == Approx(y.detections.xyxy()(k, c)).margin(tol));
    }
  }
}

}  // namespace

TEST_CASE("path_hash, split and shard are fixed functions of the relative path", "[io][dataset]") {
  CHECK(path_hash("a.jpg", 0) == path_hash("a.jpg", 0));
  CHECK(path_hash("a.jpg", 0) != path_hash("a.jpg", 1));
  CHECK(path_hash("a.jpg", 0) != path_hash("b.jpg", 0));
  int train = 0;
  int per_shard[3] = {0, 0, 0};
  for (int i = 0; i < 2000; ++i) {
    const std::string p = "dir/img_" + std::to_string(i) + ".jpg";
    train += split_for_path(p, 0.8, 0) == "train";
    ++per_shard[shard_for_path(p, 3)];
  }
  CHECK(train > 1520);  // 1600 expected; binomial sd ~ 18
  CHECK(train < 1680);
  for (int s : per_shard) CHECK(std::abs(s - 667) < 90);
  CHECK(split_for_path("x.png", 0.0, 3) == "valid");
  CHECK(split_for_path("x.png", 1.0, 3) == "train");
  CHECK_THROWS_AS(split_for_path("x", 1.5, 0), InvalidArgument);
  CHECK_THROWS_AS(shard_for_path("x", 0), InvalidArgument);
}

TEST_CASE("YOLO round trip keeps images, splits and boxes; rows have 6 decimals", "[io][dataset]") {
  test::TempDir tmp("ds_yolo");
  const DetectionDataset ds = sample(tmp.path());
  ds.as_yolo(tmp / "yolo");
  CHECK(read_text_file(tmp / "yolo/data.yaml") == "train: train/images\nval: valid/images\nnc: 2\nnames: [cat, dog]\n");
  CHECK(read_text_file(tmp / "yolo/train/labels/a.txt") ==
        "0 0.200000 0.300000 0.200000 0.400000\n1 0.750000 0.500000 0.500000 1.000000\n");
  CHECK(read_text_file(tmp / "yolo/valid/labels/sub/b.txt") == "1 0.250000 0.125000 0.500000 0.250000\n");
  CHECK(read_text_file(tmp / "yolo/train/labels/c.txt").empty());
  CHECK(read_binary_file(tmp / "yolo/valid/images/sub/b.jpg") == read_binary_file(tmp / "src/sub/b.jpg"));
  const DetectionDataset back = DetectionDataset::from_yolo(tmp / "yolo");
  require_same_boxes(ds, back, 1e-3f);
  CHECK(back.images()[0].split == "train");
  CHECK(back.images()[1].split == "train");  // c.png sorts before sub/b.jpg
  CHECK(back.images()[2].split == "valid");
  const DatasetStats st = back.stats();
  CHECK(st.images == 3);
  CHECK(st.boxes == 3);
  CHECK(st.empty_images == 1);
  CHECK(st.boxes_per_class == std::vector<int64_t>{1, 2});
  CHECK(st.images_per_split.at("valid") == 1);
}

TEST_CASE("YOLO reader: names as a map, a .txt image list, images without labels", "[io][dataset]") {
  test::TempDir tmp("ds_yolo2");
  write_image(tmp / "d/images/x.png", 40, 20);
  write_image(tmp / "d/images/y.png", 40, 20);
  write_text(tmp / "d/labels/x.txt", "1 0.5 0.5 0.5 0.5\n\n");
  write_text(tmp / "d/train.txt", "images/x.png\nimages/y.png\n");
  write_text(tmp / "d/data.yaml", "path: .\ntrain: train.txt\nval: images\nnames:\n  0: person\n  1: car\n");
  const DetectionDataset ds = DetectionDataset::from_yolo(tmp / "d/data.yaml");
  REQUIRE(ds.classes() == std::vector<std::string>{"person", "car"});
  REQUIRE(ds.size() == 4);  // both lists name both images
  const DatasetImage& x = ds.images()[0];
  CHECK(x.detections.size() == 1);
  CHECK(x.detections.xyxy()(0, 0) == Approx(10));
  CHECK(x.detections.xyxy()(0, 3) == Approx(15));
  CHECK(x.detections.class_id()[0] == 1);
}

TEST_CASE("YOLO reader errors name the file and the line", "[io][dataset]") {
  test::TempDir tmp("ds_yolo_bad");
  write_image(tmp / "d/train/images/a.png", 10, 10);
  write_text(tmp / "d/data.yaml", "train: train/images\nval: train/images\nnc: 2\nnames: [a, b]\n");
  auto message_of = [&] {
    try {
      DetectionDataset::from_yolo(tmp / "d");
    } catch (const IOError& e) {
      return std::string(e.message());
    }
    return std::string("no error");
  };
  write_text(tmp / "d/train/labels/a.txt", "0 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.1\n");
  CHECK_THAT(message_of(), Catch::Contains("labels/a.txt:3: expected 5 numbers, got 4"));
  write_text(tmp / "d/train/labels/a.txt", "2 0.5 0.5 0.1 0.1\n");
  CHECK_THAT(message_of(), Catch::Contains("a.txt:1: class id 2 is not below nc = 2"));
  write_text(tmp / "d/train/labels/a.txt", "0 0.5 abc 0.1 0.1\n");
  CHECK_THAT(message_of(), Catch::Contains("a.txt:1: 'abc' is not a number"));
  write_text(tmp / "d/train/labels/a.txt", "0.5 0.5 0.5 0.1 0.1\n");
  CHECK_THAT(message_of(), Catch::Contains("is not a non-negative integer"));
  write_text(tmp / "d/data.yaml", "train: nowhere/images\nnames: [a, b]\n");
  CHECK_THAT(message_of(), Catch::Contains("nowhere/images"));
  write_text(tmp / "d/data.yaml", "train: train/images\nnc: 3\nnames: [a, b]\n");
  CHECK_THAT(message_of(), Catch::Contains("nc = 3 but 2 names"));
  write_text(tmp / "d/data.yaml", "train: [unclosed\n");
  CHECK_THAT(message_of(), Catch::Contains("not valid YAML"));
  CHECK_THROWS_WITH(DetectionDataset::from_yolo(tmp / "missing"), Catch::Contains("missing"));
}

TEST_CASE("COCO round trip keeps category ids, iscrowd and scores", "[io][dataset]") {
  test::TempDir tmp("ds_coco");
  write_image(tmp / "img/p.png", 20, 10);
  write_image(tmp / "img/q.png", 20, 10);
  write_text(tmp / "in.json", R"({"images": [{"id": 7, "file_name": "q.png", "width": 20, "height": 10},
      {"id": 3, "file_name": "p.png", "width": 20, "height": 10}],
    "annotations": [{"id": 1, "image_id": 7, "category_id": 5, "bbox": [1.5, 2, 3, 4], "iscrowd": 1, "score": 0.25},
      {"id": 2, "image_id": 7, "category_id": 9, "bbox": [0, 0, 20, 10], "iscrowd": 0, "score": 0.75}],
    "categories": [{"id": 9, "name": "z"}, {"id": 5, "name": "a"}]})");
  const DetectionDataset ds = DetectionDataset::from_coco(tmp / "img", tmp / "in.json");
  REQUIRE(ds.classes() == std::vector<std::string>{"z", "a"});
  REQUIRE(ds.coco_category_ids() == std::vector<int64_t>{9, 5});
  REQUIRE(ds.has_scores());
  REQUIRE(ds.images()[0].relative_path == "p.png");
  const Detections& q = ds.images()[1].detections;
  REQUIRE(q.size() == 2);
  CHECK(q.class_id()[0] == 1);
  CHECK(q.xyxy()(0, 2) == Approx(4.5));
  CHECK(q.confidence()[0] == Approx(0.25));
  CHECK(std::get<std::vector<int64_t>>(q.data().at("iscrowd")) == std::vector<int64_t>{1, 0});

  ds.as_coco(tmp / "out.json");
  const auto doc = nlohmann::json::parse(read_text_file(tmp / "out.json"));
  CHECK(doc["images"][0]["file_name"] == "p.png");
  CHECK(doc["annotations"][0]["category_id"] == 5);
  CHECK(doc["annotations"][0]["bbox"] == nlohmann::json({1.5, 2, 3, 4}));
  CHECK(doc["annotations"][0]["iscrowd"] == 1);
  CHECK(doc["annotations"][0]["score"] == 0.25);
  const DetectionDataset back = DetectionDataset::from_coco(tmp / "img", tmp / "out.json");
  require_same_boxes(ds, back, 0.f);
  CHECK(back.coco_category_ids() == ds.coco_category_ids());
  // A second write of what was read is byte-identical.
  back.as_coco(tmp / "out2.json");
  CHECK(read_text_file(tmp / "out2.json") == read_text_file(tmp / "out.json"));
}

TEST_CASE("COCO reader errors", "[io][dataset]") {
  test::TempDir tmp("ds_coco_bad");
  fs::create_directories(tmp / "img");
  write_text(tmp / "a.json", R"({"images": [{"id": 1, "file_name": "p.png", "width": 2, "height": 2}],
     "annotations": [{"id": 1, "image_id": 2, "category_id": 1, "bbox": [0,0,1,1]}], "categories": [{"id": 1, "name": "x"}]})");
  CHECK_THROWS_WITH(DetectionDataset::from_coco(tmp / "img", tmp / "a.json"), Catch::Contains("image_id 2 is not in images"));
  write_text(tmp / "a.json", R"({"images": [], "categories": [{"id": 1}]})");
  CHECK_THROWS_WITH(DetectionDataset::from_coco(tmp / "img", tmp / "a.json"), Catch::Contains("categories[0]: missing 'name'"));
  write_text(tmp / "a.json", "{");
  CHECK_THROWS_AS(DetectionDataset::from_coco(tmp / "img", tmp / "a.json"), IOError);
  CHECK_THROWS_AS(DetectionDataset::from_coco(tmp / "nope", tmp / "a.json"), IOError);
  write_text(tmp / "a.json", R"({"images": [], "annotations": [], "categories": []})");
  CHECK(DetectionDataset::from_coco(tmp / "img", tmp / "a.json").size() == 0);
}

TEST_CASE("Pascal VOC round trip keeps the difficult flag", "[io][dataset]") {
  test::TempDir tmp("ds_voc");
  DetectionDataset ds = sample(tmp.path());
  ds.mutable_images()[0].detections.set_data("difficult", std::vector<int64_t>{0, 1});
  ds.as_pascal_voc(tmp / "voc/Annotations", tmp / "voc/JPEGImages");
  CHECK(fs::exists(tmp / "voc/Annotations/sub/b.xml"));
  CHECK(fs::exists(tmp / "voc/JPEGImages/sub/b.jpg"));
  const DetectionDataset back =
      DetectionDataset::from_pascal_voc(tmp / "voc/JPEGImages", tmp / "voc/Annotations", {"cat", "dog"});
  require_same_boxes(ds, back, 0.f);
  CHECK(std::get<std::vector<int64_t>>(back.images()[0].detections.data().at("difficult")) == std::vector<int64_t>{0, 1});
  // Without a class list, classes come in order of first appearance.
  const DetectionDataset guessed = DetectionDataset::from_pascal_voc(tmp / "voc/JPEGImages", tmp / "voc/Annotations");
  CHECK(guessed.classes() == std::vector<std::string>{"cat", "dog"});
  write_text(tmp / "voc/Annotations/z.xml", "<annotation><filename>z.png</filename><size><width>4</width></size></annotation>");
  CHECK_THROWS_WITH(DetectionDataset::from_pascal_voc(tmp / "voc/JPEGImages", tmp / "voc/Annotations"),
                    Catch::Contains("z.xml: <height> is missing"));
  write_text(tmp / "voc/Annotations/z.xml", "<annotation>\n<filename>z.png</filename>\n<size>\n</annotation>");
  CHECK_THROWS_WITH(DetectionDataset::from_pascal_voc(tmp / "voc/JPEGImages", tmp / "voc/Annotations"),
                    Catch::Contains("z.xml:4: malformed XML"));
  CHECK_THROWS_AS(DetectionDataset::from_pascal_voc(tmp / "x", tmp / "missing"), IOError);
}

TEST_CASE("conversions YOLO -> COCO -> VOC -> YOLO keep the labels", "[io][dataset]") {
  test::TempDir tmp("ds_convert");
  const DetectionDataset ds = sample(tmp.path());
  ds.as_yolo(tmp / "y1");
  const DetectionDataset y = DetectionDataset::from_yolo(tmp / "y1");
  y.as_coco(tmp / "c/ann.json", tmp / "c/images");
  const DetectionDataset c = DetectionDataset::from_coco(tmp / "c/images", tmp / "c/ann.json");
  require_same_boxes(y, c, 1e-4f);
  c.as_pascal_voc(tmp / "v/ann", tmp / "v/img");
  const DetectionDataset v = DetectionDataset::from_pascal_voc(tmp / "v/img", tmp / "v/ann", c.classes());
  require_same_boxes(c, v, 0.f);
  DetectionDataset v2 = v;
  v2.split(0.5, 1);
  v2.as_yolo(tmp / "y2", ImageTransfer::Hardlink);
  require_same_boxes(DetectionDataset::from_yolo(tmp / "y2"), ds, 1e-3f);
  CHECK(fs::hard_link_count(tmp / "v/img/a.png") >= 2);
}

TEST_CASE("empty datasets and bad class ids", "[io][dataset]") {
  test::TempDir tmp("ds_empty");
  DetectionDataset empty({"a"}, {});
  empty.as_yolo(tmp / "y");
  CHECK(DetectionDataset::from_yolo(tmp / "y").size() == 0);
  empty.as_coco(tmp / "c.json");
  CHECK(DetectionDataset::from_coco(tmp.path(), tmp / "c.json").size() == 0);
  CHECK(empty.stats().images == 0);
  DatasetImage im{tmp / "x.png", "x.png", 4, 4, Detections(), ""};
  im.detections = Detections(BoxArray::Zero(1, 4), ScoreArray::Ones(1), ClassIdArray::Constant(1, 3));
  CHECK_THROWS_WITH(DetectionDataset({"a"}, {im}), Catch::Contains("class id 3 outside [0, 1)"));
}

TEST_CASE("image_size reads headers", "[io][dataset]") {
  test::TempDir tmp("ds_size");
  for (const char* ext : {".png", ".jpg", ".bmp", ".webp", ".tif"}) {
    const fs::path p = tmp / (std::string("i") + ext);
    write_image(p, 37, 21);
    INFO(ext);
    CHECK(image_size(p) == std::pair<int, int>{37, 21});
  }
  write_text(tmp / "t.jpg", "not an image");
  CHECK_THROWS_AS(image_size(tmp / "t.jpg"), IOError);
}

TEST_CASE("a test split is written, named in data.yaml and read back", "[io][dataset]") {
  test::TempDir tmp("ds_test_split");
  DetectionDataset ds = sample(tmp.path());
  ds.mutable_images()[1].split = "test";
  ds.as_yolo(tmp / "y");
  CHECK(read_text_file(tmp / "y/data.yaml") ==
        "train: train/images\nval: valid/images\ntest: test/images\nnc: 2\nnames: [cat, dog]\n");
  const DetectionDataset back = DetectionDataset::from_yolo(tmp / "y");
  REQUIRE(back.size() == 3);
  CHECK(back.stats().images_per_split.at("test") == 1);
  CHECK(back.images()[1].relative_path == "c.png");
  CHECK(back.images()[1].split == "test");
}
