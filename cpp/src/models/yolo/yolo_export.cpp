#include "yolo_export.h"

#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/csrc/jit/api/compilation_unit.h>
#include <torch/csrc/jit/api/module.h>

#include "autodistill/core/error.h"
#include "autodistill/io/file_io.h"

namespace autodistill::yolo {
namespace {

namespace tj = torch::jit;

// TorchScript source of each module type. Per-instance numbers (strides, flags) are attributes so
// that every instance of a type shares one compiled forward.
constexpr const char* kConvSource = R"(
def forward(self, x):
    # Conv2d with BatchNorm folded into weight and bias, then SiLU.
    y = torch.conv2d(x, self.weight, self.bias, [self.stride, self.stride], [self.padding, self.padding])
    return torch.silu(y)
)";

constexpr const char* kBottleneckSource = R"(
def forward(self, x):
    y = self.cv2.forward(self.cv1.forward(x))
    if self.add:
        return x + y
    return y
)";

constexpr const char* kSppfSource = R"(
def forward(self, x):
    k = self.k
    y0 = self.cv1.forward(x)
    y1 = torch.max_pool2d(y0, [k, k], [1, 1], [k // 2, k // 2])
    y2 = torch.max_pool2d(y1, [k, k], [1, 1], [k // 2, k // 2])
    y3 = torch.max_pool2d(y2, [k, k], [1, 1], [k // 2, k // 2])
    return self.cv2.forward(torch.cat([y0, y1, y2, y3], 1))
)";

// One head branch (ultralytics' cv2.i / cv3.i): two Convs and a plain 1x1 convolution.
constexpr const char* kBranchSource = R"(
def forward(self, x):
    return torch.conv2d(self.cv2.forward(self.cv1.forward(x)), self.weight, self.bias)
)";

// The head and yolo_net.cpp's decode(): DFL expectation of the 4 side distances, times the stride,
// around each cell centre; sigmoid class scores. Anchors follow the input's device and dtype.
constexpr const char* kDetectSource = R"(
def forward(self, p3, p4, p5):
    outs = [torch.cat([self.box0.forward(p3), self.cls0.forward(p3)], 1),
            torch.cat([self.box1.forward(p4), self.cls1.forward(p4)], 1),
            torch.cat([self.box2.forward(p5), self.cls2.forward(p5)], 1)]
    return self.decode(outs)

def decode(self, outs: List[Tensor]) -> Tensor:
    flat: List[Tensor] = []
    anchors: List[Tensor] = []
    stride_cols: List[Tensor] = []
    for i in range(len(outs)):
        o = outs[i]
        h = o.size(2)
        w = o.size(3)
        sx = torch.arange(w, dtype=o.dtype, device=o.device) + 0.5
        sy = torch.arange(h, dtype=o.dtype, device=o.device) + 0.5
        xy = torch.stack([sx.view(1, w).expand(h, w), sy.view(h, 1).expand(h, w)], -1)
        anchors.append(xy.reshape(h * w, 2))
        stride_cols.append(torch.full([h * w, 1], float(self.strides[i]), dtype=o.dtype, device=o.device))
        flat.append(o.flatten(2))
    x = torch.cat(flat, 2)
    b = x.size(0)
    a = x.size(2)
    r = self.reg_max
    prob = torch.softmax(x.narrow(1, 0, 4 * r).view(b, 4, r, a), 2)
    bins = torch.arange(r, dtype=x.dtype, device=x.device).view(1, 1, r, 1)
    dist = (prob * bins).sum(2).transpose(1, 2)
    anchor = torch.cat(anchors, 0)
    stride = torch.cat(stride_cols, 0)
    boxes = torch.cat([anchor - dist.narrow(2, 0, 2), anchor + dist.narrow(2, 2, 2)], 2) * stride
    scores = torch.sigmoid(x.narrow(1, 4 * r, self.nc)).transpose(1, 2)
    return torch.cat([boxes, scores], 2)
)";

// YoloNet::forward: layerN is the checkpoint's model.N, detect is model.22.
constexpr const char* kYoloSource = R"(
def forward(self, images):
    assert images.dim() == 4 and images.size(1) == 3 and images.size(2) % 32 == 0 and images.size(3) % 32 == 0 and images.is_floating_point(), "images must be float (B, 3, H, W), RGB in [0, 1], H and W multiples of 32"
    x = self.layer1.forward(self.layer0.forward(images))
    x = self.layer3.forward(self.layer2.forward(x))
    p3 = self.layer4.forward(x)
    p4 = self.layer6.forward(self.layer5.forward(p3))
    x = self.layer8.forward(self.layer7.forward(p4))
    p5 = self.layer9.forward(x)
    h12 = self.layer12.forward(torch.cat([self.up2(p5), p4], 1))
    o3 = self.layer15.forward(torch.cat([self.up2(h12), p3], 1))
    o4 = self.layer18.forward(torch.cat([self.layer16.forward(o3), h12], 1))
    o5 = self.layer21.forward(torch.cat([self.layer19.forward(o4), p5], 1))
    return self.detect.forward(o3, o4, o5)

def up2(self, x: Tensor) -> Tensor:
    return torch.upsample_nearest2d(x, [x.size(2) * 2, x.size(3) * 2])
)";

// C2f's forward depends on its number of bottlenecks (submodules m0, m1, ...).
std::string c2f_source(int64_t n) {
  std::string s = "\ndef forward(self, x):\n    y = self.cv1.forward(x).chunk(2, 1)\n    y0 = y[0]\n    y1 = y[1]\n";
  std::string all = "y0, y1";
  for (int64_t i = 0; i < n; ++i) {
    s += fmt::format("    y{} = self.m{}.forward(y{})\n", i + 2, i, i + 1);
    all += fmt::format(", y{}", i + 2);
  }
  return s + fmt::format("    return self.cv2.forward(torch.cat([{}], 1))\n", all);
}

at::Tensor cpu_copy(const at::Tensor& t) { return t.detach().to(at::kCPU, at::kFloat).clone(); }

// Builds modules in one compilation unit; instances of a type share its class and methods, which
// are compiled when the first instance has all its attributes.
class Assembler {
 public:
  tj::Module make(const std::string& type, const std::string& source, const std::function<void(tj::Module&)>& fill) {
    const auto it = types_.find(type);
    tj::Module m = it == types_.end() ? tj::Module(c10::QualifiedName("__torch__.autodistill.yolo." + type), cu_)
                                      : tj::Module(cu_, it->second);
    m.register_attribute("training", c10::BoolType::get(), false);
    fill(m);
    if (it == types_.end()) {
      m.define(source);
      types_.emplace(type, m.type());
    }
    return m;
  }

  tj::Module conv(ConvBnSilu& c) {
    return make("Conv", kConvSource, [&](tj::Module& m) {
      // Eval-mode BatchNorm is an affine map per channel: fold it into the convolution (in double).
      const auto& bn = *c.bn;
      const at::Tensor scale = bn.weight.detach().to(at::kCPU, at::kDouble) /
                               (bn.running_var.to(at::kCPU, at::kDouble) + bn.options.eps()).sqrt();
      const at::Tensor w = c.conv->weight.detach().to(at::kCPU, at::kDouble) * scale.view({-1, 1, 1, 1});
      const at::Tensor b =
          bn.bias.detach().to(at::kCPU, at::kDouble) - bn.running_mean.to(at::kCPU, at::kDouble) * scale;
      m.register_parameter("weight", w.to(at::kFloat), false);
      m.register_parameter("bias", b.to(at::kFloat), false);
      m.register_attribute("stride", c10::IntType::get(), (*c.conv->options.stride())[0]);
      m.register_attribute("padding", c10::IntType::get(), c.conv->weight.size(2) / 2);
    });
  }

  tj::Module bottleneck(Bottleneck& b) {
    return make("Bottleneck", kBottleneckSource, [&](tj::Module& m) {
      m.register_module("cv1", conv(*b.cv1));
      m.register_module("cv2", conv(*b.cv2));
      m.register_attribute("add", c10::BoolType::get(), b.add);
    });
  }

  tj::Module c2f(C2f& c) {
    const auto n = int64_t(c.m.size());
    return make(fmt::format("C2f_{}", n), c2f_source(n), [&](tj::Module& m) {
      m.register_module("cv1", conv(*c.cv1));
      m.register_module("cv2", conv(*c.cv2));
      for (int64_t i = 0; i < n; ++i) m.register_module(fmt::format("m{}", i), bottleneck(*c.m[size_t(i)]));
    });
  }

  tj::Module sppf(SPPF& s) {
    return make("SPPF", kSppfSource, [&](tj::Module& m) {
      m.register_module("cv1", conv(*s.cv1));
      m.register_module("cv2", conv(*s.cv2));
      m.register_attribute("k", c10::IntType::get(), s.k);
    });
  }

  tj::Module branch(ConvBnSilu& c1, ConvBnSilu& c2, torch::nn::Conv2d& out) {
    return make("Branch", kBranchSource, [&](tj::Module& m) {
      m.register_module("cv1", conv(c1));
      m.register_module("cv2", conv(c2));
      m.register_parameter("weight", cpu_copy(out->weight), false);
      m.register_parameter("bias", cpu_copy(out->bias), false);
    });
  }

  tj::Module detect(Detect& d, const std::vector<int64_t>& strides) {
    AD_CHECK(d.box1.size() == 3 && strides.size() == 3, "YOLO export: expected 3 head levels, got {}", d.box1.size());
    return make("Detect", kDetectSource, [&](tj::Module& m) {
      for (size_t i = 0; i < 3; ++i) {
        m.register_module(fmt::format("box{}", i), branch(*d.box1[i], *d.box2[i], d.box3[i]));
        m.register_module(fmt::format("cls{}", i), branch(*d.cls1[i], *d.cls2[i], d.cls3[i]));
      }
      m.register_attribute("nc", c10::IntType::get(), d.nc);
      m.register_attribute("reg_max", c10::IntType::get(), d.reg_max);
      m.register_attribute("strides", c10::ListType::ofInts(), c10::List<int64_t>(strides));
    });
  }

 private:
  std::shared_ptr<tj::CompilationUnit> cu_ = std::make_shared<tj::CompilationUnit>();
  std::map<std::string, c10::ClassTypePtr> types_;
};

template <typename T>
T& layer(YoloNet& net, size_t i) {
  auto* m = dynamic_cast<T*>(net.layers.at(i).get());
  AD_CHECK(m != nullptr, "YOLO export: layer model.{} is not the expected module type", i);
  return *m;
}

}  // namespace

torch::jit::Module to_torchscript(YoloNet& net, const ExportMetadata& meta) {
  AD_CHECK(int64_t(meta.classes.size()) == net.num_classes(), "YOLO export: {} class names for a {}-class network",
           meta.classes.size(), net.num_classes());
  Assembler a;
  return a.make("Yolo", kYoloSource, [&](tj::Module& m) {
    for (size_t i : {0, 1, 3, 5, 7, 16, 19}) m.register_module(fmt::format("layer{}", i), a.conv(layer<ConvBnSilu>(net, i)));
    for (size_t i : {2, 4, 6, 8, 12, 15, 18, 21}) m.register_module(fmt::format("layer{}", i), a.c2f(layer<C2f>(net, i)));
    m.register_module("layer9", a.sppf(layer<SPPF>(net, 9)));
    m.register_module("detect", a.detect(*net.head, net.strides()));
    // Metadata, readable as attributes in Python (module.classes) and C++ (module.attr("classes")).
    m.register_attribute("format", c10::StringType::get(), std::string(kTorchScriptFormat));
    m.register_attribute("scale", c10::StringType::get(), meta.scale);
    m.register_attribute("classes", c10::ListType::ofStrings(), c10::List<std::string>(meta.classes));
    m.register_attribute("imgsz", c10::IntType::get(), meta.imgsz);
    m.register_attribute("strides", c10::ListType::ofInts(), c10::List<int64_t>(net.strides()));
  });
}

std::string export_metadata_json(const ExportMetadata& meta, const std::vector<int64_t>& strides) {
  const nlohmann::json j = {
      {"format", kTorchScriptFormat},
      {"scale", meta.scale},
      {"classes", meta.classes},
      {"imgsz", meta.imgsz},
      {"strides", strides},
      {"input", "images: float32 (B, 3, H, W), RGB in [0, 1], H and W multiples of 32 (letterboxed with 114 grey "
                "padding; imgsz x imgsz as trained)"},
      {"output", "(B, A, 4 + nc): x1, y1, x2, y2 in input pixels, then one sigmoid score per class; "
                 "A = sum over strides s of (H / s) * (W / s); no confidence filter or NMS"}};
  return j.dump(2);
}

void save_torchscript(YoloNet& net, const ExportMetadata& meta, const std::filesystem::path& path) {
  const torch::jit::Module module = to_torchscript(net, meta);
  std::ostringstream bytes;
  module.save(bytes, {{kTorchScriptMetadataFile, export_metadata_json(meta, net.strides())}});
  write_file_atomic(path, bytes.str());
}

}  // namespace autodistill::yolo
