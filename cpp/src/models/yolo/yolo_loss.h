#pragma once
// Training targets and losses of the YOLOv8 family: the task-aligned assigner (TOOD), CIoU, DFL and
// BCE. Internal header (LibTorch).
#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

namespace autodistill::yolo {

/// IoU of matching rows of xyxy boxes (..., 4) -> (...). With `ciou`, Complete IoU: IoU minus the
/// normalised centre distance and the aspect-ratio term (alpha is treated as a constant, as upstream).
at::Tensor box_iou_pairs(const at::Tensor& a, const at::Tensor& b, bool ciou, double eps = 1e-7);

/// Distribution focal loss per row: `pred` (N, 4, reg_max) logits, `target` (N, 4) distances in bins
/// (clamped to [0, reg_max - 1.01]); cross-entropy to the two neighbouring bins weighted by
/// proximity, averaged over the 4 sides -> (N).
at::Tensor dfl_loss(const at::Tensor& pred, const at::Tensor& target);

struct Assignment {
  at::Tensor target_bboxes;  ///< (B, A, 4) xyxy, pixels
  at::Tensor target_scores;  ///< (B, A, nc) one-hot of the assigned class times the normalised alignment
  at::Tensor fg_mask;        ///< (B, A) bool: anchor has a target
};

struct AssignerOptions {
  int64_t topk = 10;
  double alpha = 0.5;  ///< exponent of the class score in the alignment metric
  double beta = 6.0;   ///< exponent of the IoU
  double eps = 1e-9;
};

/// Task-aligned assignment. pd_scores (B, A, nc) probabilities, pd_bboxes (B, A, 4) xyxy pixels,
/// anchor_points (A, 2) pixels, gt_labels (B, M) int64, gt_bboxes (B, M, 4) xyxy pixels, gt_mask (B, M)
/// bool (padding rows false). An anchor is a candidate for a truth box when its centre is inside it;
/// each box takes its `topk` candidates by score^alpha * CIoU^beta; an anchor claimed by several
/// boxes keeps the one it overlaps most.
Assignment assign(const at::Tensor& pd_scores, const at::Tensor& pd_bboxes, const at::Tensor& anchor_points,
                  const at::Tensor& gt_labels, const at::Tensor& gt_bboxes, const at::Tensor& gt_mask,
                  int64_t num_classes, const AssignerOptions& options = {});

struct LossGains {
  double box = 7.5, cls = 0.5, dfl = 1.5;
};

struct LossParts {
  at::Tensor total;         ///< scalar: (box + cls + dfl) * batch size, what is back-propagated
  double box = 0, cls = 0, dfl = 0;  ///< the three parts, gains applied (for logging)
};

/// The detection loss of raw head outputs (per level (B, 4 * reg_max + nc, H, W)) against the
/// truth: gt_labels (B, M), gt_bboxes (B, M, 4) xyxy in input pixels, gt_mask (B, M).
LossParts detection_loss(const std::vector<at::Tensor>& outputs, const std::vector<int64_t>& strides, int64_t reg_max,
                         int64_t num_classes, const at::Tensor& gt_labels, const at::Tensor& gt_bboxes,
                         const at::Tensor& gt_mask, const LossGains& gains = {});

}  // namespace autodistill::yolo
