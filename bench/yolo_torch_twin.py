#!/usr/bin/python3
"""The YOLO target network of cpp/src/models/yolo/ written again in PyTorch (Debian's python3-torch).

It exists so bench_yolo can compare the C++ training step and inference with the same work done from
Python, and so tests/python/test_yolo_torch_twin.py can check that the two really are the same work:
module and parameter names equal the C++ YoloNet's (a checkpoint written by YOLO.save loads strictly),
the loss follows yolo_loss.cpp step by step and the training step is yolo_train.cpp's (AdamW).

    /usr/bin/python3 bench/yolo_torch_twin.py bench --json --threads 2 --case train,320,8,1,3 ...

A case is kind,size,batch,warmup,iters with kind "train" (images/s over the timed steps) or "infer"
(median ms per batch of forward + decode, eval mode, no grad). Synthetic images and boxes come from
synthetic_batch(), which bench_yolo.cpp computes with the same formulas.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import struct
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

# ---------------------------------------------------------------- network (yolo_net.cpp)

SCALES = {"n": (0.33, 0.25, 1024), "s": (0.33, 0.50, 1024)}


class ConvBnSilu(nn.Module):
    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)

    def forward(self, x):
        return F.silu(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut):
        super().__init__()
        self.cv1 = ConvBnSilu(c1, c2, 3)
        self.cv2 = ConvBnSilu(c2, c2, 3)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    def __init__(self, c1, c2, n, shortcut):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = ConvBnSilu(c1, 2 * self.c, 1)
        self.cv2 = ConvBnSilu((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        for b in self.m:
            y.append(b(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        self.cv1 = ConvBnSilu(c1, c1 // 2, 1)
        self.cv2 = ConvBnSilu(c1 // 2 * 4, c2, 1)
        self.k = k

    def forward(self, x):
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(F.max_pool2d(y[-1], self.k, 1, self.k // 2))
        return self.cv2(torch.cat(y, 1))


class _Holder(nn.Module):
    """A parameter holder, so the DFL projection is named "dfl.conv.weight" as in the C++ tree."""


class Detect(nn.Module):
    def __init__(self, nc, ch, reg_max=16):
        super().__init__()
        self.nc, self.reg_max = nc, reg_max
        c2 = max(16, ch[0] // 4, reg_max * 4)
        c3 = max(ch[0], min(nc, 100))
        self.cv2 = nn.ModuleList(
            nn.Sequential(ConvBnSilu(c, c2, 3), ConvBnSilu(c2, c2, 3), nn.Conv2d(c2, 4 * reg_max, 1)) for c in ch)
        self.cv3 = nn.ModuleList(
            nn.Sequential(ConvBnSilu(c, c3, 3), ConvBnSilu(c3, c3, 3), nn.Conv2d(c3, nc, 1)) for c in ch)
        self.dfl = _Holder()
        self.dfl.conv = _Holder()
        self.dfl.conv.weight = nn.Parameter(torch.arange(reg_max, dtype=torch.float32).view(1, reg_max, 1, 1),
                                            requires_grad=False)

    def forward(self, features):
        return [torch.cat([b(x), c(x)], 1) for b, c, x in zip(self.cv2, self.cv3, features)]

    def initialize_biases(self, strides):
        with torch.no_grad():
            for b, c, s in zip(self.cv2, self.cv3, strides):
                b[2].bias.fill_(1.0)
                c[2].bias.fill_(math.log(5.0 / self.nc / (640.0 / s) ** 2))


def _channels(scale, c):
    _, width, max_c = SCALES[scale]
    return int(math.ceil(min(c, max_c) * width / 8.0)) * 8


def _repeats(scale, n):
    depth = SCALES[scale][0]
    # C++ std::round: halves away from zero (Python's round() is half-to-even).
    return max(int(math.floor(n * depth + 0.5)), 1) if n > 1 else n


class YoloNet(nn.Module):
    strides = (8, 16, 32)

    def __init__(self, scale, num_classes):
        super().__init__()
        if scale not in SCALES:
            raise ValueError(f"YOLO scale must be 'n' or 's', got {scale!r}")
        ch = {c: _channels(scale, c) for c in (64, 128, 256, 512, 1024)}
        r = lambda n: _repeats(scale, n)  # noqa: E731
        c64, c128, c256, c512, c1024 = (ch[c] for c in (64, 128, 256, 512, 1024))
        none = nn.Identity  # upsample / concat slots: no parameters, kept so indices match
        self.nc = num_classes
        self.model = nn.ModuleList([
            ConvBnSilu(3, c64, 3, 2), ConvBnSilu(c64, c128, 3, 2), C2f(c128, c128, r(3), True),
            ConvBnSilu(c128, c256, 3, 2), C2f(c256, c256, r(6), True), ConvBnSilu(c256, c512, 3, 2),
            C2f(c512, c512, r(6), True), ConvBnSilu(c512, c1024, 3, 2), C2f(c1024, c1024, r(3), True),
            SPPF(c1024, c1024, 5), none(), none(), C2f(c1024 + c512, c512, r(3), False), none(), none(),
            C2f(c512 + c256, c256, r(3), False), ConvBnSilu(c256, c256, 3, 2), none(),
            C2f(c256 + c512, c512, r(3), False), ConvBnSilu(c512, c512, 3, 2), none(),
            C2f(c512 + c1024, c1024, r(3), False), Detect(num_classes, [c256, c512, c1024]),
        ])
        self.model[22].initialize_biases(self.strides)

    @property
    def reg_max(self):
        return self.model[22].reg_max

    def forward(self, images):
        m = self.model
        up2 = lambda t: F.interpolate(t, scale_factor=2.0, mode="nearest")  # noqa: E731
        x = m[3](m[2](m[1](m[0](images))))
        p3 = m[4](x)
        p4 = m[6](m[5](p3))
        p5 = m[9](m[8](m[7](p4)))
        h12 = m[12](torch.cat([up2(p5), p4], 1))
        o3 = m[15](torch.cat([up2(h12), p3], 1))
        o4 = m[18](torch.cat([m[16](o3), h12], 1))
        o5 = m[21](torch.cat([m[19](o4), p5], 1))
        return m[22]([o3, o4, o5])


def make_anchors(outputs, strides):
    points, stride_col = [], []
    for o, s in zip(outputs, strides):
        h, w = o.shape[2], o.shape[3]
        sx = torch.arange(w, dtype=torch.float32) + 0.5
        sy = torch.arange(h, dtype=torch.float32) + 0.5
        points.append(torch.stack([sx.view(1, w).expand(h, w), sy.view(h, 1).expand(h, w)], -1).reshape(h * w, 2))
        stride_col.append(torch.full((h * w, 1), float(s)))
    return torch.cat(points, 0), torch.cat(stride_col, 0)


def decode(outputs, strides, reg_max, nc):
    """boxes (B, A, 4) xyxy input pixels, scores (B, A, nc) probabilities (yolo_net.cpp decode)."""
    allo = torch.cat([o.flatten(2) for o in outputs], 2).float()
    b, a = allo.shape[0], allo.shape[2]
    dist_logits = allo[:, :4 * reg_max].reshape(b, 4, reg_max, a)
    bins = torch.arange(reg_max, dtype=allo.dtype).view(1, 1, reg_max, 1)
    dist = (torch.softmax(dist_logits, 2) * bins).sum(2).transpose(1, 2)
    anchors, stride = make_anchors(outputs, strides)
    boxes = torch.cat([anchors - dist[..., :2], anchors + dist[..., 2:]], 2) * stride
    scores = torch.sigmoid(allo[:, 4 * reg_max:4 * reg_max + nc]).transpose(1, 2)
    return boxes, scores


# ---------------------------------------------------------------- loss (yolo_loss.cpp)

def box_iou_pairs(a, b, ciou, eps=1e-7):
    ax1, ay1, ax2, ay2 = a.unbind(-1)
    bx1, by1, bx2, by2 = b.unbind(-1)
    w1, h1, w2, h2 = ax2 - ax1, ay2 - ay1 + eps, bx2 - bx1, by2 - by1 + eps
    inter = ((torch.minimum(ax2, bx2) - torch.maximum(ax1, bx1)).clamp_min(0) *
             (torch.minimum(ay2, by2) - torch.maximum(ay1, by1)).clamp_min(0))
    iou = inter / (w1 * h1 + w2 * h2 - inter + eps)
    if not ciou:
        return iou
    cw = torch.maximum(ax2, bx2) - torch.minimum(ax1, bx1)
    ch = torch.maximum(ay2, by2) - torch.minimum(ay1, by1)
    c2 = cw.pow(2) + ch.pow(2) + eps
    rho2 = ((bx1 + bx2 - ax1 - ax2).pow(2) + (by1 + by2 - ay1 - ay2).pow(2)) / 4
    v = (4.0 / (math.pi * math.pi)) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)).pow(2)
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


def dfl_loss(pred, target):
    reg_max = pred.shape[-1]
    t = target.clamp(0, reg_max - 1 - 0.01)
    tl = t.floor().long()
    tr = tl + 1
    wl = tr.to(t.dtype) - t
    wr = 1 - wl
    nll = -torch.log_softmax(pred, -1)
    loss = nll.gather(-1, tl.unsqueeze(-1)).squeeze(-1) * wl + nll.gather(-1, tr.unsqueeze(-1)).squeeze(-1) * wr
    return loss.mean(-1)


def assign(pd_scores, pd_bboxes, anchor_points, gt_labels, gt_bboxes, gt_mask, nc, topk=10, alpha=0.5, beta=6.0,
           eps=1e-9):
    """Task-aligned assignment: (target_bboxes, target_scores, fg_mask)."""
    b, a = pd_scores.shape[:2]
    m = gt_bboxes.shape[1]
    if m == 0:
        return torch.zeros_like(pd_bboxes), torch.zeros_like(pd_scores), torch.zeros(b, a, dtype=torch.bool)
    anchors = anchor_points.view(1, 1, a, 2)
    lt = anchors - gt_bboxes[..., :2].unsqueeze(2)
    rb = gt_bboxes[..., 2:].unsqueeze(2) - anchors
    in_gt = torch.cat([lt, rb], -1).min(-1).values > eps
    candidate = in_gt & gt_mask.unsqueeze(-1)
    labels = gt_labels.clamp(0, nc - 1)
    scores = pd_scores.transpose(1, 2).gather(1, labels.unsqueeze(-1).expand(b, m, a))
    overlaps = box_iou_pairs(gt_bboxes.unsqueeze(2).expand(b, m, a, 4), pd_bboxes.unsqueeze(1).expand(b, m, a, 4),
                             True).clamp_min(0) * candidate
    align = scores.pow(alpha) * overlaps.pow(beta) * candidate
    k = min(topk, a)
    topk_idx = align.topk(k, -1).indices
    mask_pos = torch.zeros_like(align).scatter_(-1, topk_idx, 1.0).bool() & candidate
    claims = mask_pos.sum(1)
    if bool((claims > 1).any()):
        best = F.one_hot(overlaps.argmax(1), m).transpose(1, 2).bool()
        mask_pos = torch.where((claims > 1).unsqueeze(1).expand(b, m, a), best, mask_pos)
    fg_mask = mask_pos.any(1)
    gt_idx = mask_pos.float().argmax(1)
    target_labels = labels.gather(1, gt_idx)
    target_bboxes = gt_bboxes.gather(1, gt_idx.unsqueeze(-1).expand(b, a, 4))
    target_scores = F.one_hot(target_labels, nc).to(pd_scores.dtype) * fg_mask.unsqueeze(-1)
    pos_align = align * mask_pos
    max_align = pos_align.amax(-1, keepdim=True)
    max_overlap = (overlaps * mask_pos).amax(-1, keepdim=True)
    norm = (pos_align * max_overlap / (max_align + eps)).amax(1).unsqueeze(-1)
    return target_bboxes, target_scores * norm, fg_mask


def detection_loss(outputs, strides, reg_max, nc, gt_labels, gt_bboxes, gt_mask, gains=(7.5, 0.5, 1.5)):
    """Returns (total, box, cls, dfl): total = (box + cls + dfl) * batch, gains applied (box, cls, dfl)."""
    allo = torch.cat([o.flatten(2) for o in outputs], 2).transpose(1, 2).float()
    b, a = allo.shape[:2]
    pred_dist = allo[..., :4 * reg_max].reshape(b, a, 4, reg_max)
    pred_logits = allo[..., 4 * reg_max:4 * reg_max + nc]
    anchors, stride = make_anchors(outputs, strides)
    bins = torch.arange(reg_max, dtype=allo.dtype)
    dist = (torch.softmax(pred_dist, -1) * bins).sum(-1)
    pred_boxes = torch.cat([anchors - dist[..., :2], anchors + dist[..., 2:]], -1)
    target_bboxes, target_scores, fg = assign(torch.sigmoid(pred_logits).detach(), (pred_boxes * stride).detach(),
                                              anchors * stride, gt_labels, gt_bboxes.float(), gt_mask, nc)
    score_sum = target_scores.sum().clamp_min(1.0)
    loss_cls = F.binary_cross_entropy_with_logits(pred_logits, target_scores, reduction="sum") / score_sum
    loss_box = torch.zeros(())
    loss_dfl = torch.zeros(())
    if bool(fg.any()):
        target_boxes = target_bboxes / stride
        weight = target_scores.sum(-1)[fg]
        iou = box_iou_pairs(pred_boxes[fg], target_boxes[fg], True)
        loss_box = ((1.0 - iou) * weight).sum() / score_sum
        target_ltrb = torch.cat([anchors - target_boxes[..., :2], target_boxes[..., 2:] - anchors], -1)
        loss_dfl = (dfl_loss(pred_dist[fg], target_ltrb[fg]) * weight).sum() / score_sum
    box, cls, dfl = loss_box * gains[0], loss_cls * gains[1], loss_dfl * gains[2]
    return (box + cls + dfl) * b, float(box), float(cls), float(dfl)


# ---------------------------------------------------------------- training step (yolo_train.cpp)

def make_optimizer(net, lr=2e-3, weight_decay=5e-4, momentum=0.937):
    """yolo_train.cpp's AdamW: betas (momentum, 0.999), eps 1e-8, decay on convolution weights only
    (BatchNorm weights and biases are not decayed), one tensor at a time as in C++."""
    params = [p for p in net.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() > 1]
    no_decay = [p for p in params if p.dim() <= 1]
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(momentum, 0.999), foreach=False)


def train_step(net, opt, images, gt_labels, gt_bboxes, gt_mask):
    out = net(images)
    total, box, cls, dfl = detection_loss(out, net.strides, net.reg_max, net.nc, gt_labels, gt_bboxes, gt_mask)
    opt.zero_grad()
    total.backward()
    torch.nn.utils.clip_grad_norm_([p for p in net.parameters() if p.requires_grad], 10.0)
    opt.step()
    return box, cls, dfl


# ---------------------------------------------------------------- checkpoints and predict

def read_safetensors(path):
    """(tensors by name, metadata dict): 8-byte little-endian header length, JSON header, raw data."""
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8,
              "F16": np.float16, "BOOL": np.bool_}
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, h in header.items():
        begin, end = h["data_offsets"]
        arr = np.frombuffer(blob, dtype=dtypes[h["dtype"]], count=(end - begin) // np.dtype(dtypes[h["dtype"]]).itemsize,
                            offset=base + begin)
        tensors[name] = torch.from_numpy(arr.reshape(h["shape"]).copy())
    return tensors, meta


def load_checkpoint(path):
    """A YoloNet with the weights of a checkpoint written by YOLO.save (strict), and its metadata."""
    tensors, meta = read_safetensors(path)
    info = json.loads(meta["autodistill"])
    net = YoloNet(info["scale"], len(info["classes"]))
    net.load_state_dict(tensors, strict=True)
    net.eval()
    return net, info


def letterbox(image, size, pad=114):
    """core/image.cpp letterbox(): aspect-preserving INTER_LINEAR resize, centred, grey border."""
    import cv2
    h, w = image.shape[:2]
    # float arithmetic as in C++ (float scale, int * float product, lround = halves away from zero).
    scale = min(np.float32(size) / np.float32(w), np.float32(size) / np.float32(h))
    nw = max(1, min(size, int(math.floor(float(np.float32(w) * scale) + 0.5))))
    nh = max(1, min(size, int(math.floor(float(np.float32(h) * scale) + 0.5))))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nw, nh) != (w, h) else image
    left, top = (size - nw) // 2, (size - nh) // 2
    canvas = cv2.copyMakeBorder(resized, top, size - nh - top, left, size - nw - left, cv2.BORDER_CONSTANT,
                                value=(pad, pad, pad))
    return canvas, float(scale), left, top


def predict(net, image_bgr, imgsz, confidence=0.25, iou=0.7, max_det=300):
    """yolo_train.cpp predict() for one BGR uint8 image: (xyxy (N, 4) source pixels, scores (N), classes (N))."""
    import torchvision
    canvas, scale, left, top = letterbox(image_bgr, imgsz)
    x = torch.from_numpy(np.ascontiguousarray(canvas[:, :, ::-1])).permute(2, 0, 1).float().div(255.0)
    net.eval()
    with torch.no_grad():
        boxes, scores = decode(net(x.unsqueeze(0)), net.strides, net.reg_max, net.nc)
    best, cls = scores[0].max(-1)
    keep = best >= confidence
    b, s, c = boxes[0][keep], best[keep], cls[keep]
    kept = torchvision.ops.batched_nms(b, s, c, iou)[:max_det]
    b = b[kept].clone()
    b[:, [0, 2]] = (b[:, [0, 2]] - left) / scale
    b[:, [1, 3]] = (b[:, [1, 3]] - top) / scale
    return b.numpy(), s[kept].numpy(), c[kept].numpy()


# ---------------------------------------------------------------- benchmark

def synthetic_batch(batch, size, boxes=4):
    """Deterministic inputs shared with bench_yolo.cpp: a smooth pattern image and `boxes` boxes per image."""
    ys = torch.arange(size, dtype=torch.float32).view(1, size, 1)
    xs = torch.arange(size, dtype=torch.float32).view(1, 1, size)
    images = []
    for i in range(batch):
        ch = torch.arange(3, dtype=torch.float32).view(3, 1, 1)
        images.append(0.5 + 0.5 * torch.sin(0.05 * xs * (ch + 1) + 0.03 * ys * (i + 1) + ch))
    images = torch.stack(images)
    gt = torch.zeros(batch, boxes, 4)
    labels = torch.zeros(batch, boxes, dtype=torch.long)
    for i in range(batch):
        for j in range(boxes):
            cx = size * (j + 1) / (boxes + 1)
            cy = size * ((i + j) % boxes + 1) / (boxes + 1)
            half = size / 16.0 * (1 + j % 3)
            gt[i, j] = torch.tensor([cx - half, cy - half, cx + half, cy + half])
            labels[i, j] = (i * boxes + j) % 80
    return images, labels, gt, torch.ones(batch, boxes, dtype=torch.bool)


def run_case(kind, size, batch, warmup, iters, classes=80):
    torch.manual_seed(0)
    net = YoloNet("n", classes)
    images, labels, gt, mask = synthetic_batch(batch, size)
    times = []
    if kind == "train":
        net.train()
        opt = make_optimizer(net)
        for i in range(warmup + iters):
            t0 = time.perf_counter()
            train_step(net, opt, images, labels, gt, mask)
            if i >= warmup:
                times.append(time.perf_counter() - t0)
        return {"images_per_s": batch * len(times) / sum(times), "ms_per_batch": 1e3 * statistics.median(times)}
    if kind == "infer":
        net.eval()
        with torch.inference_mode():
            for i in range(warmup + iters):
                t0 = time.perf_counter()
                decode(net(images), net.strides, net.reg_max, net.nc)
                if i >= warmup:
                    times.append(time.perf_counter() - t0)
        ms = 1e3 * statistics.median(times)
        return {"images_per_s": batch * 1e3 / ms, "ms_per_batch": ms}
    raise ValueError(f"unknown case kind {kind!r}")


def bench(args):
    torch.set_num_threads(args.threads)
    cases = args.case or ["train,320,8,1,3", "infer,320,1,2,10", "infer,320,8,1,3"]
    results = []
    for c in cases:
        kind, size, batch, warmup, iters = c.split(",")
        r = run_case(kind, int(size), int(batch), int(warmup), int(iters))
        r.update(kind=kind, size=int(size), batch=int(batch), warmup=int(warmup), iters=int(iters))
        results.append(r)
        if not args.json:
            print(f"{kind:5s} {size:>4s} batch {batch:>2s}: {r['images_per_s']:8.2f} images/s "
                  f"{r['ms_per_batch']:9.1f} ms/batch", flush=True)
    if args.json:
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bench", help="time training steps and inference of scale n")
    b.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    b.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (bench_yolo passes its own)")
    b.add_argument("--case", action="append", help="kind,size,batch,warmup,iters (repeatable)")
    args = p.parse_args(argv)
    if args.command == "bench":
        bench(args)


if __name__ == "__main__":
    sys.exit(main())
