#include <catch2/catch.hpp>

#include <cmath>

#include "autodistill/core/error.h"
#include "autodistill/eval/confusion_matrix.h"
#include "autodistill/eval/precision_recall.h"
#include "eval_helpers.h"

using namespace autodistill;
using test::dets;
using test::Row;

namespace {
Row at(int slot, float score = 1.0f, int64_t cls = 0) {
  const float x = 200.0f * static_cast<float>(slot);
  return Row{x, 0, x + 100, 100, score, cls};
}
}  // namespace

TEST_CASE("PrecisionRecall counts TP/FP/FN per class at a confidence and IoU threshold", "[eval][pr]") {
  PrecisionRecallOptions o;
  o.num_classes = 3;
  o.confidence_threshold = 0.25;
  PrecisionRecall pr(o);
  // Class 0: 2 truth boxes; a TP (.9), a duplicate on the same box (.8, FP: one match per truth box), and a
  // TP below the confidence threshold (.1, not counted) -> TP 1, FP 1, FN 1.
  // Class 1: a prediction and no truth -> FP 1. Class 2: truth only -> FN 1.
  pr.update(dets({at(0, 0.9f, 0), at(0, 0.8f, 0), at(1, 0.1f, 0), at(3, 0.5f, 1)}),
            dets({at(0, 1, 0), at(1, 1, 0), at(5, 1, 2)}));
  const auto r = pr.compute();
  REQUIRE(r.class_ids == std::vector<int64_t>{0, 1, 2});
  CHECK(r.tp == std::vector<int64_t>{1, 0, 0});
  CHECK(r.fp == std::vector<int64_t>{1, 1, 0});
  CHECK(r.fn == std::vector<int64_t>{1, 0, 1});
  CHECK(r.precision[0] == Approx(0.5));
  CHECK(r.recall[0] == Approx(0.5));
  CHECK(r.f1[0] == Approx(0.5));
  CHECK(r.precision[1] == 0.0);
  CHECK(std::isnan(r.recall[1]));  // no truth
  CHECK(r.f1[1] == 0.0);
  CHECK(std::isnan(r.precision[2]));  // no predictions
  CHECK(r.recall[2] == 0.0);
  CHECK(r.total_tp == 1);
  CHECK(r.total_fp == 2);
  CHECK(r.total_fn == 2);
  CHECK(r.micro_precision == Approx(1.0 / 3.0));
  CHECK(r.micro_recall == Approx(1.0 / 3.0));
  CHECK(r.micro_f1 == Approx(2.0 / 6.0));
  // Accumulates over images; reset forgets.
  pr.update(dets({at(0, 0.9f, 2)}), dets({at(0, 1, 2)}));
  CHECK(pr.compute().tp[2] == 1);
  pr.reset();
  CHECK(pr.compute().total_tp == 0);
}

TEST_CASE("PrecisionRecall: the highest score claims the best box; crowd matches are neither TP nor FP",
          "[eval][pr]") {
  PrecisionRecallOptions o;
  o.confidence_threshold = 0.0;
  o.iou_threshold = 0.5;
  PrecisionRecall pr(o);
  // Truth A [0,0,100,100]. Predictions P1 (.6) exact, P2 (.9) IoU 0.64 with A. P2 goes first and takes A;
  // P1 finds A taken -> FP.
  pr.update(dets({{0, 0, 100, 100, 0.6f, 0}, {0, 0, 80, 80, 0.9f, 0}}), dets({{0, 0, 100, 100, 1, 0}}));
  auto r = pr.compute();
  CHECK(r.tp[0] == 1);
  CHECK(r.fp[0] == 1);
  pr.reset();
  pr.update(dets({{10, 10, 20, 20, 0.9f, 0}, {30, 30, 40, 40, 0.8f, 0}}), dets({{0, 0, 100, 100, 1, 0}}), {true});
  r = pr.compute();
  CHECK(r.tp[0] == 0);
  CHECK(r.fp[0] == 0);
  CHECK(r.fn[0] == 0);
  CHECK_THROWS_WITH(PrecisionRecall(PrecisionRecallOptions{0, 0.5, 1.5}), Catch::Contains("iou_threshold must be in (0, 1]"));
}

TEST_CASE("image_agreement is the per-image F1; both empty is 1", "[eval][agreement]") {
  CHECK(image_agreement(dets({}), dets({})) == 1.0);
  CHECK(image_agreement(dets({at(0, 0.9f)}), dets({at(0)})) == 1.0);
  CHECK(image_agreement(dets({at(0, 0.9f), at(2, 0.8f)}), dets({at(0)})) == Approx(2.0 / 3.0));  // TP 1, FP 1
  CHECK(image_agreement(dets({at(0, 0.9f, 1)}), dets({at(0, 1, 0)})) == 0.0);  // wrong class: FP 1, FN 1
  CHECK(image_agreement(dets({}), dets({at(0)})) == 0.0);
  CHECK(image_agreement(dets({at(0, 0.2f)}), dets({}), 0.5, 0.5) == 1.0);  // filtered away: both empty
  CHECK(image_agreement(dets({{0, 0, 100, 100, 0.9f, 0}}), dets({{0, 0, 100, 60, 1, 0}}), 0.5) == 1.0);  // IoU .6
  CHECK(image_agreement(dets({{0, 0, 100, 100, 0.9f, 0}}), dets({{0, 0, 100, 60, 1, 0}}), 0.7) == 0.0);
}

TEST_CASE("ConfusionMatrix: rows are truth, columns predictions, last row/column background", "[eval][confusion]") {
  ConfusionMatrixOptions o;
  o.num_classes = 3;
  o.confidence_threshold = 0.3;
  o.iou_threshold = 0.5;
  ConfusionMatrix cm(o);
  // truth 0 found as 0; truth 1 found as 2 (confused); truth 2 missed; a prediction of class 1 on
  // nothing (invented); a low-confidence prediction on truth 2 (ignored, so truth 2 stays missed).
  cm.update(dets({at(0, 0.9f, 0), at(1, 0.8f, 2), at(4, 0.7f, 1), at(2, 0.1f, 2)}),
            dets({at(0, 1, 0), at(1, 1, 1), at(2, 1, 2)}));
  CountMatrix expected(4, 4);
  expected << 1, 0, 0, 0,  //
      0, 0, 1, 0,          //
      0, 0, 0, 1,          //
      0, 1, 0, 0;
  CHECK(cm.compute() == expected);
  // Greedy by IoU, one-to-one: two predictions on one truth box -> the better one pairs, the other is FP.
  cm.reset();
  cm.update(dets({{0, 0, 100, 90, 0.9f, 1}, {0, 0, 100, 100, 0.5f, 0}}), dets({{0, 0, 100, 100, 1, 0}}));
  CHECK(cm.compute()(0, 0) == 1);
  CHECK(cm.compute()(3, 1) == 1);
  CHECK(cm.compute().sum() == 2);
  // Crowd truth is not counted, and predictions inside it are not false positives.
  cm.reset();
  cm.update(dets({{10, 10, 20, 20, 0.9f, 0}}), dets({{0, 0, 100, 100, 1, 0}}), {true});
  CHECK(cm.compute().sum() == 0);
  // Out-of-range ids are dropped and counted.
  cm.update(dets({at(0, 0.9f, 7)}), dets({at(0, 1, 3)}));
  CHECK(cm.input().predictions_bad_class == 1);
  CHECK(cm.input().truths_bad_class == 1);
  CHECK(cm.compute().sum() == 0);
  CHECK_THROWS_WITH(ConfusionMatrix(ConfusionMatrixOptions{}), Catch::Contains("num_classes must be > 0"));
}
