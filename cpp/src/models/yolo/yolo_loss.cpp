#include "yolo_loss.h"

#include <algorithm>
#include <cmath>

#include "autodistill/core/error.h"
#include "yolo_net.h"

namespace autodistill::yolo {

at::Tensor box_iou_pairs(const at::Tensor& a, const at::Tensor& b, bool ciou, double eps) {
  const at::Tensor ax1 = a.select(-1, 0), ay1 = a.select(-1, 1), ax2 = a.select(-1, 2), ay2 = a.select(-1, 3);
  const at::Tensor bx1 = b.select(-1, 0), by1 = b.select(-1, 1), bx2 = b.select(-1, 2), by2 = b.select(-1, 3);
  const at::Tensor w1 = ax2 - ax1, h1 = ay2 - ay1 + eps, w2 = bx2 - bx1, h2 = by2 - by1 + eps;
  const at::Tensor inter =
      (at::minimum(ax2, bx2) - at::maximum(ax1, bx1)).clamp_min(0) * (at::minimum(ay2, by2) - at::maximum(ay1, by1)).clamp_min(0);
  const at::Tensor iou = inter / (w1 * h1 + w2 * h2 - inter + eps);
  if (!ciou) return iou;
  const at::Tensor cw = at::maximum(ax2, bx2) - at::minimum(ax1, bx1);
  const at::Tensor ch = at::maximum(ay2, by2) - at::minimum(ay1, by1);
  const at::Tensor c2 = cw.pow(2) + ch.pow(2) + eps;
  const at::Tensor rho2 = ((bx1 + bx2 - ax1 - ax2).pow(2) + (by1 + by2 - ay1 - ay2).pow(2)) / 4;
  const double k = 4.0 / (M_PI * M_PI);
  const at::Tensor v = k * (at::atan(w2 / h2) - at::atan(w1 / h1)).pow(2);
  at::Tensor alpha;
  {
    at::NoGradGuard no_grad;
    alpha = v / (v - iou + (1 + eps));
  }
  return iou - (rho2 / c2 + v * alpha);
}

at::Tensor dfl_loss(const at::Tensor& pred, const at::Tensor& target) {
  const int64_t reg_max = pred.size(-1);
  const at::Tensor t = target.clamp(0, double(reg_max) - 1 - 0.01);
  const at::Tensor tl = t.floor().to(at::kLong), tr = tl + 1;
  const at::Tensor wl = tr.to(t.scalar_type()) - t, wr = 1 - wl;
  const at::Tensor nll = -at::log_softmax(pred, -1);
  const at::Tensor loss = nll.gather(-1, tl.unsqueeze(-1)).squeeze(-1) * wl + nll.gather(-1, tr.unsqueeze(-1)).squeeze(-1) * wr;
  return loss.mean(-1);
}

Assignment assign(const at::Tensor& pd_scores, const at::Tensor& pd_bboxes, const at::Tensor& anchor_points,
                  const at::Tensor& gt_labels, const at::Tensor& gt_bboxes, const at::Tensor& gt_mask,
                  int64_t num_classes, const AssignerOptions& o) {
  const int64_t b = pd_scores.size(0), a = pd_scores.size(1), m = gt_bboxes.size(1);
  Assignment out;
  if (m == 0) {
    out.target_bboxes = at::zeros_like(pd_bboxes);
    out.target_scores = at::zeros_like(pd_scores);
    out.fg_mask = at::zeros({b, a}, pd_scores.options().dtype(at::kBool));
    return out;
  }
  // Candidates: anchor centres strictly inside a (real) truth box.
  const at::Tensor anchors = anchor_points.view({1, 1, a, 2});
  const at::Tensor lt = anchors - gt_bboxes.narrow(2, 0, 2).unsqueeze(2);
  const at::Tensor rb = gt_bboxes.narrow(2, 2, 2).unsqueeze(2) - anchors;
  const at::Tensor in_gt = std::get<0>(at::cat({lt, rb}, -1).min(-1)) > o.eps;  // (B, M, A)
  const at::Tensor candidate = in_gt.logical_and(gt_mask.unsqueeze(-1));
  // Alignment: the predicted probability of the box's class and the CIoU with it.
  const at::Tensor labels = gt_labels.clamp(0, num_classes - 1);
  const at::Tensor scores = pd_scores.transpose(1, 2).gather(1, labels.unsqueeze(-1).expand({b, m, a}));  // (B, M, A)
  const at::Tensor overlaps =
      box_iou_pairs(gt_bboxes.unsqueeze(2).expand({b, m, a, 4}), pd_bboxes.unsqueeze(1).expand({b, m, a, 4}), true)
          .clamp_min(0) * candidate;
  const at::Tensor align = scores.pow(o.alpha) * overlaps.pow(o.beta) * candidate;
  // Each box keeps its top-k candidates.
  const int64_t k = std::min(o.topk, a);
  const at::Tensor topk_idx = std::get<1>(align.topk(k, -1));
  at::Tensor mask_pos = at::zeros_like(align).scatter_(-1, topk_idx, 1.0).to(at::kBool).logical_and(candidate);
  // An anchor claimed by several boxes goes to the one it overlaps most.
  const at::Tensor claims = mask_pos.sum(1);  // (B, A)
  if ((claims > 1).any().item<bool>()) {
    const at::Tensor best = at::one_hot(overlaps.argmax(1), m).transpose(1, 2).to(at::kBool);  // (B, M, A)
    mask_pos = at::where((claims > 1).unsqueeze(1).expand({b, m, a}), best, mask_pos);
  }
  out.fg_mask = mask_pos.any(1);
  const at::Tensor gt_idx = mask_pos.to(at::kFloat).argmax(1);  // (B, A)
  const at::Tensor target_labels = labels.gather(1, gt_idx);
  out.target_bboxes = gt_bboxes.gather(1, gt_idx.unsqueeze(-1).expand({b, a, 4}));
  at::Tensor target_scores = at::one_hot(target_labels, num_classes).to(pd_scores.scalar_type()) * out.fg_mask.unsqueeze(-1);
  // Soft targets: each box's best aligned anchor gets the box's best IoU, the others proportionally.
  const at::Tensor pos_align = align * mask_pos;
  const at::Tensor max_align = pos_align.amax(-1, true), max_overlap = (overlaps * mask_pos).amax(-1, true);
  const at::Tensor norm = (pos_align * max_overlap / (max_align + o.eps)).amax(1).unsqueeze(-1);  // (B, A, 1)
  out.target_scores = target_scores * norm;
  return out;
}

LossParts detection_loss(const std::vector<at::Tensor>& outputs, const std::vector<int64_t>& strides, int64_t reg_max,
                         int64_t num_classes, const at::Tensor& gt_labels, const at::Tensor& gt_bboxes,
                         const at::Tensor& gt_mask, const LossGains& gains) {
  std::vector<at::Tensor> flat;
  for (const at::Tensor& o : outputs) flat.push_back(o.flatten(2));
  const at::Tensor all = at::cat(flat, 2).transpose(1, 2).to(at::kFloat);  // (B, A, 4R + nc)
  const int64_t b = all.size(0), a = all.size(1);
  const at::Tensor pred_dist = all.narrow(2, 0, 4 * reg_max).reshape({b, a, 4, reg_max});
  const at::Tensor pred_logits = all.narrow(2, 4 * reg_max, num_classes);
  auto [anchors, stride] = make_anchors(outputs, strides);  // grid units, (A, 1)
  const at::Tensor bins = at::arange(reg_max, all.options());
  const at::Tensor dist = (at::softmax(pred_dist, -1) * bins).sum(-1);  // (B, A, 4), grid units
  const at::Tensor pred_boxes = at::cat({anchors - dist.narrow(2, 0, 2), anchors + dist.narrow(2, 2, 2)}, -1);

  const Assignment t = assign(at::sigmoid(pred_logits).detach(), (pred_boxes * stride).detach(), anchors * stride,
                              gt_labels, gt_bboxes.to(at::kFloat), gt_mask, num_classes);
  const at::Tensor score_sum = t.target_scores.sum().clamp_min(1.0);
  const at::Tensor loss_cls =
      at::binary_cross_entropy_with_logits(pred_logits, t.target_scores, {}, {}, at::Reduction::Sum) / score_sum;
  at::Tensor loss_box = at::zeros({}, all.options()), loss_dfl = at::zeros({}, all.options());
  if (t.fg_mask.any().item<bool>()) {
    const at::Tensor fg = t.fg_mask;
    const at::Tensor target_boxes = t.target_bboxes / stride;  // grid units
    const at::Tensor weight = t.target_scores.sum(-1).index({fg});
    const at::Tensor iou = box_iou_pairs(pred_boxes.index({fg}), target_boxes.index({fg}), true);
    loss_box = ((1.0 - iou) * weight).sum() / score_sum;
    const at::Tensor target_ltrb =
        at::cat({anchors - target_boxes.narrow(2, 0, 2), target_boxes.narrow(2, 2, 2) - anchors}, -1);
    loss_dfl = (dfl_loss(pred_dist.index({fg}), target_ltrb.index({fg})) * weight).sum() / score_sum;
  }
  LossParts out;
  const at::Tensor box = loss_box * gains.box, cls = loss_cls * gains.cls, dfl = loss_dfl * gains.dfl;
  out.total = (box + cls + dfl) * double(b);
  out.box = box.item<double>();
  out.cls = cls.item<double>();
  out.dfl = dfl.item<double>();
  return out;
}

}  // namespace autodistill::yolo
