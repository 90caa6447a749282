#include <catch2/catch.hpp>

#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/io/file_io.h"
#include "test_paths.h"

using namespace autodistill;

namespace {
// 40 x 20: red left half, blue right half (BGR).
cv::Mat two_tone() {
  cv::Mat m(20, 40, CV_8UC3, cv::Scalar(255, 0, 0));
  m(cv::Rect(0, 0, 20, 20)).setTo(cv::Scalar(0, 0, 255));
  return m;
}

void write_bytes(const std::filesystem::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> encode(const std::string& ext, const cv::Mat& m) {
  std::vector<uint8_t> out;
  REQUIRE(cv::imencode(ext, m, out));
  return out;
}

// A JPEG with an EXIF APP1 segment whose Orientation tag is `orientation` (big-endian TIFF).
std::vector<uint8_t> jpeg_with_orientation(const cv::Mat& m, uint16_t orientation) {
  std::vector<uint8_t> jpeg = encode(".jpg", m);
  const std::vector<uint8_t> app1 = {
      0xFF, 0xE1, 0x00, 0x22,              // APP1, length 34
      'E', 'x', 'i', 'f', 0, 0,            // Exif header
      'M', 'M', 0x00, 0x2A, 0, 0, 0, 8,    // TIFF header, IFD0 at offset 8
      0x00, 0x01,                          // one entry
      0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1,  // Orientation, SHORT, count 1
      static_cast<uint8_t>(orientation >> 8), static_cast<uint8_t>(orientation & 0xFF), 0, 0,
      0, 0, 0, 0};  // no next IFD
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
  return jpeg;
}

bool is_red(const cv::Vec3b& p) { return p[2] > 200 && p[0] < 60; }
bool is_blue(const cv::Vec3b& p) { return p[0] > 200 && p[2] < 60; }
}  // namespace

TEST_CASE("load_image decodes common formats to 8-bit BGR", "[core][image]") {
  test::TempDir dir("image_formats");
  const cv::Mat src = two_tone();
  for (const std::string ext : {".png", ".bmp", ".tiff", ".webp", ".jpg"}) {
    INFO(ext);
    write_bytes(dir / ("a" + ext), encode(ext, src));
    const cv::Mat m = load_image(dir / ("a" + ext));
    REQUIRE(m.type() == CV_8UC3);
    REQUIRE(m.size() == src.size());
    CHECK(is_red(m.at<cv::Vec3b>(10, 5)));
    CHECK(is_blue(m.at<cv::Vec3b>(10, 35)));
  }
}

TEST_CASE("load_image converts grayscale, RGBA and 16-bit", "[core][image]") {
  test::TempDir dir("image_layouts");
  cv::Mat gray(8, 8, CV_8UC1, cv::Scalar(77));
  write_bytes(dir / "g.png", encode(".png", gray));
  cv::Mat g = load_image(dir / "g.png");
  CHECK(g.type() == CV_8UC3);
  CHECK(g.at<cv::Vec3b>(3, 3) == cv::Vec3b(77, 77, 77));

  cv::Mat bgra(8, 8, CV_8UC4, cv::Scalar(10, 20, 30, 0));  // fully transparent: alpha is dropped
  write_bytes(dir / "a.png", encode(".png", bgra));
  CHECK(load_image(dir / "a.png").at<cv::Vec3b>(0, 0) == cv::Vec3b(10, 20, 30));

  cv::Mat deep(8, 8, CV_16UC3, cv::Scalar(65535, 257 * 128, 0));
  write_bytes(dir / "d.png", encode(".png", deep));
  const cv::Mat d = load_image(dir / "d.png");
  CHECK(d.type() == CV_8UC3);
  CHECK(d.at<cv::Vec3b>(0, 0) == cv::Vec3b(255, 128, 0));
}

TEST_CASE("load_image applies EXIF orientation", "[core][image]") {
  test::TempDir dir("image_exif");
  write_bytes(dir / "o1.jpg", jpeg_with_orientation(two_tone(), 1));
  write_bytes(dir / "o6.jpg", jpeg_with_orientation(two_tone(), 6));
  const cv::Mat upright = load_image(dir / "o1.jpg");
  CHECK(upright.size() == cv::Size(40, 20));
  const cv::Mat rotated = load_image(dir / "o6.jpg");  // 6 = rotate 90 degrees clockwise to display
  REQUIRE(rotated.size() == cv::Size(20, 40));
  CHECK(is_red(rotated.at<cv::Vec3b>(5, 10)));    // the left (red) half is now on top
  CHECK(is_blue(rotated.at<cv::Vec3b>(35, 10)));
}

TEST_CASE("bad image files are IOError naming the file", "[core][image]") {
  test::TempDir dir("image_bad");
  struct Case {
    std::string name;
    std::vector<uint8_t> bytes;
    std::string message;
  };
  std::vector<uint8_t> jpeg = encode(".jpg", two_tone());
  std::vector<uint8_t> png = encode(".png", two_tone());
  const std::vector<Case> cases = {
      {"empty.jpg", {}, "is empty (0 bytes)"},
      {"text.jpg", {'h', 'e', 'l', 'l', 'o'}, "not a decodable image"},
      {"cut.jpg", std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + static_cast<long>(jpeg.size() * 2 / 3)),
       "truncated JPEG"},
      {"cut.png", std::vector<uint8_t>(png.begin(), png.begin() + static_cast<long>(png.size() / 2)),
       "not a decodable image"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    write_bytes(dir / c.name, c.bytes);
    CHECK_THROWS_AS(load_image(dir / c.name), IOError);
    CHECK_THROWS_WITH(load_image(dir / c.name), Catch::Contains(c.name) && Catch::Contains(c.message));
  }
  CHECK_THROWS_WITH(load_image(dir / "nope.png"), Catch::Contains("nope.png") && Catch::Contains("no such file"));
  CHECK_THROWS_WITH(load_image(dir.path()), Catch::Contains("is a directory"));
}

TEST_CASE("jpeg_is_complete follows the marker structure", "[core][image]") {
  const std::vector<uint8_t> jpeg = encode(".jpg", two_tone());
  CHECK(jpeg_is_complete(jpeg.data(), jpeg.size()));
  std::vector<uint8_t> with_trailer = jpeg;
  with_trailer.insert(with_trailer.end(), 5000, 0xAB);  // data appended after EOI (motion photos do this)
  CHECK(jpeg_is_complete(with_trailer.data(), with_trailer.size()));
  for (size_t cut : {size_t{3}, jpeg.size() / 2, jpeg.size() - 2}) {
    INFO(cut);
    CHECK_FALSE(jpeg_is_complete(jpeg.data(), cut));
  }
}

TEST_CASE("letterbox scales, pads and maps boxes back", "[core][image]") {
  const cv::Mat src(100, 200, CV_8UC3, cv::Scalar(1, 2, 3));
  const LetterboxResult r = letterbox(src, 64, 64);
  REQUIRE(r.image.size() == cv::Size(64, 64));
  CHECK(r.transform.scale == Approx(0.32));
  CHECK(r.transform.pad_left == 0);
  CHECK(r.transform.pad_top == 16);
  CHECK(r.image.at<cv::Vec3b>(0, 0) == cv::Vec3b(114, 114, 114));
  CHECK(r.image.at<cv::Vec3b>(32, 32) == cv::Vec3b(1, 2, 3));
  BoxArray b(1, 4);
  b << 10, 20, 110, 80;
  CHECK(r.transform.to_source(r.transform.to_canvas(b)).isApprox(b, 1e-5f));

  const LetterboxResult small = letterbox(cv::Mat(10, 10, CV_8UC3, cv::Scalar::all(0)), 64, 32, 0, false);
  CHECK(small.transform.scale == 1.f);
  CHECK(small.transform.pad_left == 27);
  CHECK(small.transform.pad_top == 11);
}

TEST_CASE("fit_shortest_edge follows the DETR processors", "[core][image]") {
  // Values from transformers' get_size_with_aspect_ratio (shortest 800, longest 1333).
  CHECK(fit_shortest_edge(640, 480, 800, 1333) == std::pair<int, int>{1066, 800});
  CHECK(fit_shortest_edge(480, 640, 800, 1333) == std::pair<int, int>{800, 1066});
  CHECK(fit_shortest_edge(2000, 500, 800, 1333) == std::pair<int, int>{1332, 333});
  CHECK(fit_shortest_edge(800, 600, 600, 1333) == std::pair<int, int>{800, 600});
}

TEST_CASE("save_image writes atomically and reads back", "[core][image]") {
  test::TempDir dir("image_save");
  save_image(dir / "sub" / "x.png", two_tone());
  CHECK(cv::norm(load_image(dir / "sub" / "x.png"), two_tone(), cv::NORM_INF) == 0);
  for (const auto& e : std::filesystem::directory_iterator(dir / "sub"))
    CHECK(e.path().filename() == "x.png");  // no temporary left behind
  CHECK_THROWS_WITH(save_image(dir / "noext", two_tone()), Catch::Contains("no extension"));
}
