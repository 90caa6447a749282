#include "yolo_net.h"

#include <cmath>


#include <fmt/format.h>
#include <fmt/ranges.h>

#include "autodistill/core/error.h"

namespace autodistill::yolo {

Scale scale_from_name(const std::string& name) {
  if (name == "n") return {"n", 0.33, 0.25, 1024};
  if (name == "s") return {"s", 0.33, 0.50, 1024};
  AD_THROW(InvalidArgument, "YOLO scale must be 'n' or 's', got '{}'", name);
}

ConvBnSilu::ConvBnSilu(int64_t c1, int64_t c2, int64_t k, int64_t s) {
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(c1, c2, k).stride(s).padding(k / 2).bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(c2).eps(1e-3).momentum(0.03)));
}

at::Tensor ConvBnSilu::forward(const at::Tensor& x) { return at::silu(bn->forward(conv->forward(x))); }

Bottleneck::Bottleneck(int64_t c1, int64_t c2, bool shortcut) : add(shortcut && c1 == c2) {
  cv1 = register_module("cv1", std::make_shared<ConvBnSilu>(c1, c2, 3));
  cv2 = register_module("cv2", std::make_shared<ConvBnSilu>(c2, c2, 3));
}

at::Tensor Bottleneck::forward(const at::Tensor& x) {
  at::Tensor y = cv2->forward(cv1->forward(x));
  return add ? x + y : y;
}

C2f::C2f(int64_t c1, int64_t c2, int64_t n, bool shortcut) : c(c2 / 2) {
  cv1 = register_module("cv1", std::make_shared<ConvBnSilu>(c1, 2 * c, 1));
  cv2 = register_module("cv2", std::make_shared<ConvBnSilu>((2 + n) * c, c2, 1));
  auto list = register_module("m", std::make_shared<torch::nn::Module>());
  for (int64_t i = 0; i < n; ++i)
    m.push_back(list->register_module(std::to_string(i), std::make_shared<Bottleneck>(c, c, shortcut)));
}

at::Tensor C2f::forward(const at::Tensor& x) {
  std::vector<at::Tensor> y = cv1->forward(x).chunk(2, 1);
  for (auto& b : m) y.push_back(b->forward(y.back()));
  return cv2->forward(at::cat(y, 1));
}

SPPF::SPPF(int64_t c1, int64_t c2, int64_t kernel) : k(kernel) {
  cv1 = register_module("cv1", std::make_shared<ConvBnSilu>(c1, c1 / 2, 1));
  cv2 = register_module("cv2", std::make_shared<ConvBnSilu>(c1 / 2 * 4, c2, 1));
}

at::Tensor SPPF::forward(const at::Tensor& x) {
  std::vector<at::Tensor> y{cv1->forward(x)};
  for (int i = 0; i < 3; ++i) y.push_back(at::max_pool2d(y.back(), {k, k}, {1, 1}, {k / 2, k / 2}));
  return cv2->forward(at::cat(y, 1));
}

Detect::Detect(int64_t num_classes, const std::vector<int64_t>& ch, int64_t rm) : nc(num_classes), reg_max(rm) {
  const int64_t c2 = std::max<int64_t>({16, ch[0] / 4, reg_max * 4});
  const int64_t c3 = std::max<int64_t>(ch[0], std::min<int64_t>(nc, 100));
  auto cv2 = register_module("cv2", std::make_shared<torch::nn::Module>());
  auto cv3 = register_module("cv3", std::make_shared<torch::nn::Module>());
  for (size_t i = 0; i < ch.size(); ++i) {
    // Children named as ultralytics' Sequential: cv2.i.0, cv2.i.1, cv2.i.2.
    auto b = cv2->register_module(std::to_string(i), std::make_shared<torch::nn::Module>());
    box1.push_back(b->register_module("0", std::make_shared<ConvBnSilu>(ch[i], c2, 3)));
    box2.push_back(b->register_module("1", std::make_shared<ConvBnSilu>(c2, c2, 3)));
    box3.push_back(b->register_module("2", torch::nn::Conv2d(torch::nn::Conv2dOptions(c2, 4 * reg_max, 1))));
    auto c = cv3->register_module(std::to_string(i), std::make_shared<torch::nn::Module>());
    cls1.push_back(c->register_module("0", std::make_shared<ConvBnSilu>(ch[i], c3, 3)));
    cls2.push_back(c->register_module("1", std::make_shared<ConvBnSilu>(c3, c3, 3)));
    cls3.push_back(c->register_module("2", torch::nn::Conv2d(torch::nn::Conv2dOptions(c3, nc, 1))));
  }
  // The DFL projection (expected bin = sum_k k * softmax_k), a fixed 1x1 conv in ultralytics'
  // checkpoints ("dfl.conv.weight" = 0..reg_max-1); kept so the tree and parameter count match.
  auto dfl = register_module("dfl", std::make_shared<torch::nn::Module>());
  dfl_weight = dfl->register_module("conv", std::make_shared<torch::nn::Module>())
                   ->register_parameter("weight", at::arange(reg_max, at::kFloat).view({1, reg_max, 1, 1}), false);
}

std::vector<at::Tensor> Detect::forward(const std::vector<at::Tensor>& features) {
  AD_CHECK(features.size() == box1.size(), "Detect: expected {} feature maps, got {}", box1.size(), features.size());
  std::vector<at::Tensor> out;
  for (size_t i = 0; i < features.size(); ++i) {
    const at::Tensor b = box3[i]->forward(box2[i]->forward(box1[i]->forward(features[i])));
    const at::Tensor c = cls3[i]->forward(cls2[i]->forward(cls1[i]->forward(features[i])));
    out.push_back(at::cat({b, c}, 1));
  }
  return out;
}

void Detect::initialize_biases(const std::vector<int64_t>& strides) {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < box3.size(); ++i) {
    box3[i]->bias.fill_(1.0);
    cls3[i]->bias.fill_(std::log(5.0 / double(nc) / std::pow(640.0 / double(strides[i]), 2)));
  }
}

namespace {
int64_t channels(const Scale& s, int64_t c) {
  // As ultralytics: min(c, max_channels) * width, rounded up to a multiple of 8.
  const double v = double(std::min(c, s.max_channels)) * s.width;
  return int64_t(std::ceil(v / 8.0)) * 8;
}
int64_t repeats(const Scale& s, int64_t n) { return n > 1 ? std::max<int64_t>(int64_t(std::round(double(n) * s.depth)), 1) : n; }
}  // namespace

YoloNet::YoloNet(const Scale& s, int64_t num_classes) : scale_(s), nc_(num_classes) {
  AD_CHECK(num_classes >= 1, "YOLO needs at least one class, got {}", num_classes);
  const int64_t c64 = channels(s, 64), c128 = channels(s, 128), c256 = channels(s, 256), c512 = channels(s, 512),
                c1024 = channels(s, 1024);
  auto model = register_module("model", std::make_shared<torch::nn::Module>());
  auto add = [&](std::shared_ptr<torch::nn::Module> m) {
    layers.push_back(model->register_module(std::to_string(layers.size()), m));
  };
  add(std::make_shared<ConvBnSilu>(3, c64, 3, 2));                 // 0  P1/2
  add(std::make_shared<ConvBnSilu>(c64, c128, 3, 2));              // 1  P2/4
  add(std::make_shared<C2f>(c128, c128, repeats(s, 3), true));     // 2
  add(std::make_shared<ConvBnSilu>(c128, c256, 3, 2));             // 3  P3/8
  add(std::make_shared<C2f>(c256, c256, repeats(s, 6), true));     // 4
  add(std::make_shared<ConvBnSilu>(c256, c512, 3, 2));             // 5  P4/16
  add(std::make_shared<C2f>(c512, c512, repeats(s, 6), true));     // 6
  add(std::make_shared<ConvBnSilu>(c512, c1024, 3, 2));            // 7  P5/32
  add(std::make_shared<C2f>(c1024, c1024, repeats(s, 3), true));   // 8
  add(std::make_shared<SPPF>(c1024, c1024, 5));                    // 9
  // Upsample (10, 13) and concat (11, 14, 17, 20) have no parameters; their indices are kept free so
  // the parameter names match ultralytics' layer numbers.
  layers.push_back(nullptr);                                        // 10 upsample
  layers.push_back(nullptr);                                        // 11 concat P4
  add(std::make_shared<C2f>(c1024 + c512, c512, repeats(s, 3), false));  // 12
  layers.push_back(nullptr);                                        // 13 upsample
  layers.push_back(nullptr);                                        // 14 concat P3
  add(std::make_shared<C2f>(c512 + c256, c256, repeats(s, 3), false));   // 15 P3 out
  add(std::make_shared<ConvBnSilu>(c256, c256, 3, 2));                   // 16
  layers.push_back(nullptr);                                              // 17 concat 12
  add(std::make_shared<C2f>(c256 + c512, c512, repeats(s, 3), false));   // 18 P4 out
  add(std::make_shared<ConvBnSilu>(c512, c512, 3, 2));                   // 19
  layers.push_back(nullptr);                                              // 20 concat 9
  add(std::make_shared<C2f>(c512 + c1024, c1024, repeats(s, 3), false)); // 21 P5 out
  head = model->register_module("22", std::make_shared<Detect>(nc_, std::vector<int64_t>{c256, c512, c1024}));
  head->initialize_biases(strides_);
}

namespace {
template <typename T>
at::Tensor run(const std::vector<std::shared_ptr<torch::nn::Module>>& layers, size_t i, const at::Tensor& x) {
  return static_cast<T&>(*layers[i]).forward(x);
}
at::Tensor up2(const at::Tensor& x) { return at::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2}); }
}  // namespace

std::vector<at::Tensor> YoloNet::forward(const at::Tensor& images) {
  AD_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) % 32 == 0 && images.size(3) % 32 == 0,
           "YOLO: images must be (B, 3, H, W) with H and W multiples of 32, got [{}]", fmt::join(images.sizes(), ", "));
  at::Tensor x = run<ConvBnSilu>(layers, 0, images);
  x = run<ConvBnSilu>(layers, 1, x);
  x = run<C2f>(layers, 2, x);
  x = run<ConvBnSilu>(layers, 3, x);
  const at::Tensor p3 = run<C2f>(layers, 4, x);
  x = run<ConvBnSilu>(layers, 5, p3);
  const at::Tensor p4 = run<C2f>(layers, 6, x);
  x = run<ConvBnSilu>(layers, 7, p4);
  x = run<C2f>(layers, 8, x);
  const at::Tensor p5 = run<SPPF>(layers, 9, x);
  const at::Tensor h12 = run<C2f>(layers, 12, at::cat({up2(p5), p4}, 1));
  const at::Tensor o3 = run<C2f>(layers, 15, at::cat({up2(h12), p3}, 1));
  const at::Tensor o4 = run<C2f>(layers, 18, at::cat({run<ConvBnSilu>(layers, 16, o3), h12}, 1));
  const at::Tensor o5 = run<C2f>(layers, 21, at::cat({run<ConvBnSilu>(layers, 19, o4), p5}, 1));
  return head->forward({o3, o4, o5});
}

double YoloNet::flops(int64_t size) {
  // Every convolution inside a layer outputs at that layer's resolution (the strided ones included),
  // so multiply-adds = out_h * out_w * c_out * c_in / groups * k_h * k_w summed per layer.
  static const int64_t kDownsample[22] = {2, 4, 4, 8, 8, 16, 16, 32, 32, 32, 0, 0, 16, 0, 0, 8, 16, 0, 16, 32, 0, 32};
  auto conv_macs = [](torch::nn::Module& m, int64_t hw) {
    double macs = 0;
    for (auto& child : m.modules(/*include_self=*/true))
      if (auto* c = child->as<torch::nn::Conv2dImpl>()) {
        const auto& o = c->options;
        macs += double(hw) * double(hw) * double(o.out_channels()) * double(o.in_channels() / o.groups()) *
                double(o.kernel_size()->at(0) * o.kernel_size()->at(1));
      }
    return macs;
  };
  double macs = 0;
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i]) macs += conv_macs(*layers[i], (size + kDownsample[i] - 1) / kDownsample[i]);
  for (size_t l = 0; l < strides_.size(); ++l) {
    const int64_t hw = (size + strides_[l] - 1) / strides_[l];
    macs += conv_macs(*head->box1[l], hw) + conv_macs(*head->box2[l], hw) + conv_macs(*head->box3[l], hw);
    macs += conv_macs(*head->cls1[l], hw) + conv_macs(*head->cls2[l], hw) + conv_macs(*head->cls3[l], hw);
  }
  return 2.0 * macs;
}

std::pair<at::Tensor, at::Tensor> make_anchors(const std::vector<at::Tensor>& outputs,
                                               const std::vector<int64_t>& strides) {
  std::vector<at::Tensor> points, stride_col;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const int64_t h = outputs[i].size(2), w = outputs[i].size(3);
    const auto opts = outputs[i].options().dtype(at::kFloat);
    const at::Tensor sx = at::arange(w, opts) + 0.5, sy = at::arange(h, opts) + 0.5;
    // Row-major over (y, x), as the flattened feature maps.
    points.push_back(at::stack({sx.view({1, w}).expand({h, w}), sy.view({h, 1}).expand({h, w})}, -1).reshape({h * w, 2}));
    stride_col.push_back(at::full({h * w, 1}, double(strides[i]), opts));
  }
  return {at::cat(points, 0), at::cat(stride_col, 0)};
}

std::pair<at::Tensor, at::Tensor> decode(const std::vector<at::Tensor>& outputs, const std::vector<int64_t>& strides,
                                         int64_t reg_max, int64_t num_classes) {
  std::vector<at::Tensor> flat;
  for (const at::Tensor& o : outputs) flat.push_back(o.flatten(2));  // (B, C, H*W)
  const at::Tensor all = at::cat(flat, 2).to(at::kFloat);            // (B, 4R + nc, A)
  const int64_t b = all.size(0), a = all.size(2);
  AD_CHECK(all.size(1) == 4 * reg_max + num_classes, "YOLO decode: {} channels, expected 4 * {} + {}", all.size(1),
           reg_max, num_classes);
  const at::Tensor dist_logits = all.narrow(1, 0, 4 * reg_max).view({b, 4, reg_max, a});
  // DFL: the expected bin of a softmax over reg_max bins, per side (left, top, right, bottom).
  const at::Tensor bins = at::arange(reg_max, all.options()).view({1, 1, reg_max, 1});
  const at::Tensor dist = (at::softmax(dist_logits, 2) * bins).sum(2).transpose(1, 2);  // (B, A, 4)
  const auto [anchors, stride] = make_anchors(outputs, strides);
  const at::Tensor lt = dist.narrow(2, 0, 2), rb = dist.narrow(2, 2, 2);
  const at::Tensor boxes = at::cat({anchors - lt, anchors + rb}, 2) * stride;  // xyxy, input pixels
  const at::Tensor scores = at::sigmoid(all.narrow(1, 4 * reg_max, num_classes)).transpose(1, 2);
  return {boxes, scores};
}

}  // namespace autodistill::yolo
