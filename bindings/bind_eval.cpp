// eval/: MeanAveragePrecision, PrecisionRecall, ConfusionMatrix, coco_evaluate, image_agreement.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include "autodistill/eval/coco_evaluate.h"
#include "autodistill/eval/confusion_matrix.h"
#include "autodistill/eval/mean_average_precision.h"
#include "autodistill/eval/precision_recall.h"
#include "bindings.h"
#include "py_arrays.h"

namespace autodistill::python {

namespace {

template <typename T>
py::array vec_to_py(const std::vector<T>& v, std::vector<py::ssize_t> shape = {}) {
  if (shape.empty()) shape = {static_cast<py::ssize_t>(v.size())};
  return copy_to_numpy(v.data(), shape);
}

std::vector<bool> flags_from_py(py::handle obj, const char* name) {
  if (obj.is_none()) return {};
  auto v = vector_from_py<int64_t>(py::module_::import("numpy").attr("asarray")(obj).attr("astype")("int64"), name);
  std::vector<bool> out(static_cast<size_t>(v.size()));
  for (Eigen::Index i = 0; i < v.size(); ++i) out[static_cast<size_t>(i)] = v(i) != 0;
  return out;
}

std::vector<double> doubles_from_py(py::handle obj, const char* name) {
  if (obj.is_none()) return {};
  auto v = vector_from_py<double>(obj, name);
  return std::vector<double>(v.data(), v.data() + v.size());
}

// json text, a path (str or os.PathLike), or a Python dict/list (serialised with the json module).
std::string json_source(py::handle obj) {
  if (py::isinstance<py::str>(obj)) return obj.cast<std::string>();
  py::module_ os = py::module_::import("os");
  if (py::isinstance(obj, os.attr("PathLike"))) return os.attr("fspath")(obj).cast<std::string>();
  if (py::isinstance<py::dict>(obj) || py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj))
    return py::module_::import("json").attr("dumps")(obj).cast<std::string>();
  throw py::type_error("expected json text, a path, or a dict/list, got " +
                       std::string(py::str(py::type::of(obj).attr("__name__"))));
}

py::dict stats_dict(const CocoStats& s) {
  py::dict d;
  const auto v = s.to_array();
  for (size_t i = 0; i < v.size(); ++i) d[CocoStats::names()[i]] = v[i];
  return d;
}

py::dict report_dict(const EvalInputReport& r) {
  py::dict d;
  d["images"] = r.images;
  d["images_without_truth"] = r.images_without_truth;
  d["images_without_predictions"] = r.images_without_predictions;
  d["predictions"] = r.predictions;
  d["truths"] = r.truths;
  d["predictions_bad_class"] = r.predictions_bad_class;
  d["truths_bad_class"] = r.truths_bad_class;
  d["predictions_nan_score"] = r.predictions_nan_score;
  d["predictions_invalid_box"] = r.predictions_invalid_box;
  d["truths_invalid_box"] = r.truths_invalid_box;
  return d;
}

ApMethod method_from_py(const std::string& s) { return parse_ap_method(s); }

}  // namespace

void bind_eval(py::module_& m) {
  py::class_<CocoStats>(m, "CocoStats", R"doc(The twelve numbers of pycocotools' COCOeval.summarize(), in its order:
AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl. -1 means undefined (no truth).)doc")
      .def(py::init<>())
      .def_readwrite("ap", &CocoStats::ap)
      .def_readwrite("ap50", &CocoStats::ap50)
      .def_readwrite("ap75", &CocoStats::ap75)
      .def_readwrite("ap_small", &CocoStats::ap_small)
      .def_readwrite("ap_medium", &CocoStats::ap_medium)
      .def_readwrite("ap_large", &CocoStats::ap_large)
      .def_readwrite("ar1", &CocoStats::ar1)
      .def_readwrite("ar10", &CocoStats::ar10)
      .def_readwrite("ar100", &CocoStats::ar100)
      .def_readwrite("ar_small", &CocoStats::ar_small)
      .def_readwrite("ar_medium", &CocoStats::ar_medium)
      .def_readwrite("ar_large", &CocoStats::ar_large)
      .def("to_array", [](const CocoStats& s) {
        const auto a = s.to_array();
        return copy_to_numpy(a.data(), {12});
      }, "The twelve numbers as a (12,) float64 array, in COCOeval.stats order.")
      .def("as_dict", &stats_dict, "{'AP': ..., 'AP50': ..., ..., 'ARl': ...}")
      .def_property_readonly_static("names", [](py::object) {
        std::vector<std::string> n(CocoStats::names().begin(), CocoStats::names().end());
        return n;
      })
      .def("__repr__", [](const CocoStats& s) {
        std::string out = "CocoStats(";
        const auto v = s.to_array();
        for (size_t i = 0; i < v.size(); ++i)
          out += fmt::format("{}{}={:.4f}", i ? ", " : "", CocoStats::names()[i], v[i]);
        return out + ")";
      });

  py::class_<EvalInputReport>(m, "EvalInputReport",
                              "Counts of the input an accumulator saw, and of the rows it dropped or repaired.")
      .def(py::init<>())
      .def_readonly("images", &EvalInputReport::images)
      .def_readonly("images_without_truth", &EvalInputReport::images_without_truth)
      .def_readonly("images_without_predictions", &EvalInputReport::images_without_predictions)
      .def_readonly("predictions", &EvalInputReport::predictions)
      .def_readonly("truths", &EvalInputReport::truths)
      .def_readonly("predictions_bad_class", &EvalInputReport::predictions_bad_class)
      .def_readonly("truths_bad_class", &EvalInputReport::truths_bad_class)
      .def_readonly("predictions_nan_score", &EvalInputReport::predictions_nan_score)
      .def_readonly("predictions_invalid_box", &EvalInputReport::predictions_invalid_box)
      .def_readonly("truths_invalid_box", &EvalInputReport::truths_invalid_box)
      .def("has_problems", &EvalInputReport::has_problems)
      .def("problems", &EvalInputReport::problems)
      .def("as_dict", &report_dict)
      .def("__repr__", [](const EvalInputReport& r) { return "EvalInputReport(" + std::string(py::str(report_dict(r))) + ")"; });

  py::class_<MeanAveragePrecisionResult>(m, "MeanAveragePrecisionResult", R"doc(What MeanAveragePrecision.compute() returns.

stats: CocoStats; map / map50 / map75: shortcuts to stats.ap / ap50 / ap75.
class_ids (K,), num_truth (K,), num_predictions (K,), and per class (K,) float64 arrays ap_per_class,
ap50_per_class, ap75_per_class, ap_small_per_class, ap_medium_per_class, ap_large_per_class, ar_per_class
(-1 where the class has no truth). precision (T, R, K, A, M), recall and average_precision (T, K, A, M):
COCOeval's arrays (T IoU thresholds, R recall thresholds, A areas all/small/medium/large, M maxDets).)doc")
      .def(py::init<>())
      .def_readonly("stats", &MeanAveragePrecisionResult::stats)
      .def_property_readonly("map", [](const MeanAveragePrecisionResult& r) { return r.stats.ap; })
      .def_property_readonly("map50", [](const MeanAveragePrecisionResult& r) { return r.stats.ap50; })
      .def_property_readonly("map75", [](const MeanAveragePrecisionResult& r) { return r.stats.ap75; })
      .def_property_readonly("ap_method", [](const MeanAveragePrecisionResult& r) { return ap_method_name(r.ap_method); })
      .def_property_readonly("iou_thresholds", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.iou_thresholds); })
      .def_property_readonly("recall_thresholds", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.recall_thresholds); })
      .def_property_readonly("max_detections", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.max_detections); })
      .def_property_readonly("class_ids", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.class_ids); })
      .def_property_readonly("num_truth", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.num_truth); })
      .def_property_readonly("num_predictions", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.num_predictions); })
      .def_property_readonly("ap_per_class", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.ap_per_class); })
      .def_property_readonly("ap50_per_class", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.ap50_per_class); })
      .def_property_readonly("ap75_per_class", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.ap75_per_class); })
      .def_property_readonly("ap_small_per_class", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.ap_small_per_class); })
      .def_property_readonly("ap_medium_per_class", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.ap_medium_per_class); })
      .def_property_readonly("ap_large_per_class", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.ap_large_per_class); })
      .def_property_readonly("ar_per_class", [](const MeanAveragePrecisionResult& r) { return vec_to_py(r.ar_per_class); })
      .def_property_readonly("precision", [](const MeanAveragePrecisionResult& r) {
        return vec_to_py(r.precision, {r.num_iou(), static_cast<py::ssize_t>(r.recall_thresholds.size()), r.num_classes(), 4, 3});
      })
      .def_property_readonly("recall", [](const MeanAveragePrecisionResult& r) {
        return vec_to_py(r.recall, {r.num_iou(), r.num_classes(), 4, 3});
      })
      .def_property_readonly("average_precision", [](const MeanAveragePrecisionResult& r) {
        return vec_to_py(r.average_precision, {r.num_iou(), r.num_classes(), 4, 3});
      })
      .def_readonly("input", &MeanAveragePrecisionResult::input)
      .def("as_dict", [](py::object self) {
        const auto& r = self.cast<const MeanAveragePrecisionResult&>();
        py::dict d;
        d["stats"] = stats_dict(r.stats);
        d["ap_method"] = ap_method_name(r.ap_method);
        for (const char* name : {"class_ids", "num_truth", "num_predictions", "ap_per_class", "ap50_per_class",
                                 "ap75_per_class", "ap_small_per_class", "ap_medium_per_class",
                                 "ap_large_per_class", "ar_per_class"})
          d[name] = self.attr(name);
        d["input"] = report_dict(r.input);
        return d;
      }, "stats (dict), per-class arrays and input counts as a dict (the big curves are left out).")
      .def("__repr__", [](const MeanAveragePrecisionResult& r) {
        return fmt::format("MeanAveragePrecisionResult(map={:.4f}, map50={:.4f}, map75={:.4f}, classes={})", r.stats.ap,
                           r.stats.ap50, r.stats.ap75, r.class_ids.size());
      });

  py::class_<MeanAveragePrecision>(m, "MeanAveragePrecision", R"doc(COCO-style mAP as an accumulator: update() per image, compute(), reset().

MeanAveragePrecision(num_classes=0, ap_method="coco", max_detections=(1, 10, 100))
    num_classes: class ids must lie in [0, num_classes); 0 accepts any id >= 0.
    ap_method: "coco" (101-point), "voc" (all-point) or "voc11" (11-point).
Matching and numbers follow pycocotools' COCOeval (bbox) exactly; see docs/evaluation.md.)doc")
      .def(py::init([](int64_t num_classes, const std::string& ap_method, std::array<int64_t, 3> max_detections) {
             return MeanAveragePrecision(MeanAveragePrecisionOptions{num_classes, method_from_py(ap_method), max_detections});
           }),
           py::arg("num_classes") = 0, py::arg("ap_method") = "coco",
           py::arg("max_detections") = std::array<int64_t, 3>{1, 10, 100})
      .def("update",
           [](MeanAveragePrecision& self, const Detections& predictions, const Detections& truth, int64_t image_id,
              py::object truth_iscrowd, py::object truth_area) {
             self.update(predictions, truth, image_id, flags_from_py(truth_iscrowd, "truth_iscrowd"),
                         doubles_from_py(truth_area, "truth_area"));
           },
           py::arg("predictions"), py::arg("truth"), py::arg("image_id") = -1, py::arg("truth_iscrowd") = py::none(),
           py::arg("truth_area") = py::none(),
           "Adds one image. image_id=-1 takes the next unused id; truth_iscrowd/truth_area: one value per truth row.")
      .def("reset", &MeanAveragePrecision::reset)
      .def("compute", &MeanAveragePrecision::compute, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("num_images", &MeanAveragePrecision::num_images);

  py::class_<PrecisionRecallResult>(m, "PrecisionRecallResult", R"doc(What PrecisionRecall.compute() returns.

class_ids, tp, fp, fn (K,) int64; precision, recall, f1 (K,) float64 (NaN where the denominator is 0);
total_tp/total_fp/total_fn and micro_precision/micro_recall/micro_f1 over all classes; input.)doc")
      .def(py::init<>())
      .def_property_readonly("class_ids", [](const PrecisionRecallResult& r) { return vec_to_py(r.class_ids); })
      .def_property_readonly("tp", [](const PrecisionRecallResult& r) { return vec_to_py(r.tp); })
      .def_property_readonly("fp", [](const PrecisionRecallResult& r) { return vec_to_py(r.fp); })
      .def_property_readonly("fn", [](const PrecisionRecallResult& r) { return vec_to_py(r.fn); })
      .def_property_readonly("precision", [](const PrecisionRecallResult& r) { return vec_to_py(r.precision); })
      .def_property_readonly("recall", [](const PrecisionRecallResult& r) { return vec_to_py(r.recall); })
      .def_property_readonly("f1", [](const PrecisionRecallResult& r) { return vec_to_py(r.f1); })
      .def_readonly("total_tp", &PrecisionRecallResult::total_tp)
      .def_readonly("total_fp", &PrecisionRecallResult::total_fp)
      .def_readonly("total_fn", &PrecisionRecallResult::total_fn)
      .def_readonly("micro_precision", &PrecisionRecallResult::micro_precision)
      .def_readonly("micro_recall", &PrecisionRecallResult::micro_recall)
      .def_readonly("micro_f1", &PrecisionRecallResult::micro_f1)
      .def_readonly("input", &PrecisionRecallResult::input)
      .def("as_dict", [](py::object self) {
        const auto& r = self.cast<const PrecisionRecallResult&>();
        py::dict d;
        for (const char* name : {"class_ids", "tp", "fp", "fn", "precision", "recall", "f1"}) d[name] = self.attr(name);
        d["total_tp"] = r.total_tp;
        d["total_fp"] = r.total_fp;
        d["total_fn"] = r.total_fn;
        d["micro_precision"] = r.micro_precision;
        d["micro_recall"] = r.micro_recall;
        d["micro_f1"] = r.micro_f1;
        d["input"] = report_dict(r.input);
        return d;
      }, "Every field as a dict of numpy arrays and numbers.")
      .def("__repr__", [](const PrecisionRecallResult& r) {
        return fmt::format("PrecisionRecallResult(tp={}, fp={}, fn={}, precision={:.4f}, recall={:.4f}, f1={:.4f})",
                           r.total_tp, r.total_fp, r.total_fn, r.micro_precision, r.micro_recall, r.micro_f1);
      });

  py::class_<PrecisionRecall>(m, "PrecisionRecall", R"doc(Per-class precision, recall, F1 and TP/FP/FN at one confidence and IoU threshold.

PrecisionRecall(num_classes=0, confidence_threshold=0.25, iou_threshold=0.5)
A prediction counts when confidence >= confidence_threshold; greedy matching by score, one match per truth box.)doc")
      .def(py::init([](int64_t num_classes, double confidence_threshold, double iou_threshold) {
             return PrecisionRecall(PrecisionRecallOptions{num_classes, confidence_threshold, iou_threshold});
           }),
           py::arg("num_classes") = 0, py::arg("confidence_threshold") = 0.25, py::arg("iou_threshold") = 0.5)
      .def("update",
           [](PrecisionRecall& self, const Detections& predictions, const Detections& truth, py::object truth_iscrowd) {
             self.update(predictions, truth, flags_from_py(truth_iscrowd, "truth_iscrowd"));
           },
           py::arg("predictions"), py::arg("truth"), py::arg("truth_iscrowd") = py::none())
      .def("reset", &PrecisionRecall::reset)
      .def("compute", &PrecisionRecall::compute);

  py::class_<ConfusionMatrix>(m, "ConfusionMatrix", R"doc(Detection confusion matrix with a background row and column.

ConfusionMatrix(num_classes, confidence_threshold=0.25, iou_threshold=0.5)
compute() -> (num_classes + 1, num_classes + 1) int64 array: ROWS are truth classes, COLUMNS predicted
classes; the last column counts missed truth boxes, the last row predictions that matched nothing.)doc")
      .def(py::init([](int64_t num_classes, double confidence_threshold, double iou_threshold) {
             return ConfusionMatrix(ConfusionMatrixOptions{num_classes, confidence_threshold, iou_threshold});
           }),
           py::arg("num_classes"), py::arg("confidence_threshold") = 0.25, py::arg("iou_threshold") = 0.5)
      .def("update",
           [](ConfusionMatrix& self, const Detections& predictions, const Detections& truth, py::object truth_iscrowd) {
             self.update(predictions, truth, flags_from_py(truth_iscrowd, "truth_iscrowd"));
           },
           py::arg("predictions"), py::arg("truth"), py::arg("truth_iscrowd") = py::none())
      .def("reset", &ConfusionMatrix::reset)
      .def("compute", [](const ConfusionMatrix& self) {
        const CountMatrix& c = self.compute();
        return copy_to_numpy(c.data(), {c.rows(), c.cols()});
      })
      .def_property_readonly("input", &ConfusionMatrix::input);

  m.def("coco_evaluate",
        [](py::object ground_truth, py::object results) {
          const std::string gt = json_source(ground_truth), res = json_source(results);
          py::gil_scoped_release release;
          return coco_evaluate(gt, res);
        },
        py::arg("ground_truth"), py::arg("results"),
        R"doc(Evaluates a COCO results list against a COCO ground-truth json as pycocotools' loadRes + COCOeval("bbox").

ground_truth, results: json text, a path, or the parsed dict / list. Returns CocoStats (the twelve numbers).)doc");
  m.def("coco_evaluate_detailed",
        [](py::object ground_truth, py::object results, const std::string& ap_method,
           std::array<int64_t, 3> max_detections) {
          const std::string gt = json_source(ground_truth), res = json_source(results);
          const ApMethod method = method_from_py(ap_method);
          py::gil_scoped_release release;
          return coco_evaluate_detailed(gt, res, method, max_detections);
        },
        py::arg("ground_truth"), py::arg("results"), py::arg("ap_method") = "coco",
        py::arg("max_detections") = std::array<int64_t, 3>{1, 10, 100},
        "As coco_evaluate, returning a MeanAveragePrecisionResult whose class_ids are COCO category ids.");
  m.def("image_agreement", &image_agreement, py::arg("predictions"), py::arg("truth"), py::arg("iou") = 0.5,
        py::arg("min_confidence") = 0.0,
        "F1 of predictions against truth in one image (class-aware, IoU >= iou); 1.0 when both are empty.");
}

}  // namespace autodistill::python
