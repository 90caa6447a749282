#include "image_processing.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/logging.h"

namespace autodistill::clip_common {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's fixed point for 8-bit resampling

double filter_bicubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}
double filter_bilinear(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}
double filter_box(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }
double filter_hamming(double x) {
  x = std::fabs(x);
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x *= M_PI;
  return std::sin(x) / x * (0.54 + 0.46 * std::cos(x));
}
double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= M_PI;
  return std::sin(x) / x;
}
double filter_lanczos(double x) { return (x > -3.0 && x < 3.0) ? sinc(x) * sinc(x / 3.0) : 0.0; }

struct Coeffs {
  int ksize = 0;
  std::vector<int> bounds;  // (xmin, count) per output pixel
  std::vector<int32_t> k;   // fixed-point weights, ksize per output pixel
};

Coeffs precompute(int in_size, int out_size, PilFilter filter) {
  double (*fn)(double) = filter_bicubic;
  double support = 2.0;
  switch (filter) {
    case PilFilter::kBicubic: fn = filter_bicubic; support = 2.0; break;
    case PilFilter::kBilinear: fn = filter_bilinear; support = 1.0; break;
    case PilFilter::kBox: fn = filter_box; support = 0.5; break;
    case PilFilter::kHamming: fn = filter_hamming; support = 1.0; break;
    case PilFilter::kLanczos: fn = filter_lanczos; support = 3.0; break;
    case PilFilter::kNearest: AD_THROW(InvalidArgument, "pil_resize: NEAREST (resample 0) is not supported");
  }
  const double scale = double(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  support *= filterscale;
  Coeffs c;
  c.ksize = int(std::ceil(support)) * 2 + 1;
  c.bounds.resize(size_t(out_size) * 2);
  c.k.assign(size_t(out_size) * c.ksize, 0);
  std::vector<double> w(static_cast<size_t>(c.ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = int(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = int(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[size_t(x)] = fn((x + xmin - center + 0.5) * ss);
      ww += w[size_t(x)];
    }
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? w[size_t(x)] / ww : w[size_t(x)];
      c.k[size_t(xx) * c.ksize + x] = v < 0 ? int32_t(-0.5 + v * (1 << kPrecisionBits)) : int32_t(0.5 + v * (1 << kPrecisionBits));
    }
    c.bounds[size_t(xx) * 2] = xmin;
    c.bounds[size_t(xx) * 2 + 1] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t v) {
  const int32_t s = v >> kPrecisionBits;
  return uint8_t(s < 0 ? 0 : (s > 255 ? 255 : s));
}

cv::Mat resample_horizontal(const cv::Mat& in, int out_w, PilFilter filter) {
  const Coeffs c = precompute(in.cols, out_w, filter);
  const int ch = in.channels();
  cv::Mat out(in.rows, out_w, in.type());
  for (int y = 0; y < in.rows; ++y) {
    const uint8_t* src = in.ptr<uint8_t>(y);
    uint8_t* dst = out.ptr<uint8_t>(y);
    for (int xx = 0; xx < out_w; ++xx) {
      const int xmin = c.bounds[size_t(xx) * 2], n = c.bounds[size_t(xx) * 2 + 1];
      const int32_t* k = &c.k[size_t(xx) * c.ksize];
      for (int cc = 0; cc < ch; ++cc) {
        int32_t ss = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < n; ++x) ss += int32_t(src[(x + xmin) * ch + cc]) * k[x];
        dst[xx * ch + cc] = clip8(ss);
      }
    }
  }
  return out;
}

cv::Mat resample_vertical(const cv::Mat& in, int out_h, PilFilter filter) {
  const Coeffs c = precompute(in.rows, out_h, filter);
  const int row = in.cols * in.channels();
  cv::Mat out(out_h, in.cols, in.type());
  for (int yy = 0; yy < out_h; ++yy) {
    const int ymin = c.bounds[size_t(yy) * 2], n = c.bounds[size_t(yy) * 2 + 1];
    const int32_t* k = &c.k[size_t(yy) * c.ksize];
    uint8_t* dst = out.ptr<uint8_t>(yy);
    for (int i = 0; i < row; ++i) {
      int32_t ss = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < n; ++y) ss += int32_t(in.ptr<uint8_t>(y + ymin)[i]) * k[y];
      dst[i] = clip8(ss);
    }
  }
  return out;
}

// scipy.ndimage "mirror" boundary: d c b | a b c d | c b a.
inline int64_t mirror(int64_t i, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i > n - 1 ? period - i : i;
}

// scipy.ndimage.gaussian_filter1d(truncate=4, mode="mirror") along `axis` (0: rows, 1: cols) of an
// (H, W, C) float32 image; double accumulation, float32 result, as scipy does.
void gaussian_axis(std::vector<float>& img, int64_t h, int64_t w, int64_t c, int axis, double sigma) {
  const int64_t lw = int64_t(4.0 * sigma + 0.5);
  std::vector<double> k(static_cast<size_t>(lw) + 1);
  double sum = 0.0;
  for (int64_t i = -lw; i <= lw; ++i) sum += std::exp(-0.5 / (sigma * sigma) * double(i * i));
  for (int64_t i = 0; i <= lw; ++i) k[size_t(i)] = std::exp(-0.5 / (sigma * sigma) * double(i * i)) / sum;
  const int64_t n = axis == 0 ? h : w;
  const int64_t stride = axis == 0 ? w * c : c;
  const int64_t lines = axis == 0 ? w * c : h * c;
  std::vector<double> line(static_cast<size_t>(n));
  for (int64_t li = 0; li < lines; ++li) {
    int64_t base;
    if (axis == 0) base = li;                      // (x, ch) pairs
    else base = (li / c) * w * c + (li % c);       // (y, ch) pairs
    for (int64_t i = 0; i < n; ++i) line[size_t(i)] = img[size_t(base + i * stride)];
    for (int64_t i = 0; i < n; ++i) {
      double acc = line[size_t(i)] * k[0];
      for (int64_t j = 1; j <= lw; ++j) acc += (line[size_t(mirror(i + j, n))] + line[size_t(mirror(i - j, n))]) * k[size_t(j)];
      img[size_t(base + i * stride)] = float(acc);
    }
  }
}

struct Tap {
  int64_t i0, i1;
  double w0, w1;
};

// scipy.ndimage.zoom(order=1, grid_mode=True, mode="mirror") sample positions along one axis.
std::vector<Tap> zoom_taps(int64_t in, int64_t out) {
  std::vector<Tap> taps(static_cast<size_t>(out));
  const double z = double(in) / double(out);
  for (int64_t o = 0; o < out; ++o) {
    double x = (double(o) + 0.5) * z - 0.5;
    if (in == 1) x = 0;
    // map the coordinate into [0, in - 1] by mirroring, as scipy does before interpolating
    if (x < 0) x = -x;
    if (x > double(in - 1)) x = 2.0 * double(in - 1) - x;
    const double f = std::floor(x);
    const double t = x - f;
    taps[size_t(o)] = {mirror(int64_t(f), in), mirror(int64_t(f) + 1, in), 1.0 - t, t};
  }
  return taps;
}

at::Tensor normalize_hwc_to_chw(const float* hwc, int64_t h, int64_t w, const ImageProcessorConfig& cfg) {
  at::Tensor out = at::empty({3, h, w}, at::kFloat);
  float* o = out.data_ptr<float>();
  for (int64_t ch = 0; ch < 3; ++ch) {
    const float mean = cfg.image_mean[size_t(ch)], std = cfg.image_std[size_t(ch)];
    float* plane = o + ch * h * w;
    for (int64_t i = 0; i < h * w; ++i) {
      const float v = hwc[i * 3 + ch];
      plane[i] = cfg.do_normalize ? (v - mean) / std : v;
    }
  }
  return out;
}

// HF center_crop: top = (H - ch) // 2, zero padding when the crop is larger than the image.
cv::Mat center_crop(const cv::Mat& img, int ch, int cw) {
  if (img.rows >= ch && img.cols >= cw) {
    const int top = (img.rows - ch) / 2, left = (img.cols - cw) / 2;
    return img(cv::Rect(left, top, cw, ch)).clone();
  }
  const int nh = std::max(ch, img.rows), nw = std::max(cw, img.cols);
  cv::Mat canvas = cv::Mat::zeros(nh, nw, img.type());
  const int tp = (nh - img.rows + 1) / 2, lp = (nw - img.cols + 1) / 2;
  img.copyTo(canvas(cv::Rect(lp, tp, img.cols, img.rows)));
  // floor division on possibly negative offsets, as Python's //
  auto floordiv2 = [](int v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); };
  const int top = floordiv2(img.rows - ch) + tp, left = floordiv2(img.cols - cw) + lp;
  return canvas(cv::Rect(left, top, cw, ch)).clone();
}

at::Tensor preprocess_pil_path(const cv::Mat& rgb, const ImageProcessorConfig& cfg) {
  cv::Mat img = rgb;
  if (cfg.do_resize) {
    int out_h = int(cfg.height), out_w = int(cfg.width);
    if (cfg.shortest_edge > 0) {
      // get_resize_output_image_size(default_to_square=False): the longer side is truncated.
      const int s = int(cfg.shortest_edge);
      const bool w_short = img.cols <= img.rows;
      const int shorter = w_short ? img.cols : img.rows, longer = w_short ? img.rows : img.cols;
      const int new_long = int(int64_t(s) * longer / shorter);
      out_w = w_short ? s : new_long;
      out_h = w_short ? new_long : s;
    }
    if (out_w != img.cols || out_h != img.rows) img = pil_resize(img, out_w, out_h, cfg.resample);
  }
  if (cfg.do_center_crop) img = center_crop(img, int(cfg.crop_height), int(cfg.crop_width));
  const int64_t h = img.rows, w = img.cols;
  std::vector<float> hwc(size_t(h * w * 3));
  for (int64_t y = 0; y < h; ++y) {
    const uint8_t* p = img.ptr<uint8_t>(int(y));
    for (int64_t i = 0; i < w * 3; ++i)
      hwc[size_t(y * w * 3 + i)] = cfg.do_rescale ? float(double(p[i]) * cfg.rescale_factor) : float(p[i]);
  }
  return normalize_hwc_to_chw(hwc.data(), h, w, cfg);
}

at::Tensor preprocess_owlv2(const cv::Mat& rgb, const ImageProcessorConfig& cfg) {
  int64_t h = rgb.rows, w = rgb.cols;
  const float pad_value = cfg.do_rescale ? 0.5f : 0.5f;
  const int64_t side = cfg.do_pad ? std::max(h, w) : 0;
  const int64_t ph = cfg.do_pad ? side : h, pw = cfg.do_pad ? side : w;
  std::vector<float> img(size_t(ph * pw * 3), pad_value);
  for (int64_t y = 0; y < h; ++y) {
    const uint8_t* p = rgb.ptr<uint8_t>(int(y));
    for (int64_t i = 0; i < w * 3; ++i)
      img[size_t(y * pw * 3 + i)] = cfg.do_rescale ? float(double(p[i]) * cfg.rescale_factor) : float(p[i]);
  }
  h = ph;
  w = pw;
  if (!cfg.do_resize) return normalize_hwc_to_chw(img.data(), h, w, cfg);
  const int64_t oh = cfg.height, ow = cfg.width;
  const auto [mn, mx] = std::minmax_element(img.begin(), img.end());
  const float lo = *mn, hi = *mx;
  std::vector<float> filtered = img;
  const double sy = std::max(0.0, (double(h) / double(oh) - 1.0) / 2.0);
  const double sx = std::max(0.0, (double(w) / double(ow) - 1.0) / 2.0);
  if (sy > 1e-15) gaussian_axis(filtered, h, w, 3, 0, sy);
  if (sx > 1e-15) gaussian_axis(filtered, h, w, 3, 1, sx);
  const auto ty = zoom_taps(h, oh), tx = zoom_taps(w, ow);
  std::vector<float> out(size_t(oh * ow * 3));
  for (int64_t y = 0; y < oh; ++y) {
    const Tap& a = ty[size_t(y)];
    for (int64_t x = 0; x < ow; ++x) {
      const Tap& b = tx[size_t(x)];
      for (int64_t ch = 0; ch < 3; ++ch) {
        auto at = [&](int64_t yy, int64_t xx) { return double(filtered[size_t((yy * w + xx) * 3 + ch)]); };
        double v = a.w0 * b.w0 * at(a.i0, b.i0) + a.w0 * b.w1 * at(a.i0, b.i1) + a.w1 * b.w0 * at(a.i1, b.i0) +
                   a.w1 * b.w1 * at(a.i1, b.i1);
        float f = float(v);
        out[size_t((y * ow + x) * 3 + ch)] = std::min(std::max(f, lo), hi);
      }
    }
  }
  return normalize_hwc_to_chw(out.data(), oh, ow, cfg);
}

void read_size(const nlohmann::json& j, const char* key, int64_t* shortest, int64_t* h, int64_t* w, bool int_is_shortest) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if (it->is_number_integer()) {
    if (int_is_shortest && shortest) *shortest = it->get<int64_t>();
    else *h = *w = it->get<int64_t>();
    return;
  }
  if (shortest && it->contains("shortest_edge")) {
    *shortest = (*it)["shortest_edge"].get<int64_t>();
    return;
  }
  if (it->contains("height")) *h = (*it)["height"].get<int64_t>();
  if (it->contains("width")) *w = (*it)["width"].get<int64_t>();
  if (shortest) *shortest = 0;
}

}  // namespace

cv::Mat pil_resize(const cv::Mat& image, int width, int height, PilFilter filter) {
  AD_CHECK(image.depth() == CV_8U && image.channels() >= 1 && image.channels() <= 4 && !image.empty(),
           "pil_resize: expected a non-empty 8-bit image with 1 to 4 channels, got {}x{} type {}", image.cols,
           image.rows, image.type());
  AD_CHECK(width > 0 && height > 0, "pil_resize: output size must be positive, got {}x{}", width, height);
  cv::Mat img = image.isContinuous() ? image : image.clone();
  if (width != img.cols) img = resample_horizontal(img, width, filter);
  if (height != img.rows) img = resample_vertical(img, height, filter);
  return img.data == image.data ? img.clone() : img;
}

int64_t ImageProcessorConfig::output_height() const {
  if (kind != Kind::kOwlV2 && do_center_crop) return crop_height;
  return height;
}
int64_t ImageProcessorConfig::output_width() const {
  if (kind != Kind::kOwlV2 && do_center_crop) return crop_width;
  return width;
}

ImageProcessorConfig default_image_processor(Family family) {
  ImageProcessorConfig c;
  switch (family) {
    case Family::kClip:
      c.kind = ImageProcessorConfig::Kind::kClip;
      c.shortest_edge = 224;
      break;
    case Family::kOwlViT:
      c.kind = ImageProcessorConfig::Kind::kOwlViT;
      c.height = c.width = 768;
      c.crop_height = c.crop_width = 768;
      c.do_center_crop = false;
      break;
    case Family::kOwlV2:
      c.kind = ImageProcessorConfig::Kind::kOwlV2;
      c.height = c.width = 960;
      c.resample = PilFilter::kBilinear;
      c.do_center_crop = false;
      break;
  }
  return c;
}

ImageProcessorConfig load_image_processor(const std::filesystem::path& folder, Family family) {
  ImageProcessorConfig c = default_image_processor(family);
  const auto path = folder / "preprocessor_config.json";
  std::ifstream in(path);
  if (!in.good()) {
    log_warning("{}: missing; using the {} image processor defaults", path.string(), family_name(family));
    return c;
  }
  nlohmann::json j;
  try {
    in >> j;
    if (j.contains("do_resize")) c.do_resize = j["do_resize"].get<bool>();
    read_size(j, "size", family == Family::kClip ? &c.shortest_edge : nullptr, &c.height, &c.width,
              family == Family::kClip);
    if (j.contains("resample") && j["resample"].is_number_integer()) c.resample = PilFilter(j["resample"].get<int>());
    if (j.contains("do_center_crop")) c.do_center_crop = j["do_center_crop"].get<bool>();
    read_size(j, "crop_size", nullptr, &c.crop_height, &c.crop_width, false);
    if (j.contains("do_rescale")) c.do_rescale = j["do_rescale"].get<bool>();
    if (j.contains("rescale_factor")) c.rescale_factor = j["rescale_factor"].get<double>();
    if (j.contains("do_normalize")) c.do_normalize = j["do_normalize"].get<bool>();
    if (j.contains("do_pad")) c.do_pad = j["do_pad"].get<bool>();
    for (const char* key : {"image_mean", "image_std"}) {
      if (!j.contains(key) || j[key].is_null()) continue;
      auto v = j[key].get<std::vector<float>>();
      AD_CHECK_IO(v.size() == 3, "{}: {} must have 3 values, got {}", path.string(), key, v.size());
      auto& dst = std::string(key) == "image_mean" ? c.image_mean : c.image_std;
      std::copy(v.begin(), v.end(), dst.begin());
    }
  } catch (const nlohmann::json::exception& e) {
    AD_THROW(IOError, "{}: malformed: {}", path.string(), e.what());
  }
  if (family == Family::kOwlV2) c.do_center_crop = false;
  return c;
}

void check_processor_matches(const ImageProcessorConfig& p, const Config& c, const std::filesystem::path& folder) {
  AD_CHECK(p.output_height() == c.vision.image_size && p.output_width() == c.vision.image_size,
           "{}: preprocessor_config.json produces {}x{} images but config.json's vision_config.image_size is {}",
           folder.string(), p.output_height(), p.output_width(), c.vision.image_size);
}

at::Tensor preprocess_rgb(const cv::Mat& rgb, const ImageProcessorConfig& cfg) {
  AD_CHECK(!rgb.empty() && rgb.type() == CV_8UC3, "preprocess: expected an RGB 8-bit image, got type {}", rgb.type());
  if (cfg.kind == ImageProcessorConfig::Kind::kOwlV2) return preprocess_owlv2(rgb, cfg);
  return preprocess_pil_path(rgb, cfg);
}

cv::Mat to_rgb_u8(const cv::Mat& image) {
  AD_CHECK(!image.empty(), "image is empty");
  AD_CHECK(image.depth() == CV_8U, "expected an 8-bit image (CV_8U depth), got depth {}", image.depth());
  cv::Mat rgb;
  switch (image.channels()) {
    case 1: cv::cvtColor(image, rgb, cv::COLOR_GRAY2RGB); break;
    case 3: cv::cvtColor(image, rgb, cv::COLOR_BGR2RGB); break;
    case 4: cv::cvtColor(image, rgb, cv::COLOR_BGRA2RGB); break;
    default: AD_THROW(InvalidArgument, "expected 1, 3 or 4 channels (gray, BGR, BGRA), got {}", image.channels());
  }
  return rgb;
}

}  // namespace autodistill::clip_common
