#pragma once
// The YOLOv8-family detection network in LibTorch (anchor-free, decoupled head, DFL box regression):
// CSP backbone with C2f blocks and SPPF, PAN neck, one Detect head per stride 8/16/32. Module names
// follow ultralytics' layer indices ("model.0" ... "model.22") so the tree reads like the original.
// Internal header (LibTorch): the public API is models/yolo/yolo.h.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

namespace autodistill::yolo {

/// Width / depth multiples of a model scale.
struct Scale {
  std::string name;       ///< "n", "s"
  double depth = 0.33;    ///< repeats multiple
  double width = 0.25;    ///< channels multiple
  int64_t max_channels = 1024;
};
/// "n" or "s"; InvalidArgument otherwise.
Scale scale_from_name(const std::string& name);

/// Conv2d (no bias) + BatchNorm2d (eps 1e-3, momentum 0.03) + SiLU.
class ConvBnSilu : public torch::nn::Module {
 public:
  ConvBnSilu(int64_t c1, int64_t c2, int64_t k = 1, int64_t s = 1);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};

/// x + cv2(cv1(x)) when `shortcut` (and shapes match), else cv2(cv1(x)); 3x3 convs.
class Bottleneck : public torch::nn::Module {
 public:
  Bottleneck(int64_t c1, int64_t c2, bool shortcut);
  at::Tensor forward(const at::Tensor& x);
  std::shared_ptr<ConvBnSilu> cv1, cv2;
  bool add = false;
};

/// CSP bottleneck with two convolutions: split cv1's output in two halves, run `n` bottlenecks on
/// the second half, concatenate every intermediate, fuse with cv2.
class C2f : public torch::nn::Module {
 public:
  C2f(int64_t c1, int64_t c2, int64_t n, bool shortcut);
  at::Tensor forward(const at::Tensor& x);
  int64_t c = 0;
  std::shared_ptr<ConvBnSilu> cv1, cv2;
  std::vector<std::shared_ptr<Bottleneck>> m;
};

/// Spatial pyramid pooling, fast: three chained 5x5 max-pools concatenated.
class SPPF : public torch::nn::Module {
 public:
  SPPF(int64_t c1, int64_t c2, int64_t k = 5);
  at::Tensor forward(const at::Tensor& x);
  std::shared_ptr<ConvBnSilu> cv1, cv2;
  int64_t k = 5;
};

/// Decoupled head: per level a box branch (4 * reg_max DFL logits) and a class branch (nc logits).
class Detect : public torch::nn::Module {
 public:
  Detect(int64_t nc, const std::vector<int64_t>& channels, int64_t reg_max = 16);
  /// Per level (B, 4 * reg_max + nc, H, W).
  std::vector<at::Tensor> forward(const std::vector<at::Tensor>& features);
  /// Ultralytics' initial biases: box 1.0, class log(5 / nc / (640 / stride)^2).
  void initialize_biases(const std::vector<int64_t>& strides);
  int64_t nc = 0, reg_max = 16;
  std::vector<std::shared_ptr<ConvBnSilu>> box1, box2, cls1, cls2;
  std::vector<torch::nn::Conv2d> box3, cls3;
  at::Tensor dfl_weight;  ///< (1, reg_max, 1, 1) = 0..reg_max-1, not trained
};

/// The whole network. forward(): per level (B, 4 * reg_max + nc, H/s, W/s) for s = 8, 16, 32.
class YoloNet : public torch::nn::Module {
 public:
  YoloNet(const Scale& scale, int64_t num_classes);
  std::vector<at::Tensor> forward(const at::Tensor& images);
  const std::vector<int64_t>& strides() const { return strides_; }
  int64_t num_classes() const { return nc_; }
  int64_t reg_max() const { return head->reg_max; }
  const Scale& scale() const { return scale_; }
  /// Multiply-adds x 2 of one forward pass at `size` x `size` (what ultralytics reports as GFLOPs).
  double flops(int64_t size);

  std::vector<std::shared_ptr<torch::nn::Module>> layers;  // "model.0" ... "model.21"
  std::shared_ptr<Detect> head;                            // "model.22"

 private:
  Scale scale_;
  int64_t nc_ = 0;
  std::vector<int64_t> strides_{8, 16, 32};
};

/// Decodes raw head outputs into boxes and class probabilities:
/// boxes (B, A, 4) xyxy in input pixels (DFL expectation of the 4 side distances, times the stride,
/// around each cell centre) and scores (B, A, nc) = sigmoid(class logits). A = sum of H*W over levels.
std::pair<at::Tensor, at::Tensor> decode(const std::vector<at::Tensor>& outputs, const std::vector<int64_t>& strides,
                                         int64_t reg_max, int64_t num_classes);

/// Cell-centre anchor points (A, 2) in grid units (x + 0.5, y + 0.5) and their strides (A, 1).
std::pair<at::Tensor, at::Tensor> make_anchors(const std::vector<at::Tensor>& outputs,
                                               const std::vector<int64_t>& strides);

}  // namespace autodistill::yolo
