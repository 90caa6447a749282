// YOLO training targets and losses against values worked by hand (formulas in the comments; the
// arithmetic checked with Python's math module).
#include <ATen/ATen.h>

#include "../catch_torch.h"
#include "../../../cpp/src/models/yolo/yolo_loss.h"
#include "../../../cpp/src/models/yolo/yolo_net.h"

using namespace autodistill::yolo;

namespace {
at::Tensor boxes(std::initializer_list<std::array<float, 4>> rows) {
  std::vector<float> v;
  for (const auto& r : rows) v.insert(v.end(), r.begin(), r.end());
  return at::tensor(v).view({int64_t(rows.size()), 4});
}
}  // namespace

TEST_CASE("yolo: IoU and CIoU of box pairs", "[yolo][loss]") {
  // [0,0,2,2] vs [1,1,3,3]: IoU 1/7. CIoU: enclosing 3x3 (c^2 = 18), centres 1 apart in x and y
  // (rho^2 = 2), same aspect (v = 0): 1/7 - 2/18 = 0.031746.
  const at::Tensor a = boxes({{0, 0, 2, 2}, {0, 0, 4, 2}}), b = boxes({{1, 1, 3, 3}, {0, 0, 2, 2}});
  const at::Tensor iou = box_iou_pairs(a, b, false), ciou = box_iou_pairs(a, b, true);
  CHECK(iou[0].item<float>() == Approx(1.0 / 7).epsilon(1e-5));
  CHECK(ciou[0].item<float>() == Approx(0.031746).epsilon(1e-4));
  // [0,0,4,2] vs [0,0,2,2]: IoU 0.5; c^2 = 20, rho^2 = 1 -> 0.05; v = 4/pi^2 (atan 1 - atan 2)^2 = 0.041957,
  // alpha = v / (v + 0.5) -> v * alpha = 0.003248: CIoU 0.446752.
  CHECK(iou[1].item<float>() == Approx(0.5).epsilon(1e-5));
  CHECK(ciou[1].item<float>() == Approx(0.446752).epsilon(1e-4));
}

TEST_CASE("yolo: DFL loss splits the target between its two neighbouring bins", "[yolo][loss]") {
  // Logits [1, 2, 3, 4] on every side, target 1.25: 0.75 * CE(bin 1) + 0.25 * CE(bin 2)
  // = 0.75 * (lse - 2) + 0.25 * (lse - 3) with lse = log(e + e^2 + e^3 + e^4): 2.190190.
  const at::Tensor pred = at::tensor({1.f, 2.f, 3.f, 4.f}).view({1, 1, 4}).expand({1, 4, 4}).contiguous();
  const at::Tensor target = at::full({1, 4}, 1.25);
  CHECK(dfl_loss(pred, target)[0].item<float>() == Approx(2.190190).epsilon(1e-5));
  // Targets past the last bin are clamped to reg_max - 1.01.
  CHECK(dfl_loss(pred, at::full({1, 4}, 9.0))[0].item<float>() ==
        Approx(0.99 * (4.440190 - 4) + 0.01 * (4.440190 - 3)).epsilon(1e-4));
}

TEST_CASE("yolo: task-aligned assignment picks the top-k aligned anchors inside the box", "[yolo][loss]") {
  // Four anchors at (4,4), (12,4), (4,12), (12,12) and one outside at (28,28); truth [0,0,16,16]
  // class 0. Predictions: anchor 0 exact (CIoU 1), anchor 1 [0,0,16,8] (CIoU 0.465502), anchor 2
  // [0,0,8,8], anchor 3 [0,0,4,4], anchor 4 exact but outside. All scores 0.5, topk 2.
  const at::Tensor anchors = at::tensor({4.f, 4.f, 12.f, 4.f, 4.f, 12.f, 12.f, 12.f, 28.f, 28.f}).view({5, 2});
  const at::Tensor pred = boxes({{0, 0, 16, 16}, {0, 0, 16, 8}, {0, 0, 8, 8}, {0, 0, 4, 4}, {0, 0, 16, 16}}).unsqueeze(0);
  const at::Tensor scores = at::full({1, 5, 2}, 0.5);
  const at::Tensor gt = boxes({{0, 0, 16, 16}, {100, 100, 120, 120}}).unsqueeze(0);
  const at::Tensor labels = at::tensor({int64_t(0), int64_t(1)}).view({1, 2});
  const at::Tensor mask = at::tensor({1, 0}).view({1, 2}).to(at::kBool);  // the second row is padding
  AssignerOptions o;
  o.topk = 2;
  const Assignment t = assign(scores, pred, anchors, labels, gt, mask, 2, o);
  const auto fg = t.fg_mask[0];
  CHECK(fg[0].item<bool>());
  CHECK(fg[1].item<bool>());
  CHECK_FALSE(fg[2].item<bool>());
  CHECK_FALSE(fg[3].item<bool>());
  CHECK_FALSE(fg[4].item<bool>());  // its centre is outside the box
  // Normalised alignment: anchor 0 gets the box's best CIoU (1); anchor 1 its share
  // 0.5^0.5 * 0.465502^6 / 0.5^0.5 = 0.465502^6 = 0.010175.
  CHECK(t.target_scores[0][0][0].item<float>() == Approx(1.0).epsilon(1e-4));
  CHECK(t.target_scores[0][1][0].item<float>() == Approx(0.010175).epsilon(1e-3));
  CHECK(t.target_scores[0][0][1].item<float>() == 0.f);
  CHECK(at::equal(t.target_bboxes[0][1], gt[0][0]));
}

TEST_CASE("yolo: an anchor claimed by two boxes goes to the one it overlaps most", "[yolo][loss]") {
  const at::Tensor anchors = at::tensor({8.f, 8.f}).view({1, 2});
  const at::Tensor pred = boxes({{0, 0, 16, 16}}).unsqueeze(0);
  const at::Tensor gt = boxes({{0, 0, 32, 32}, {2, 2, 16, 16}}).unsqueeze(0);
  const Assignment t = assign(at::full({1, 1, 2}, 0.5), pred, anchors, at::tensor({int64_t(0), int64_t(1)}).view({1, 2}),
                              gt, at::ones({1, 2}, at::kBool), 2);
  CHECK(t.fg_mask[0][0].item<bool>());
  CHECK(t.target_scores[0][0][1].item<float>() > 0.f);  // class of the second box (IoU 196/256 vs 256/1024)
  CHECK(t.target_scores[0][0][0].item<float>() == 0.f);
}

TEST_CASE("yolo: the detection loss is finite, has gradients, and is lower for a better prediction",
          "[yolo][loss]") {
  at::manual_seed(0);
  YoloNet net(scale_from_name("n"), 2);
  const auto out = net.forward(at::rand({2, 3, 64, 64}));
  const at::Tensor gt = at::tensor({8.f, 8.f, 40.f, 40.f, 0.f, 0.f, 0.f, 0.f, 20.f, 10.f, 60.f, 30.f, 0.f, 0.f, 0.f, 0.f})
                            .view({2, 2, 4});
  const at::Tensor labels = at::tensor({int64_t(0), int64_t(0), int64_t(1), int64_t(0)}).view({2, 2});
  const at::Tensor mask = at::tensor({1, 0, 1, 0}).view({2, 2}).to(at::kBool);
  const LossParts l = detection_loss(out, net.strides(), net.reg_max(), 2, labels, gt, mask);
  REQUIRE(std::isfinite(l.total.item<double>()));
  CHECK(l.box > 0);
  CHECK(l.cls > 0);
  CHECK(l.dfl > 0);
  l.total.backward();
  CHECK(net.head->cls3[0]->bias.grad().defined());
  // No truth at all: only the classification term (push every score down).
  const auto empty = detection_loss(out, net.strides(), net.reg_max(), 2, at::zeros({2, 0}, at::kLong),
                                    at::zeros({2, 0, 4}), at::zeros({2, 0}, at::kBool));
  CHECK(empty.box == 0);
  CHECK(empty.cls > 0);
}
