"""An independent reference for COCO bbox evaluation, written for the tests from COCOeval's published
rules (pycocotools is not installed here). It deliberately shares no code with the C++ engine: plain
Python loops for the matching, numpy for the accumulation.

Rules re-derived (pycocotools' cocoeval.py, iouType="bbox"):
- images = the ground truth's "images" ids, categories = its "categories" ids (sorted);
- per (image, category): detections by decreasing score (stable), first maxDets[-1] kept; truth with
  iscrowd or area outside the range is "ignored" and sorted last (stable);
- IoU: intersection over union of xywh boxes; for a crowd truth, intersection over detection area;
- at each IoU threshold t, each detection takes, among truth not yet taken (crowd truth can be taken
  again), the regular one with the largest IoU >= min(t, 1 - 1e-10), the later one on exact ties; only if
  none, an ignored one by the same rule. Taking an ignored one makes the detection ignored. A match to
  an annotation with id 0 is recorded as id 0, i.e. read as "no match" later;
- unmatched detections with area outside the range are ignored;
- per category, area range and maxDets: detections of all images (in image id order, each cut to
  maxDets) stably sorted by decreasing score; cumulative TP and FP over non-ignored detections;
  recall = TP / #regular truth, precision = TP / (TP + FP + eps); precision made non-increasing from the
  right; sampled at recall thresholds 0:.01:1 by searchsorted(side="left"), 0 beyond the end;
  recall reached = last recall (0 with no detections); -1 where there is no regular truth;
- summaries: mean of the entries > -1, else -1.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
RECALL_THRESHOLDS = np.linspace(0.0, 1.0, int(np.round(1.0 / 0.01)) + 1, endpoint=True)
AREA_RANGES = {"all": (0.0, 1e5**2), "small": (0.0, 32.0**2), "medium": (32.0**2, 96.0**2), "large": (96.0**2, 1e5**2)}
AREA_NAMES = ["all", "small", "medium", "large"]


def iou_matrix(dets, gts):
    """(D, G) IoU between lists of dicts with "bbox" (xywh); crowd columns use the detection area."""
    out = np.zeros((len(dets), len(gts)))
    for j, g in enumerate(gts):
        gx, gy, gw, gh = g["bbox"]
        g_area = gw * gh
        for i, d in enumerate(dets):
            dx, dy, dw, dh = d["bbox"]
            d_area = dw * dh
            iw = min(dw + dx, gw + gx) - max(dx, gx)
            if iw <= 0:
                continue
            ih = min(dh + dy, gh + gy) - max(dy, gy)
            if ih <= 0:
                continue
            inter = iw * ih
            union = d_area if g["iscrowd"] else d_area + g_area - inter
            out[i, j] = inter / union
    return out


def _choose(candidates, ious_row, threshold):
    """Index (into candidates) of the largest IoU >= threshold, the last one on ties; None if none."""
    best, pick = threshold, None
    for pos, j in enumerate(candidates):
        if ious_row[j] >= best:
            best, pick = ious_row[j], pos
    return pick


def evaluate_cell(dets, gts, area_range, max_det):
    lo, hi = area_range
    ignore = np.array([bool(g["iscrowd"]) or g["area"] < lo or g["area"] > hi for g in gts], dtype=bool)
    gt_order = list(np.argsort(ignore.astype(int), kind="mergesort"))
    det_order = list(np.argsort([-d["score"] for d in dets], kind="mergesort"))[:max_det]
    dets = [dets[i] for i in det_order]
    ious = iou_matrix(dets, gts)
    T, D = len(IOU_THRESHOLDS), len(dets)
    matched_id = np.zeros((T, D))
    det_ignored = np.zeros((T, D), dtype=bool)
    for ti, t in enumerate(IOU_THRESHOLDS):
        taken = set()
        threshold = min(t, 1 - 1e-10)
        for di in range(D):
            free = [j for j in gt_order if j not in taken or gts[j]["iscrowd"]]
            regular = [j for j in free if not ignore[j]]
            ignored = [j for j in free if ignore[j]]
            pick, pool = _choose(regular, ious[di], threshold), regular
            if pick is None:
                pick, pool = _choose(ignored, ious[di], threshold), ignored
            if pick is None:
                continue
            j = pool[pick]
            taken.add(j)
            matched_id[ti, di] = gts[j]["id"]
            det_ignored[ti, di] = ignore[j]
    det_out = np.array([d["area"] < lo or d["area"] > hi for d in dets], dtype=bool)
    det_ignored |= (matched_id == 0) & det_out[None, :]
    return {
        "scores": np.array([d["score"] for d in dets], dtype=float),
        "matched": matched_id != 0,
        "ignored": det_ignored,
        "num_regular": int((~ignore).sum()),
    }


def _voc_all_point(rc, pr):
    mrec = np.concatenate([[0.0], rc, [1.0]])
    mpre = np.concatenate([[0.0], pr, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def _voc_11_point(rc, pr):
    total = 0.0
    for j in range(11):
        sel = pr[rc >= j / 10.0]
        total += (sel.max() if sel.size else 0.0) / 11.0
    return total


def evaluate(gt: dict, results: list, max_dets=(1, 10, 100), ap_method="coco"):
    """Returns dict(stats=(12,), precision=(T,R,K,A,M), recall=(T,K,A,M), ap=(T,K,A,M), cat_ids)."""
    img_ids = sorted({im["id"] for im in gt.get("images", [])})
    cat_ids = sorted({c["id"] for c in gt.get("categories", [])})
    img_set, cat_set = set(img_ids), set(cat_ids)
    use_cat = (lambda c: c in cat_set) if cat_ids else (lambda c: True)
    truth, dets = defaultdict(list), defaultdict(list)
    for a in gt.get("annotations", []):
        if a["image_id"] in img_set and use_cat(a["category_id"]):
            x, y, w, h = (float(v) for v in a["bbox"])
            truth[a["image_id"], a["category_id"]].append(
                {"bbox": (x, y, w, h), "area": float(a.get("area", w * h)), "iscrowd": int(a.get("iscrowd", 0)),
                 "id": a.get("id", 1)})
    for n, r in enumerate(results):
        assert r["image_id"] in img_set, "Results do not correspond to current coco set"
        if use_cat(r["category_id"]):
            x, y, w, h = (float(v) for v in r["bbox"])
            dets[r["image_id"], r["category_id"]].append(
                {"bbox": (x, y, w, h), "area": w * h, "score": float(r["score"]), "id": n + 1})
    T, R, K, A, M = len(IOU_THRESHOLDS), len(RECALL_THRESHOLDS), len(cat_ids), 4, len(max_dets)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    ap = -np.ones((T, K, A, M))
    for k, cat in enumerate(cat_ids):
        for a, area_name in enumerate(AREA_NAMES):
            cells = [evaluate_cell(dets[img, cat], truth[img, cat], AREA_RANGES[area_name], max_dets[-1])
                     for img in img_ids if truth[img, cat] or dets[img, cat]]
            if not cells:
                continue
            n_regular = sum(c["num_regular"] for c in cells)
            if n_regular == 0:
                continue
            for m, md in enumerate(max_dets):
                scores = np.concatenate([c["scores"][:md] for c in cells])
                order = np.argsort(-scores, kind="mergesort")
                matched = np.concatenate([c["matched"][:, :md] for c in cells], axis=1)[:, order]
                ignored = np.concatenate([c["ignored"][:, :md] for c in cells], axis=1)[:, order]
                tp = np.cumsum(matched & ~ignored, axis=1).astype(float)
                fp = np.cumsum(~matched & ~ignored, axis=1).astype(float)
                nd = scores.size
                for t in range(T):
                    rc = tp[t] / n_regular
                    pr = tp[t] / (fp[t] + tp[t] + np.spacing(1))
                    recall[t, k, a, m] = rc[-1] if nd else 0.0
                    envelope = np.maximum.accumulate(pr[::-1])[::-1] if nd else pr
                    idx = np.searchsorted(rc, RECALL_THRESHOLDS, side="left")
                    q = np.zeros(R)
                    ok = idx < nd
                    q[ok] = envelope[idx[ok]]
                    precision[t, :, k, a, m] = q
                    if ap_method == "coco":
                        ap[t, k, a, m] = q.mean()
                    elif ap_method == "voc":
                        ap[t, k, a, m] = _voc_all_point(rc, pr)
                    else:
                        ap[t, k, a, m] = _voc_11_point(rc, pr)

    def mean_valid(x):
        x = x[x > -1]
        return float(x.mean()) if x.size else -1.0

    def ap_summary(t=None, area="all", m=M - 1):
        a = AREA_NAMES.index(area)
        tsel = slice(None) if t is None else np.nonzero(IOU_THRESHOLDS == t)[0]
        if ap_method == "coco":
            return mean_valid(precision[tsel, :, :, a, m])
        return mean_valid(ap[tsel, :, a, m])

    def ar_summary(area="all", m=M - 1):
        return mean_valid(recall[:, :, AREA_NAMES.index(area), m])

    stats = np.array([
        ap_summary(), ap_summary(t=0.5), ap_summary(t=0.75), ap_summary(area="small"), ap_summary(area="medium"),
        ap_summary(area="large"), ar_summary(m=0), ar_summary(m=1), ar_summary(), ar_summary("small"),
        ar_summary("medium"), ar_summary("large")])
    per_class_ap = np.array([mean_valid(ap[:, k, 0, M - 1]) for k in range(K)])
    return {"stats": stats, "precision": precision, "recall": recall, "ap": ap, "cat_ids": cat_ids,
            "ap_per_class": per_class_ap}
