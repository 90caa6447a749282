#include "autodistill/core/image.h"

#include <cmath>
#include <cstring>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "autodistill/core/error.h"
#include "autodistill/io/file_io.h"

namespace autodistill {

bool jpeg_is_complete(const uint8_t* d, size_t n) {
  if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) return false;
  size_t i = 2;
  while (i < n) {
    // Tolerate stray bytes between segments as libjpeg does: resync on the next 0xFF.
    const void* ff = std::memchr(d + i, 0xFF, n - i);
    if (!ff) return false;
    i = static_cast<size_t>(static_cast<const uint8_t*>(ff) - d);
    while (i < n && d[i] == 0xFF) ++i;  // fill bytes
    if (i >= n) return false;
    const uint8_t marker = d[i++];
    if (marker == 0xD9) return true;                                      // EOI
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length field
    if (i + 1 >= n) return false;
    const size_t length = (static_cast<size_t>(d[i]) << 8) | d[i + 1];
    if (length < 2) return false;
    i += length;
    if (marker != 0xDA) continue;
    // Entropy-coded scan: runs until a 0xFF that is neither stuffing (FF 00) nor a restart marker.
    while (i < n) {
      const void* p = std::memchr(d + i, 0xFF, n - i);
      if (!p) return false;
      i = static_cast<size_t>(static_cast<const uint8_t*>(p) - d);
      if (i + 1 >= n) return false;
      const uint8_t next = d[i + 1];
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
        i += 2;
        continue;
      }
      break;  // a real marker: the outer loop reads it
    }
  }
  return false;
}

cv::Mat to_bgr8(const cv::Mat& image) {
  AD_CHECK(!image.empty(), "to_bgr8: the image is empty");
  cv::Mat depth8;
  switch (image.depth()) {
    case CV_8U: depth8 = image; break;
    case CV_16U: image.convertTo(depth8, CV_8U, 1.0 / 257.0); break;
    case CV_32F:
    case CV_64F: image.convertTo(depth8, CV_8U, 255.0); break;
    default:
      AD_THROW(InvalidArgument, "to_bgr8: unsupported pixel depth {} (expected 8-bit, 16-bit unsigned or float)",
               image.depth());
  }
  cv::Mat out;
  switch (image.channels()) {
    case 1: cv::cvtColor(depth8, out, cv::COLOR_GRAY2BGR); break;
    case 3: out = depth8; break;
    case 4: cv::cvtColor(depth8, out, cv::COLOR_BGRA2BGR); break;
    default:
      AD_THROW(InvalidArgument, "to_bgr8: unsupported channel count {} (expected 1, 3 or 4)", image.channels());
  }
  return out.isContinuous() ? out : out.clone();
}

cv::Mat decode_image(const uint8_t* data, size_t size, const std::string& name) {
  AD_CHECK_IO(size > 0, "'{}' is empty (0 bytes), not an image", name);
  const bool is_jpeg = size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
  AD_CHECK_IO(!is_jpeg || jpeg_is_complete(data, size), "'{}' is a truncated JPEG (no end-of-image marker)", name);
  cv::Mat decoded;
  try {
    const cv::Mat buffer(1, static_cast<int>(size), CV_8U, const_cast<uint8_t*>(data));
    // COLOR|ANYDEPTH: 3 channels, 16-bit kept for to_bgr8 to scale, EXIF orientation applied.
    decoded = cv::imdecode(buffer, cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH);
  } catch (const cv::Exception& e) {
    AD_THROW(IOError, "'{}' could not be decoded: {}", name, e.err);
  }
  AD_CHECK_IO(!decoded.empty(), "'{}' is not a decodable image (unknown format, or corrupt or truncated data)", name);
  return to_bgr8(decoded);
}

cv::Mat load_image(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_binary_file(path);
  return decode_image(bytes.data(), bytes.size(), path.string());
}

void save_image(const std::filesystem::path& path, const cv::Mat& image) {
  AD_CHECK(!image.empty(), "save_image: the image for '{}' is empty", path.string());
  std::string ext = path.extension().string();
  AD_CHECK(!ext.empty(), "save_image: '{}' has no extension to choose a format by (.png, .jpg, ...)", path.string());
  std::vector<uint8_t> encoded;
  bool ok = false;
  try {
    ok = cv::imencode(ext, image, encoded);
  } catch (const cv::Exception& e) {
    AD_THROW(IOError, "cannot encode '{}': {}", path.string(), e.err);
  }
  AD_CHECK_IO(ok, "cannot encode '{}' as {}", path.string(), ext);
  write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(encoded.data()), encoded.size()));
}

BoxArray LetterboxTransform::to_source(const BoxArray& b) const {
  BoxArray out(b.rows(), 4);
  out.col(0) = (b.col(0).array() - static_cast<float>(pad_left)) / scale;
  out.col(1) = (b.col(1).array() - static_cast<float>(pad_top)) / scale;
  out.col(2) = (b.col(2).array() - static_cast<float>(pad_left)) / scale;
  out.col(3) = (b.col(3).array() - static_cast<float>(pad_top)) / scale;
  return out;
}

BoxArray LetterboxTransform::to_canvas(const BoxArray& b) const {
  BoxArray out(b.rows(), 4);
  out.col(0) = b.col(0).array() * scale + static_cast<float>(pad_left);
  out.col(1) = b.col(1).array() * scale + static_cast<float>(pad_top);
  out.col(2) = b.col(2).array() * scale + static_cast<float>(pad_left);
  out.col(3) = b.col(3).array() * scale + static_cast<float>(pad_top);
  return out;
}

LetterboxResult letterbox(const cv::Mat& image, int width, int height, uint8_t pad_value, bool allow_upscale) {
  AD_CHECK(!image.empty(), "letterbox: the image is empty");
  AD_CHECK(width > 0 && height > 0, "letterbox: target size must be positive, got {}x{}", width, height);
  float scale = std::min(static_cast<float>(width) / image.cols, static_cast<float>(height) / image.rows);
  if (!allow_upscale) scale = std::min(scale, 1.f);
  const int new_w = std::max(1, std::min(width, static_cast<int>(std::lround(image.cols * scale))));
  const int new_h = std::max(1, std::min(height, static_cast<int>(std::lround(image.rows * scale))));
  cv::Mat resized;
  if (new_w != image.cols || new_h != image.rows)
    cv::resize(image, resized, cv::Size(new_w, new_h), 0, 0, cv::INTER_LINEAR);
  else
    resized = image;
  LetterboxResult r;
  r.transform = {scale, (width - new_w) / 2, (height - new_h) / 2, width, height};
  cv::copyMakeBorder(resized, r.image, r.transform.pad_top, height - new_h - r.transform.pad_top,
                     r.transform.pad_left, width - new_w - r.transform.pad_left, cv::BORDER_CONSTANT,
                     cv::Scalar::all(pad_value));
  return r;
}

std::pair<int, int> fit_shortest_edge(int width, int height, int shortest_edge, int longest_edge) {
  AD_CHECK(width > 0 && height > 0, "fit_shortest_edge: image size must be positive, got {}x{}", width, height);
  // Follows the DETR-family processors: shrink the target short side if the long side would overflow.
  double size = shortest_edge;
  const double min_side = std::min(width, height), max_side = std::max(width, height);
  if (longest_edge > 0 && max_side / min_side * size > longest_edge)
    size = std::nearbyint(longest_edge * min_side / max_side);  // half-to-even, as Python round()
  const int s = static_cast<int>(size);
  if ((height <= width && height == s) || (width <= height && width == s)) return {width, height};
  if (width < height) return {s, static_cast<int>(s * static_cast<double>(height) / width)};
  return {static_cast<int>(s * static_cast<double>(width) / height), s};
}

}  // namespace autodistill
