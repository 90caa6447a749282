// Hand-worked COCO / VOC average precision cases. Boxes in these cases either coincide (IoU 1) or do
// not touch (IoU 0), so every IoU threshold gives the same curve and AP@[.5:.95] equals AP@.5.
#include <catch2/catch.hpp>

#include "autodistill/core/error.h"
#include "autodistill/eval/mean_average_precision.h"
#include "eval_helpers.h"

using namespace autodistill;
using test::dets;
using test::Row;

namespace {
constexpr double kTol = 1e-9;
// Large boxes (area 10000 > 96^2) far apart.
Row box(int slot, float score = 1.0f, int64_t cls = 0) {
  const float x = 200.0f * static_cast<float>(slot);
  return Row{x, 0, x + 100, 100, score, cls};
}
MeanAveragePrecisionResult run_one(const std::vector<Row>& pred, const std::vector<Row>& truth,
                                   MeanAveragePrecisionOptions o = {}) {
  MeanAveragePrecision m(o);
  m.update(dets(pred), dets(truth));
  return m.compute();
}
}  // namespace

TEST_CASE("mAP: a perfect prediction has AP 1; AR1 counts one detection per image", "[eval][map]") {
  const auto r = run_one({box(0, 0.9f), box(1, 0.8f)}, {box(0), box(1)});
  CHECK(r.stats.ap == Approx(1.0).margin(kTol));
  CHECK(r.stats.ap50 == Approx(1.0).margin(kTol));
  CHECK(r.stats.ap75 == Approx(1.0).margin(kTol));
  CHECK(r.stats.ap_large == Approx(1.0).margin(kTol));
  CHECK(r.stats.ap_small == -1.0);   // no small truth
  CHECK(r.stats.ap_medium == -1.0);
  CHECK(r.stats.ar1 == Approx(0.5));  // only the top-scored detection of the image
  CHECK(r.stats.ar10 == Approx(1.0));
  CHECK(r.stats.ar100 == Approx(1.0));
  CHECK(r.stats.ar_small == -1.0);
  CHECK(r.stats.ar_large == Approx(1.0));
  REQUIRE(r.class_ids == std::vector<int64_t>{0});
  CHECK(r.num_truth == std::vector<int64_t>{2});
  CHECK(r.ap_per_class[0] == Approx(1.0).margin(kTol));
}

TEST_CASE("mAP: no predictions gives AP 0 and AR 0", "[eval][map]") {
  const auto r = run_one({}, {box(0), box(1)});
  CHECK(r.stats.ap == 0.0);
  CHECK(r.stats.ap50 == 0.0);
  CHECK(r.stats.ar100 == 0.0);
  CHECK(r.input.images_without_predictions == 1);
}

TEST_CASE("mAP: a class without truth is -1 and left out of the mean", "[eval][map]") {
  // Class 0 perfect; class 1 has two false positives and no truth; class 2 (num_classes = 3) nothing.
  MeanAveragePrecisionOptions o;
  o.num_classes = 3;
  const auto r = run_one({box(0, 0.9f, 0), box(1, 0.95f, 1), box(2, 0.99f, 1)}, {box(0, 1, 0)}, o);
  REQUIRE(r.class_ids == std::vector<int64_t>{0, 1, 2});
  CHECK(r.ap_per_class[0] == Approx(1.0).margin(kTol));
  CHECK(r.ap_per_class[1] == -1.0);
  CHECK(r.ap_per_class[2] == -1.0);
  CHECK(r.ar_per_class[1] == -1.0);
  CHECK(r.num_predictions == std::vector<int64_t>{1, 2, 0});
  CHECK(r.stats.ap == Approx(1.0).margin(kTol));
  // Nothing anywhere: every number is -1.
  const auto empty = run_one({}, {}, o);
  for (double v : empty.stats.to_array()) CHECK(v == -1.0);
}

TEST_CASE("mAP: a false positive ranked above true positives (101-point AP by hand)", "[eval][map]") {
  // 3 truth boxes. Ranked predictions: FP .9, TP .8, FP .7, TP .6.
  //   cumulative TP 0 1 1 2, FP 1 1 2 2 -> recall 0, 1/3, 1/3, 2/3; precision 0, 1/2, 1/3, 1/2
  //   monotone precision (max to the right): 1/2, 1/2, 1/2, 1/2
  //   recall thresholds r = 0, .01, ..., .66 (67 values, r <= 2/3) find a point -> 1/2; r >= .67 -> 0
  //   AP = 67 * (1/2) / 101 = 0.33168...
  const auto r = run_one({box(3, 0.9f), box(0, 0.8f), box(4, 0.7f), box(1, 0.6f)}, {box(0), box(1), box(2)});
  CHECK(r.stats.ap == Approx(67.0 * 0.5 / 101.0).margin(kTol));
  CHECK(r.stats.ap50 == Approx(67.0 * 0.5 / 101.0).margin(kTol));
  CHECK(r.stats.ar100 == Approx(2.0 / 3.0).margin(kTol));
  // The recall reached and the interpolated precision curve (T, R, K, A, M) at t = .5, all areas, maxDets 100.
  const size_t R = 101, K = 1, A = 4, M = 3;
  auto prec = [&](size_t ri) { return r.precision[(((0 * R + ri) * K + 0) * A + 0) * M + 2]; };
  CHECK(prec(0) == Approx(0.5));
  CHECK(prec(66) == Approx(0.5));
  CHECK(prec(67) == 0.0);
}

TEST_CASE("mAP: 101-point, VOC all-point and VOC 11-point AP on one textbook curve", "[eval][map][voc]") {
  // 3 truth boxes. Ranked predictions: TP .9, FP .8, TP .7, FP .6.
  //   recall 1/3, 1/3, 2/3, 2/3; precision 1, 1/2, 2/3, 1/2; monotone 1, 2/3, 2/3, 1/2
  //   COCO 101-point: r <= .33 (34 values) -> 1, .34 <= r <= .66 (33) -> 2/3, r >= .67 (34) -> 0
  //                   AP = (34 + 33 * 2/3) / 101 = 56/101
  //   VOC all-point:  envelope over recall steps 0 -> 1/3 at precision 1, 1/3 -> 2/3 at 2/3, then 0
  //                   AP = 1/3 + 1/3 * 2/3 = 5/9
  //   VOC 11-point:   r = 0, .1, .2, .3 -> 1; r = .4, .5, .6 -> 2/3; r = .7 ... 1 -> 0
  //                   AP = (4 + 3 * 2/3) / 11 = 6/11
  const std::vector<Row> pred{box(0, 0.9f), box(3, 0.8f), box(1, 0.7f), box(4, 0.6f)};
  const std::vector<Row> truth{box(0), box(1), box(2)};
  MeanAveragePrecisionOptions o;
  CHECK(run_one(pred, truth, o).stats.ap == Approx(56.0 / 101.0).margin(kTol));
  o.ap_method = ApMethod::VocAllPoint;
  const auto voc = run_one(pred, truth, o);
  CHECK(voc.stats.ap50 == Approx(5.0 / 9.0).margin(kTol));
  CHECK(voc.ap50_per_class[0] == Approx(5.0 / 9.0).margin(kTol));
  o.ap_method = ApMethod::Voc11Point;
  CHECK(run_one(pred, truth, o).stats.ap50 == Approx(6.0 / 11.0).margin(kTol));
  CHECK(parse_ap_method("VOC11") == ApMethod::Voc11Point);
  CHECK_THROWS_WITH(parse_ap_method("voc12"), Catch::Contains("expected 'coco', 'voc' or 'voc11'"));
}

TEST_CASE("mAP: equal scores keep input order, across images the smaller image_id first", "[eval][map][ties]") {
  // One truth box; a FP and a TP with the same score. FP first: recall 0, 1 precision 0, 1/2 -> AP 1/2.
  // TP first: recall 1, 1 precision 1, 1/2 -> AP 1.
  CHECK(run_one({box(5, 0.5f), box(0, 0.5f)}, {box(0)}).stats.ap == Approx(0.5).margin(kTol));
  CHECK(run_one({box(0, 0.5f), box(5, 0.5f)}, {box(0)}).stats.ap == Approx(1.0).margin(kTol));
  for (int64_t fp_image : {1, 3}) {
    MeanAveragePrecision m;
    m.update(dets({box(0, 0.5f)}), dets({box(0)}), 2);  // TP in image 2
    m.update(dets({box(5, 0.5f)}), dets({}), fp_image);  // FP in image 1 or 3
    CHECK(m.compute().stats.ap == Approx(fp_image < 2 ? 0.5 : 1.0).margin(kTol));
  }
}

TEST_CASE("mAP: a crowd region absorbs duplicate detections", "[eval][map][crowd]") {
  // Truth: box A and region C. Predictions: two boxes inside C (.95, .9), then A (.8).
  const Row a = box(0), c{400, 0, 600, 200, 1, 0};
  const std::vector<Row> pred{{410, 10, 450, 50, 0.95f, 0}, {460, 60, 560, 160, 0.9f, 0}, box(0, 0.8f)};
  // Crowd: IoU with C = intersection / prediction area = 1, so both duplicates are ignored -> AP 1.
  MeanAveragePrecision m;
  m.update(dets(pred), dets({a, c}), -1, {false, true});
  const auto crowd = m.compute();
  CHECK(crowd.stats.ap == Approx(1.0).margin(kTol));
  CHECK(crowd.num_truth == std::vector<int64_t>{1});
  // Same boxes with C not crowd: the duplicates have IoU < .5 with C and are false positives ranked
  // first: recall 0, 0, 1/2; precision 0, 0, 1/3 -> monotone 1/3 up to recall 1/2 (51 thresholds).
  const auto plain = run_one(pred, {a, c});
  CHECK(plain.stats.ap == Approx(51.0 / 3.0 / 101.0).margin(kTol));
  // A crowd region can be matched any number of times, but only when no regular box is available.
  MeanAveragePrecision m2;
  m2.update(dets({{400, 0, 600, 200, 0.9f, 0}, {400, 0, 600, 200, 0.8f, 0}, {400, 0, 600, 200, 0.7f, 0}}),
            dets({c, c}), -1, {false, true});
  // The first prediction takes the regular copy of C (TP); the others fall on the crowd copy (ignored).
  CHECK(m2.compute().stats.ap == Approx(1.0).margin(kTol));
}

TEST_CASE("mAP: empty images and images with only false positives", "[eval][map]") {
  MeanAveragePrecision m;
  m.update(dets({box(0, 0.9f)}), dets({box(0)}));
  m.update(dets({}), dets({}));  // nothing on either side: changes nothing
  CHECK(m.compute().stats.ap == Approx(1.0).margin(kTol));
  m.update(dets({box(0, 0.95f)}), dets({}));  // a FP ranked first on an image without truth
  const auto r = m.compute();
  CHECK(r.stats.ap == Approx(0.5).margin(kTol));  // recall 0, 1; precision 0, 1/2 -> 1/2
  CHECK(r.input.images == 3);
  CHECK(r.input.images_without_truth == 2);
  CHECK(r.input.images_without_predictions == 1);
}

TEST_CASE("mAP: size ranges use the truth area given, else the box area", "[eval][map][area]") {
  // A 100 x 100 box (large by its box) declared to cover 500 px (a small segment).
  MeanAveragePrecision m;
  m.update(dets({box(0, 0.9f)}), dets({box(0)}), -1, {}, {500.0});
  const auto r = m.compute();
  CHECK(r.stats.ap_small == Approx(1.0).margin(kTol));
  CHECK(r.stats.ap_large == -1.0);   // the truth is not large: the matched prediction is ignored there
  CHECK(r.stats.ap_medium == -1.0);
  // Boundaries are inclusive on both sides: area 32^2 is small and medium.
  MeanAveragePrecision b;
  b.update(dets({{0, 0, 32, 32, 0.9f, 0}}), dets({{0, 0, 32, 32, 1, 0}}));
  const auto rb = b.compute();
  CHECK(rb.stats.ap_small == Approx(1.0).margin(kTol));
  CHECK(rb.stats.ap_medium == Approx(1.0).margin(kTol));
  CHECK(rb.stats.ap_large == -1.0);
}

TEST_CASE("mAP: IoU thresholds partially met give the mean over thresholds", "[eval][map]") {
  // Prediction [0,0,100,100] vs truth [0,0,100,78]: IoU = 0.78 -> matched at .50, .55, ..., .75
  // (6 of the 10 thresholds), so AP = 6/10, AP50 = 1, AP75 = 1.
  const auto r = run_one({{0, 0, 100, 100, 0.9f, 0}}, {{0, 0, 100, 78, 1, 0}});
  CHECK(r.stats.ap == Approx(0.6).margin(kTol));
  CHECK(r.stats.ap50 == Approx(1.0).margin(kTol));
  CHECK(r.stats.ap75 == Approx(1.0).margin(kTol));
}

TEST_CASE("mAP: maxDets keeps the highest-scored detections per image and class", "[eval][map]") {
  MeanAveragePrecisionOptions o;
  o.max_detections = {1, 2, 3};
  // 4 truth boxes, 4 exact predictions; only the top 3 count for AP (recall 3/4), 1 for AR1.
  const auto r = run_one({box(0, 0.9f), box(1, 0.8f), box(2, 0.7f), box(3, 0.6f)},
                         {box(0), box(1), box(2), box(3)}, o);
  CHECK(r.stats.ar100 == Approx(0.75));  // "AR100" is AR at the last maxDets
  CHECK(r.stats.ar10 == Approx(0.5));
  CHECK(r.stats.ar1 == Approx(0.25));
  CHECK(r.stats.ap == Approx(76.0 / 101.0).margin(kTol));  // r = 0 ... .75 -> 1
  o.max_detections = {3, 2, 1};
  CHECK_THROWS_WITH(MeanAveragePrecision(o), Catch::Contains("three increasing positive values"));
}

TEST_CASE("mAP: bad input is dropped or repaired, counted and warned about", "[eval][map][bad-input]") {
  test::LogCapture log;
  MeanAveragePrecisionOptions o;
  o.num_classes = 2;
  MeanAveragePrecision m(o);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  m.update(dets({box(0, 0.9f), box(1, nan), box(2, 0.8f, 5), box(3, 0.7f, -1)}),
           dets({box(0), {300, 0, 250, 100, 1, 0}, box(4, 1, 7)}));
  const auto r = m.compute();
  CHECK(r.input.predictions_nan_score == 1);
  CHECK(r.input.predictions_bad_class == 2);
  CHECK(r.input.truths_bad_class == 1);
  CHECK(r.input.truths_invalid_box == 1);
  CHECK(r.input.predictions == 1);
  CHECK(r.input.truths == 2);
  // The invalid truth box (x2 < x1) stays as a box nothing can match: recall 1/2.
  CHECK(r.stats.ar100 == Approx(0.5));
  REQUIRE(log.warnings.size() == 1);
  CHECK_THAT(log.all(), Catch::Contains("1 predictions with NaN confidence dropped") &&
                            Catch::Contains("2 predictions with a class id out of range dropped") &&
                            Catch::Contains("1 truth boxes invalid"));
  // Misuse throws.
  CHECK_THROWS_WITH(m.update(dets({}), dets({}), 0), Catch::Contains("image_id 0 was already added"));
  CHECK_THROWS_WITH(m.update(dets({}), dets({box(0)}), 9, {true, false}),
                    Catch::Contains("truth_iscrowd must be empty or have one flag per truth row: expected 1, got 2"));
  CHECK(m.num_images() == 1);  // failed updates change nothing
  m.reset();
  CHECK(m.num_images() == 0);
  CHECK(m.compute().input.images == 0);
}

TEST_CASE("mAP: on an exact IoU tie the later truth box wins (COCOeval's rule)", "[eval][map][ties]") {
  // Truth A = top half, B = bottom half of P = [0,0,100,100]: IoU(P, A) = IoU(P, B) = 5000 / 10000 = .5.
  // P (.9) then Q = B (.8). At t = .50 P takes B (the later box), so Q finds B taken and A at IoU 0: FP.
  //   recall .5, .5; precision 1, 1/2 -> r <= .5 (51 thresholds) at 1 -> AP50 = 51/101.
  // At t >= .55 P matches nothing and Q takes B: recall 0, .5; precision 0, 1/2 -> 51 * .5 / 101.
  // AP = (51/101 + 9 * 25.5/101) / 10 = 280.5 / 1010.
  // (If the earlier box won, P would take A and Q B: AP50 = 1.)
  const auto r = run_one({{0, 0, 100, 100, 0.9f, 0}, {0, 50, 100, 100, 0.8f, 0}},
                         {{0, 0, 100, 50, 1, 0}, {0, 50, 100, 100, 1, 0}});
  CHECK(r.stats.ap50 == Approx(51.0 / 101.0).margin(kTol));
  CHECK(r.stats.ap == Approx(280.5 / 1010.0).margin(kTol));
}

TEST_CASE("mAP: truth masks give the area for the size ranges", "[eval][map][area]") {
  // A 100 x 100 truth box whose mask covers 20 x 20 = 400 px: small, although its box is large.
  MaskArray mask{1, 120, 120, std::vector<uint8_t>(120 * 120, 0)};
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) mask.data[static_cast<size_t>(y * 120 + x)] = 1;
  BoxArray b(1, 4);
  b << 0, 0, 100, 100;
  const Detections truth(b, ScoreArray::Ones(1), ClassIdArray::Zero(1), mask);
  MeanAveragePrecision m;
  m.update(dets({{0, 0, 100, 100, 0.9f, 0}}), truth);
  const auto r = m.compute();
  CHECK(r.stats.ap_small == Approx(1.0).margin(kTol));
  CHECK(r.stats.ap_large == -1.0);
  // An explicit area wins over the mask.
  MeanAveragePrecision m2;
  m2.update(dets({{0, 0, 100, 100, 0.9f, 0}}), truth, -1, {}, {20000.0});
  CHECK(m2.compute().stats.ap_large == Approx(1.0).margin(kTol));
}
