// COCOeval (pycocotools) re-derived: evaluateImg -> match_cell, accumulate + summarize -> run_engine.
// The order of floating-point operations follows pycocotools where it decides a comparison
// (IoU against a threshold, recall against a recall threshold) so that results agree to the last bit.
#include "coco_engine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "autodistill/core/error.h"
#include "autodistill/core/interrupt.h"

namespace autodistill::eval_detail {

namespace {

constexpr double kAreaMax = 1e5 * 1e5;
// numpy.spacing(1): the epsilon pycocotools adds to the precision denominator.
constexpr double kEps = std::numeric_limits<double>::epsilon();

// numpy.linspace(start, stop, num): start + i * step, with the last value exactly `stop`.
std::vector<double> linspace(double start, double stop, int num) {
  std::vector<double> v(num);
  const double step = (stop - start) / (num - 1);
  for (int i = 0; i < num; ++i) v[i] = i * step + start;
  v[num - 1] = stop;
  return v;
}

}  // namespace

std::vector<double> coco_iou_thresholds() { return linspace(0.5, 0.95, 10); }
std::vector<double> coco_recall_thresholds() { return linspace(0.0, 1.0, 101); }

std::vector<size_t> order_by_score(const std::vector<PredBox>& preds) {
  std::vector<size_t> idx(preds.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return preds[a].score > preds[b].score; });
  return idx;
}

std::vector<double> box_iou_coco(const std::vector<PredBox>& preds, const std::vector<TruthBox>& truth) {
  const size_t D = preds.size(), G = truth.size();
  std::vector<double> out(D * G, 0.0);
  for (size_t g = 0; g < G; ++g) {
    const TruthBox& t = truth[g];
    const double ga = t.w * t.h;
    for (size_t d = 0; d < D; ++d) {
      const PredBox& p = preds[d];
      const double da = p.w * p.h;
      const double w = std::min(p.w + p.x, t.w + t.x) - std::max(p.x, t.x);
      if (!(w > 0)) continue;
      const double h = std::min(p.h + p.y, t.h + t.y) - std::max(p.y, t.y);
      if (!(h > 0)) continue;
      const double inter = w * h;
      const double uni = t.crowd ? da : da + ga - inter;
      out[d * G + g] = inter / uni;
    }
  }
  return out;
}

CellMatch match_cell(const std::vector<PredBox>& preds, const std::vector<TruthBox>& truth,
                     const std::vector<double>& ious, const std::vector<double>& iou_thresholds, double area_lo,
                     double area_hi) {
  const size_t T = iou_thresholds.size(), D = preds.size(), G = truth.size();
  std::vector<uint8_t> ignore_in(G);
  for (size_t g = 0; g < G; ++g)
    ignore_in[g] = truth[g].crowd || truth[g].area < area_lo || truth[g].area > area_hi;
  // Truth order: not ignored first, stable.
  std::vector<size_t> gt_order(G);
  std::iota(gt_order.begin(), gt_order.end(), size_t{0});
  std::stable_sort(gt_order.begin(), gt_order.end(), [&](size_t a, size_t b) { return ignore_in[a] < ignore_in[b]; });
  std::vector<uint8_t> ignore(G);
  for (size_t i = 0; i < G; ++i) ignore[i] = ignore_in[gt_order[i]];

  CellMatch out;
  out.scores.resize(D);
  for (size_t d = 0; d < D; ++d) out.scores[d] = preds[d].score;
  out.matched.assign(T * D, 0);
  out.ignored.assign(T * D, 0);
  out.match_of.assign(T * D, -1);
  out.num_truth_counted = std::count(ignore.begin(), ignore.end(), uint8_t{0});

  std::vector<uint8_t> taken(G);
  for (size_t t = 0; t < T; ++t) {
    std::fill(taken.begin(), taken.end(), uint8_t{0});
    for (size_t d = 0; d < D; ++d) {
      double best = std::min(iou_thresholds[t], 1 - 1e-10);
      int64_t m = -1;  // position in gt_order
      for (size_t i = 0; i < G; ++i) {
        const size_t g = gt_order[i];
        if (taken[i] && !truth[g].crowd) continue;
        // Already holding a regular box: the ignored ones (sorted last) cannot replace it.
        if (m > -1 && !ignore[m] && ignore[i]) break;
        const double v = ious[d * G + g];
        if (v < best) continue;
        best = v;
        m = static_cast<int64_t>(i);
      }
      if (m == -1) continue;
      const size_t g = gt_order[m];
      out.ignored[t * D + d] = ignore[m];
      out.matched[t * D + d] = !truth[g].id_is_zero;
      out.match_of[t * D + d] = static_cast<int64_t>(g);
      taken[m] = 1;
    }
  }
  for (size_t d = 0; d < D; ++d) {
    const bool outside = preds[d].area < area_lo || preds[d].area > area_hi;
    if (!outside) continue;
    for (size_t t = 0; t < T; ++t)
      if (!out.matched[t * D + d]) out.ignored[t * D + d] = 1;
  }
  return out;
}

Counts match_counts(const std::vector<PredBox>& preds_in, const std::vector<TruthBox>& truth, double iou_threshold) {
  const std::vector<size_t> order = order_by_score(preds_in);
  std::vector<PredBox> preds(order.size());
  for (size_t i = 0; i < order.size(); ++i) preds[i] = preds_in[order[i]];
  const double inf = std::numeric_limits<double>::infinity();
  const CellMatch cm = match_cell(preds, truth, box_iou_coco(preds, truth), {iou_threshold}, -inf, inf);
  Counts c;
  for (size_t d = 0; d < preds.size(); ++d) {
    if (cm.ignored[d]) continue;
    if (cm.matched[d]) ++c.tp; else ++c.fp;
  }
  c.fn = cm.num_truth_counted - c.tp;
  return c;
}

namespace {

struct Curve {
  std::vector<double> rc, pr;  // raw, per sorted prediction
};

double ap_voc_all_point(const Curve& c) {
  const size_t n = c.rc.size();
  std::vector<double> mrec(n + 2), mpre(n + 2);
  mrec[0] = 0;
  mpre[0] = 0;
  for (size_t i = 0; i < n; ++i) {
    mrec[i + 1] = c.rc[i];
    mpre[i + 1] = c.pr[i];
  }
  mrec[n + 1] = 1;
  mpre[n + 1] = 0;
  for (size_t i = n + 1; i > 0; --i) mpre[i - 1] = std::max(mpre[i - 1], mpre[i]);
  double ap = 0;
  for (size_t i = 0; i + 1 < n + 2; ++i)
    if (mrec[i + 1] != mrec[i]) ap += (mrec[i + 1] - mrec[i]) * mpre[i + 1];
  return ap;
}

double ap_voc_11_point(const Curve& c) {
  double ap = 0;
  for (int j = 0; j <= 10; ++j) {
    const double r = j / 10.0;
    double p = 0;
    for (size_t i = 0; i < c.rc.size(); ++i)
      if (c.rc[i] >= r) p = std::max(p, c.pr[i]);
    ap += p / 11.0;
  }
  return ap;
}

// pycocotools' _summarize: mean of the entries > -1, or -1.
double mean_valid(const std::vector<double>& v) {
  double s = 0;
  int64_t n = 0;
  for (double x : v)
    if (x > -1) {
      s += x;
      ++n;
    }
  return n ? s / static_cast<double>(n) : -1.0;
}

}  // namespace

MeanAveragePrecisionResult run_engine(const EngineInput& input, ApMethod method, std::array<int64_t, 3> max_dets) {
  MeanAveragePrecisionResult res;
  res.ap_method = method;
  res.iou_thresholds = coco_iou_thresholds();
  res.recall_thresholds = coco_recall_thresholds();
  res.max_detections.assign(max_dets.begin(), max_dets.end());
  res.class_ids = input.category_ids;
  const std::array<std::pair<double, double>, 4> areas{
      {{0.0, kAreaMax}, {0.0, 32.0 * 32.0}, {32.0 * 32.0, 96.0 * 96.0}, {96.0 * 96.0, kAreaMax}}};
  const size_t T = res.iou_thresholds.size(), R = res.recall_thresholds.size(), K = res.class_ids.size(), A = 4,
               M = 3;
  res.precision.assign(T * R * K * A * M, -1.0);
  res.recall.assign(T * K * A * M, -1.0);
  res.average_precision.assign(T * K * A * M, -1.0);
  res.num_truth.assign(K, 0);
  res.num_predictions.assign(K, 0);
  auto tkam = [&](size_t t, size_t k, size_t a, size_t m) { return ((t * K + k) * A + a) * M + m; };

  // Cells per category, in increasing image id (the map is ordered by (image, category)).
  std::map<int64_t, size_t> k_of;
  for (size_t k = 0; k < K; ++k) k_of[res.class_ids[k]] = k;
  std::vector<std::vector<const Cell*>> cells_of(K);
  for (const auto& [key, cell] : input.cells) {
    auto it = k_of.find(key.second);
    if (it == k_of.end()) continue;
    if (cell.truth.empty() && cell.preds.empty()) continue;
    cells_of[it->second].push_back(&cell);
  }
  const int64_t max_det = max_dets[2];

  for (size_t k = 0; k < K; ++k) {
    throw_if_interrupted();
    // evaluateImg for every image and area range.
    std::vector<std::array<CellMatch, 4>> matches;
    matches.reserve(cells_of[k].size());
    for (const Cell* cell : cells_of[k]) {
      for (const TruthBox& t : cell->truth) res.num_truth[k] += !t.crowd;
      res.num_predictions[k] += static_cast<int64_t>(cell->preds.size());
      std::vector<size_t> order = order_by_score(cell->preds);
      if (static_cast<int64_t>(order.size()) > max_det) order.resize(static_cast<size_t>(max_det));
      std::vector<PredBox> preds(order.size());
      for (size_t i = 0; i < order.size(); ++i) preds[i] = cell->preds[order[i]];
      const std::vector<double> ious = box_iou_coco(preds, cell->truth);
      std::array<CellMatch, 4> per_area;
      for (size_t a = 0; a < A; ++a)
        per_area[a] = match_cell(preds, cell->truth, ious, res.iou_thresholds, areas[a].first, areas[a].second);
      matches.push_back(std::move(per_area));
    }
    if (matches.empty()) continue;
    // accumulate
    for (size_t a = 0; a < A; ++a) {
      for (size_t m = 0; m < M; ++m) {
        const size_t cap = static_cast<size_t>(max_dets[m]);
        std::vector<double> scores;
        std::vector<std::pair<const CellMatch*, size_t>> src;  // (cell, column)
        int64_t npig = 0;
        for (const auto& per_area : matches) {
          const CellMatch& cm = per_area[a];
          npig += cm.num_truth_counted;
          const size_t n = std::min(cap, cm.scores.size());
          for (size_t d = 0; d < n; ++d) {
            scores.push_back(cm.scores[d]);
            src.emplace_back(&cm, d);
          }
        }
        if (npig == 0) continue;
        std::vector<size_t> order(scores.size());
        std::iota(order.begin(), order.end(), size_t{0});
        std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return scores[x] > scores[y]; });
        const size_t nd = order.size();
        for (size_t t = 0; t < T; ++t) {
          Curve c;
          c.rc.resize(nd);
          c.pr.resize(nd);
          double tp = 0, fp = 0;
          for (size_t i = 0; i < nd; ++i) {
            const auto& [cm, d] = src[order[i]];
            const size_t D = cm->scores.size();
            const bool ign = cm->ignored[t * D + d], hit = cm->matched[t * D + d];
            if (!ign) (hit ? tp : fp) += 1.0;
            c.rc[i] = tp / static_cast<double>(npig);
            c.pr[i] = tp / (fp + tp + kEps);
          }
          res.recall[tkam(t, k, a, m)] = nd ? c.rc[nd - 1] : 0.0;
          std::vector<double> mono = c.pr;
          for (size_t i = nd; i-- > 1;)
            if (mono[i] > mono[i - 1]) mono[i - 1] = mono[i];
          std::vector<double> q(R, 0.0);
          for (size_t r = 0; r < R; ++r) {
            const size_t idx = static_cast<size_t>(
                std::lower_bound(c.rc.begin(), c.rc.end(), res.recall_thresholds[r]) - c.rc.begin());
            if (idx >= nd) break;
            q[r] = mono[idx];
          }
          double sum_q = 0;
          for (size_t r = 0; r < R; ++r) {
            res.precision[(((t * R + r) * K + k) * A + a) * M + m] = q[r];
            sum_q += q[r];
          }
          double ap = 0;
          switch (method) {
            case ApMethod::Coco101: ap = sum_q / static_cast<double>(R); break;
            case ApMethod::VocAllPoint: ap = ap_voc_all_point(c); break;
            case ApMethod::Voc11Point: ap = ap_voc_11_point(c); break;
          }
          res.average_precision[tkam(t, k, a, m)] = ap;
        }
      }
    }
  }

  // summarize
  auto t_index = [&](double thr) -> int64_t {
    for (size_t t = 0; t < T; ++t)
      if (std::abs(res.iou_thresholds[t] - thr) < 1e-12) return static_cast<int64_t>(t);
    return -1;
  };
  auto summarize_ap = [&](int64_t t_only, size_t a, size_t m, int64_t k_only = -1) {
    std::vector<double> v;
    for (size_t t = 0; t < T; ++t) {
      if (t_only >= 0 && static_cast<int64_t>(t) != t_only) continue;
      for (size_t k = 0; k < K; ++k) {
        if (k_only >= 0 && static_cast<int64_t>(k) != k_only) continue;
        if (method == ApMethod::Coco101) {
          for (size_t r = 0; r < R; ++r) v.push_back(res.precision[(((t * R + r) * K + k) * A + a) * M + m]);
        } else {
          v.push_back(res.average_precision[tkam(t, k, a, m)]);
        }
      }
    }
    return mean_valid(v);
  };
  auto summarize_ar = [&](size_t a, size_t m, int64_t k_only = -1) {
    std::vector<double> v;
    for (size_t t = 0; t < T; ++t)
      for (size_t k = 0; k < K; ++k)
        if (k_only < 0 || static_cast<int64_t>(k) == k_only) v.push_back(res.recall[tkam(t, k, a, m)]);
    return mean_valid(v);
  };
  const int64_t t50 = t_index(0.5), t75 = t_index(0.75);
  CocoStats& s = res.stats;
  s.ap = summarize_ap(-1, kAreaAll, 2);
  s.ap50 = summarize_ap(t50, kAreaAll, 2);
  s.ap75 = summarize_ap(t75, kAreaAll, 2);
  s.ap_small = summarize_ap(-1, kAreaSmall, 2);
  s.ap_medium = summarize_ap(-1, kAreaMedium, 2);
  s.ap_large = summarize_ap(-1, kAreaLarge, 2);
  s.ar1 = summarize_ar(kAreaAll, 0);
  s.ar10 = summarize_ar(kAreaAll, 1);
  s.ar100 = summarize_ar(kAreaAll, 2);
  s.ar_small = summarize_ar(kAreaSmall, 2);
  s.ar_medium = summarize_ar(kAreaMedium, 2);
  s.ar_large = summarize_ar(kAreaLarge, 2);
  for (size_t k = 0; k < K; ++k) {
    const auto ki = static_cast<int64_t>(k);
    res.ap_per_class.push_back(summarize_ap(-1, kAreaAll, 2, ki));
    res.ap50_per_class.push_back(summarize_ap(t50, kAreaAll, 2, ki));
    res.ap75_per_class.push_back(summarize_ap(t75, kAreaAll, 2, ki));
    res.ap_small_per_class.push_back(summarize_ap(-1, kAreaSmall, 2, ki));
    res.ap_medium_per_class.push_back(summarize_ap(-1, kAreaMedium, 2, ki));
    res.ap_large_per_class.push_back(summarize_ap(-1, kAreaLarge, 2, ki));
    res.ar_per_class.push_back(summarize_ar(kAreaAll, 2, ki));
  }
  return res;
}

namespace {

bool class_ok(int64_t c, int64_t num_classes) { return c >= 0 && (num_classes <= 0 || c < num_classes); }

// Box of row i as a COCO bbox; invalid boxes become zero-size at a finite corner.
void to_xywh(const BoxArray& b, Eigen::Index i, double& x, double& y, double& w, double& h, bool& invalid) {
  const double x1 = b(i, 0), y1 = b(i, 1), x2 = b(i, 2), y2 = b(i, 3);
  invalid = !(std::isfinite(x1) && std::isfinite(y1) && std::isfinite(x2) && std::isfinite(y2)) || x2 < x1 || y2 < y1;
  if (invalid) {
    x = std::isfinite(x1) ? x1 : 0.0;
    y = std::isfinite(y1) ? y1 : 0.0;
    w = h = 0.0;
    return;
  }
  x = x1;
  y = y1;
  w = x2 - x1;
  h = y2 - y1;
}

}  // namespace

std::vector<PredBox> sanitize_predictions(const Detections& d, int64_t num_classes, EvalInputReport& report,
                                          std::vector<int64_t>& class_of) {
  std::vector<PredBox> out;
  class_of.clear();
  for (Eigen::Index i = 0; i < d.size(); ++i) {
    const int64_t c = d.class_id()(i);
    if (!class_ok(c, num_classes)) {
      ++report.predictions_bad_class;
      continue;
    }
    const double score = d.confidence()(i);
    if (std::isnan(score)) {
      ++report.predictions_nan_score;
      continue;
    }
    PredBox p{};
    bool invalid = false;
    to_xywh(d.xyxy(), i, p.x, p.y, p.w, p.h, invalid);
    report.predictions_invalid_box += invalid;
    p.area = p.w * p.h;
    p.score = score;
    out.push_back(p);
    class_of.push_back(c);
  }
  report.predictions += static_cast<int64_t>(out.size());
  return out;
}

std::vector<TruthBox> sanitize_truth(const Detections& d, int64_t num_classes, const std::vector<bool>& iscrowd,
                                     const std::vector<double>& area, EvalInputReport& report,
                                     std::vector<int64_t>& class_of) {
  AD_CHECK(iscrowd.empty() || static_cast<int64_t>(iscrowd.size()) == d.size(),
           "truth_iscrowd must be empty or have one flag per truth row: expected {}, got {}", d.size(),
           iscrowd.size());
  AD_CHECK(area.empty() || static_cast<int64_t>(area.size()) == d.size(),
           "truth_area must be empty or have one value per truth row: expected {}, got {}", d.size(), area.size());
  std::vector<TruthBox> out;
  class_of.clear();
  Eigen::VectorXf mask_area;
  if (area.empty() && d.mask()) mask_area = d.area();
  for (Eigen::Index i = 0; i < d.size(); ++i) {
    const int64_t c = d.class_id()(i);
    if (!class_ok(c, num_classes)) {
      ++report.truths_bad_class;
      continue;
    }
    TruthBox t{};
    bool invalid = false;
    to_xywh(d.xyxy(), i, t.x, t.y, t.w, t.h, invalid);
    report.truths_invalid_box += invalid;
    if (!area.empty())
      t.area = area[static_cast<size_t>(i)];
    else if (mask_area.size())
      t.area = mask_area(i);
    else
      t.area = t.w * t.h;
    t.crowd = !iscrowd.empty() && iscrowd[static_cast<size_t>(i)];
    t.id_is_zero = false;
    out.push_back(t);
    class_of.push_back(c);
  }
  report.truths += static_cast<int64_t>(out.size());
  return out;
}

}  // namespace autodistill::eval_detail
