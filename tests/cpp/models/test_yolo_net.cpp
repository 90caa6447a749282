// The YOLOv8-family network: sizes against the published YOLOv8n/s figures, output shapes, decoding.
#include <ATen/ATen.h>

#include "../catch_torch.h"
#include "../../../cpp/src/models/yolo/yolo_net.h"
#include "autodistill/core/error.h"

using namespace autodistill;
using namespace autodistill::yolo;

namespace {
int64_t count_parameters(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}
}  // namespace

TEST_CASE("yolo: n and s match YOLOv8n/s parameter counts and GFLOPs at 640 for 80 classes", "[yolo][net]") {
  // Published: YOLOv8n 3,157,200 parameters, 8.7 GFLOPs (BatchNorm fused); YOLOv8s 11,166,560, 28.6.
  YoloNet n(scale_from_name("n"), 80), s(scale_from_name("s"), 80);
  CHECK(count_parameters(n) == 3157200);
  CHECK(count_parameters(s) == 11166560);
  CHECK(n.flops(640) / 1e9 == Approx(8.7).margin(0.1));
  CHECK(s.flops(640) / 1e9 == Approx(28.6).margin(0.2));
  WARN("YOLO n: " << count_parameters(n) << " parameters, " << n.flops(640) / 1e9 << " GFLOPs; s: "
                  << count_parameters(s) << ", " << s.flops(640) / 1e9);
  // ultralytics names: model.<layer>.<...>, the head at model.22.
  const auto params = n.named_parameters();
  CHECK(params.contains("model.0.conv.weight"));
  CHECK(params.contains("model.21.cv2.bn.bias"));
  CHECK(params.contains("model.22.cv2.0.2.weight"));
  CHECK(params.contains("model.22.cv3.2.2.bias"));
  CHECK_THROWS_AS(scale_from_name("x"), InvalidArgument);
  CHECK_THROWS_AS(YoloNet(scale_from_name("n"), 0), InvalidArgument);
}

TEST_CASE("yolo: output levels at strides 8/16/32 and decoding to pixel boxes", "[yolo][net]") {
  at::manual_seed(0);
  YoloNet net(scale_from_name("n"), 3);
  net.eval();
  at::NoGradGuard no_grad;
  const auto out = net.forward(at::rand({2, 3, 96, 128}));
  REQUIRE(out.size() == 3);
  CHECK(out[0].sizes() == at::IntArrayRef({2, 64 + 3, 12, 16}));
  CHECK(out[2].sizes() == at::IntArrayRef({2, 64 + 3, 3, 4}));
  CHECK_THROWS_AS(net.forward(at::rand({1, 3, 100, 128})), InvalidArgument);

  // Hand-made head output: one 2x2 level at stride 8; at cell (x=1, y=0) the DFL logits put all
  // mass on bin 2 (left), 1 (top), 3 (right), 0 (bottom) -> distances (2, 1, 3, 0) cells.
  const int64_t R = 16;
  at::Tensor o = at::full({1, 4 * R + 1, 2, 2}, -100.0);
  const int64_t bins[4] = {2, 1, 3, 0};
  for (int side = 0; side < 4; ++side) o.index_put_({0, side * R + bins[side], 0, 1}, 100.0);
  o.index_put_({0, 4 * R, 0, 1}, 0.0);  // class logit 0 -> probability 0.5
  const auto [boxes, scores] = decode({o}, {8}, R, 1);
  REQUIRE(boxes.sizes() == at::IntArrayRef({1, 4, 4}));
  // Anchor centre (1.5, 0.5) cells: x1 = (1.5 - 2) * 8 = -4, y1 = (0.5 - 1) * 8 = -4, x2 = (1.5 + 3) * 8 = 36,
  // y2 = (0.5 + 0) * 8 = 4. Anchors are row-major, so cell (x=1, y=0) is anchor 1.
  const at::Tensor b = boxes[0][1];
  CHECK(b[0].item<float>() == Approx(-4.f));
  CHECK(b[1].item<float>() == Approx(-4.f));
  CHECK(b[2].item<float>() == Approx(36.f));
  CHECK(b[3].item<float>() == Approx(4.f));
  CHECK(scores[0][1][0].item<float>() == Approx(0.5f));
}
