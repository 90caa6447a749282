// eval/evaluate.h: evaluate(), EvaluationReport, report_html().
#include <fmt/format.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "autodistill/eval/compare.h"
#include "autodistill/eval/evaluate.h"
#include "autodistill/label/read_dataset.h"
#include "autodistill/core/progress.h"
#include "bindings.h"
#include "numpy_mat.h"
#include "py_arrays.h"

namespace autodistill::python {

namespace {

// The report's json as Python objects: one serialisation keeps the dict keys identical to to_json().
py::object report_obj(const EvaluationReport& r) { return py::module_::import("json").attr("loads")(r.to_json(-1)); }

// One field of report_obj(). Returned as an object, not an accessor: an accessor would outlive the
// temporary dict it points into.
py::object report_field(const EvaluationReport& r, const char* key) {
  const py::object all = report_obj(r);
  return all[key];
}

}  // namespace

void bind_eval_report(py::module_& m) {
  py::class_<EvaluationReport>(m, "EvaluationReport", R"doc(Result of :func:`evaluate`: AI labels against human labels.

Numbers follow docs/evaluation.md. ``review_queue`` lists the images most likely to need a human,
highest score first, as dicts (relative_path, agreement, review_score, reason, ...).)doc")
      .def(py::init<>(), "An empty report; real ones come from evaluate().")
      .def_property_readonly("classes", [](const EvaluationReport& r) { return r.classes; },
                             "Evaluation classes: truth classes, then invented prediction classes.")
      .def_property_readonly("num_truth_classes", [](const EvaluationReport& r) { return r.num_truth_classes; })
      .def_property_readonly("coco_stats", [](const EvaluationReport& r) { return report_field(r, "coco_stats"); },
                             "dict of the twelve COCO numbers (AP, AP50, ..., ARl); -1 = undefined.")
      .def_property_readonly("per_class", [](const EvaluationReport& r) { return report_field(r, "per_class"); },
                             "list of dicts: name, invented, num_truth, num_predictions, ap, ap50, tp, fp, fn, "
                             "precision, recall, f1 (None where undefined).")
      .def_property_readonly("confusion_matrix", [](const EvaluationReport& r) {
            return copy_to_numpy(r.confusion.data(), {r.confusion.rows(), r.confusion.cols()});
          }, "(K + 1, K + 1) int64: rows truth, columns prediction, last = background.")
      .def_property_readonly("images", [](const EvaluationReport& r) { return report_field(r, "images"); },
                             "list of dicts, one per evaluated image, by relative path.")
      .def_property_readonly("review_queue", [](const EvaluationReport& r) { return report_field(r, "review_queue"); },
                             "list of dicts, highest review score first.")
      .def_property_readonly("mean_agreement", [](const EvaluationReport& r) { return r.mean_agreement; })
      .def_property_readonly("agreement_share", [](const EvaluationReport& r) { return r.agreement_share; },
                             "Share of images whose agreement F1 >= the threshold.")
      .def_property_readonly("micro_precision", [](const EvaluationReport& r) { return r.micro_precision; })
      .def_property_readonly("micro_recall", [](const EvaluationReport& r) { return r.micro_recall; })
      .def_property_readonly("micro_f1", [](const EvaluationReport& r) { return r.micro_f1; })
      .def_property_readonly("missed_classes", [](const EvaluationReport& r) { return r.missed_classes; })
      .def_property_readonly("invented_classes", [](const EvaluationReport& r) { return r.invented_classes; })
      .def_property_readonly("prediction_images_without_truth",
                             [](const EvaluationReport& r) { return r.prediction_images_without_truth; })
      .def_property_readonly("truth_images_without_predictions",
                             [](const EvaluationReport& r) { return r.truth_images_without_predictions; })
      .def("to_json", &EvaluationReport::to_json, py::arg("indent") = 2)
      .def("to_dict", &report_obj, "The report as a dict (json.loads of to_json()).")
      .def("save_json", &EvaluationReport::save_json, py::arg("path"))
      .def("to_table", &EvaluationReport::to_table, py::arg("max_queue_rows") = 10)
      .def("__repr__", [](const EvaluationReport& r) {
        return fmt::format("EvaluationReport(images={}, mAP={:.3f}, mAP50={:.3f}, agreement_share={:.3f}, "
                           "review_queue={})",
                           r.images.size(), r.coco_stats.ap, r.coco_stats.ap50, r.agreement_share,
                           r.review_queue.size());
      });

  const auto make_options = [](std::map<std::string, std::string> class_map, double iou, double confidence,
                               double agreement_f1_threshold, int64_t review_queue_size) {
    EvaluateOptions o;
    o.class_map = std::move(class_map);
    o.iou = iou;
    o.confidence = confidence;
    o.agreement_f1_threshold = agreement_f1_threshold;
    o.review_queue_size = review_queue_size;
    return o;
  };
  const char* evaluate_doc = R"doc(Evaluates AI labels (``predictions``) against human labels (``ground_truth``).

Each is a DetectionDataset or a path read with :func:`read_dataset` (YOLO / COCO / VOC / a label()
output folder). Images are paired by relative path without extension (then by unique file stem);
images on one side only are counted and not evaluated. ``class_map`` maps prediction class names to
truth class names. Returns an :class:`EvaluationReport`.)doc";
  m.def("evaluate", [make_options](const DetectionDataset& predictions, const DetectionDataset& ground_truth,
                                   std::map<std::string, std::string> class_map, double iou, double confidence,
                                   double agreement_f1_threshold, int64_t review_queue_size) {
          const EvaluateOptions o = make_options(std::move(class_map), iou, confidence, agreement_f1_threshold,
                                                 review_queue_size);
          py::gil_scoped_release release;
          return evaluate(predictions, ground_truth, o);
        },
        py::arg("predictions"), py::arg("ground_truth"), py::arg("class_map") = std::map<std::string, std::string>{},
        py::arg("iou") = 0.5, py::arg("confidence") = 0.5, py::arg("agreement_f1_threshold") = 0.8,
        py::arg("review_queue_size") = 20, evaluate_doc);
  m.def("evaluate", [make_options](const std::filesystem::path& predictions, const std::filesystem::path& ground_truth,
                                   std::map<std::string, std::string> class_map, double iou, double confidence,
                                   double agreement_f1_threshold, int64_t review_queue_size) {
          const EvaluateOptions o = make_options(std::move(class_map), iou, confidence, agreement_f1_threshold,
                                                 review_queue_size);
          py::gil_scoped_release release;
          return evaluate(read_dataset(predictions), read_dataset(ground_truth), o);
        },
        py::arg("predictions"), py::arg("ground_truth"), py::arg("class_map") = std::map<std::string, std::string>{},
        py::arg("iou") = 0.5, py::arg("confidence") = 0.5, py::arg("agreement_f1_threshold") = 0.8,
        py::arg("review_queue_size") = 20, evaluate_doc);
  m.def("evaluate_coco", [make_options](const std::filesystem::path& ground_truth_json,
                                        const std::filesystem::path& results_json,
                                        std::map<std::string, std::string> class_map, double iou, double confidence,
                                        double agreement_f1_threshold, int64_t review_queue_size,
                                        const std::filesystem::path& images_dir) {
          const EvaluateOptions o = make_options(std::move(class_map), iou, confidence, agreement_f1_threshold,
                                                 review_queue_size);
          py::gil_scoped_release release;
          return evaluate_coco(ground_truth_json, results_json, o, images_dir);
        },
        py::arg("ground_truth_json"), py::arg("results_json"),
        py::arg("class_map") = std::map<std::string, std::string>{}, py::arg("iou") = 0.5, py::arg("confidence") = 0.5,
        py::arg("agreement_f1_threshold") = 0.8, py::arg("review_queue_size") = 20,
        py::arg("images_dir") = std::filesystem::path(),
        R"doc(COCO interchange: a ground-truth json and a results list [{image_id, category_id, bbox, score}].

Returns an :class:`EvaluationReport` whose ``coco_stats`` are the twelve pycocotools numbers
(AP, AP50, AP75, APs/m/l, AR1/10/100, ARs/m/l).)doc");

  m.def("report_html", [](const EvaluationReport& report, const DetectionDataset& predictions,
                          const DetectionDataset& ground_truth, const std::filesystem::path& path, int64_t max_images,
                          int thumbnail_size, std::string title) {
          HtmlReportOptions o;
          o.max_images = max_images;
          o.thumbnail_size = thumbnail_size;
          o.title = std::move(title);
          py::gil_scoped_release release;
          report_html(report, predictions, ground_truth, path, o);
        },
        py::arg("report"), py::arg("predictions"), py::arg("ground_truth"), py::arg("path"), py::arg("max_images") = 8,
        py::arg("thumbnail_size") = 360, py::arg("title") = "autodistill evaluation",
        "Writes a self-contained HTML report (summary, per-class table, review queue with human vs AI images).");

  py::class_<OntologyComparison>(m, "OntologyComparison",
                                 "Result of :func:`compare_ontologies`: one EvaluationReport per ontology.")
      .def(py::init<>(), "An empty comparison; real ones come from compare_ontologies().")
      .def_property_readonly("names", [](const OntologyComparison& c) { return c.names; })
      .def_property_readonly("reports", [](const OntologyComparison& c) { return c.reports; })
      .def_property_readonly("never_found", [](const OntologyComparison& c) { return c.never_found; },
                             "Truth classes that no ontology finds.")
      .def_property_readonly("best", [](const OntologyComparison& c) { return c.best; },
                             "The ontology with the highest mAP@.5.")
      .def("to_table", &OntologyComparison::to_table)
      .def("to_json", &OntologyComparison::to_json, py::arg("indent") = 2)
      .def("to_dict", [](const OntologyComparison& c) { return py::module_::import("json").attr("loads")(c.to_json(-1)); })
      .def("__repr__", [](const OntologyComparison& c) {
        return fmt::format("OntologyComparison(names=[{}], best='{}')", fmt::join(c.names, ", "), c.best);
      });

  m.def("compare_ontologies", [](py::function model_factory, const py::dict& ontologies,
                                 const DetectionDataset& ground_truth, std::map<std::string, std::string> class_map,
                                 double iou, double confidence, std::optional<py::function> progress) {
          std::vector<std::pair<std::string, CaptionOntology>> list;
          for (const auto& [name, ontology] : ontologies) {
            // An ontology may be given as a CaptionOntology or as a {prompt: class} dict.
            if (py::isinstance<CaptionOntology>(ontology)) {
              list.emplace_back(py::str(name), ontology.cast<CaptionOntology>());
            } else {
              CaptionOntology::PromptClassPairs pairs;
              for (const auto& [prompt, cls] : ontology.cast<py::dict>())
                pairs.emplace_back(py::str(prompt), py::str(cls));
              list.emplace_back(py::str(name), CaptionOntology(std::move(pairs)));
            }
          }
          // The factory is Python: call it with the GIL, and keep the Python object (and so a Python
          // subclass's own state) alive for as long as C++ holds the model.
          ModelFactory factory = [model_factory](const CaptionOntology& o) -> std::shared_ptr<BaseModel> {
            py::gil_scoped_acquire gil;
            py::object obj = model_factory(o);
            if (obj.is_none()) return nullptr;
            auto model = obj.cast<std::shared_ptr<BaseModel>>();
            auto* keep = new py::object(std::move(obj));
            return std::shared_ptr<BaseModel>(model.get(), [model, keep](BaseModel*) mutable {
              py::gil_scoped_acquire g;
              model.reset();
              delete keep;
            });
          };
          EvaluateOptions o;
          o.class_map = std::move(class_map);
          o.iou = iou;
          o.confidence = confidence;
          std::unique_ptr<ProgressReporter> reporter;
          if (progress) {
            py::function cb = *progress;
            reporter = std::make_unique<CallbackProgress>([cb](const ProgressState& s) {
              py::gil_scoped_acquire g;
              cb(s.done, s.total);
            });
          }
          py::gil_scoped_release release;
          return compare_ontologies(factory, list, ground_truth, o, reporter.get());
        },
        py::arg("model_factory"), py::arg("ontologies"), py::arg("ground_truth"),
        py::arg("class_map") = std::map<std::string, std::string>{}, py::arg("iou") = 0.5, py::arg("confidence") = 0.5,
        py::arg("progress") = py::none(),
        R"doc(Labels the images of ``ground_truth`` once per ontology and evaluates each labelling against it.

``model_factory(ontology) -> BaseModel``; ``ontologies`` maps a name to a CaptionOntology or a
{prompt: class} dict whose class names are truth class names (or are mapped by ``class_map``).
``progress(done, total)`` is called now and then. Returns an :class:`OntologyComparison`; its
``to_table()`` shows per-class AP50 / recall side by side.)doc");

  m.def("evaluate_model", [make_options](std::shared_ptr<BaseModel> model, const DetectionDataset& ground_truth,
                                         std::map<std::string, std::string> class_map, double iou, double confidence,
                                         double agreement_f1_threshold, int64_t review_queue_size,
                                         const std::string& split) {
          const EvaluateOptions o = make_options(std::move(class_map), iou, confidence, agreement_f1_threshold,
                                                 review_queue_size);
          py::gil_scoped_release release;
          return evaluate_model(*model, ground_truth, o, split);
        },
        py::arg("model"), py::arg("ground_truth"), py::arg("class_map") = std::map<std::string, std::string>{},
        py::arg("iou") = 0.5, py::arg("confidence") = 0.5, py::arg("agreement_f1_threshold") = 0.8,
        py::arg("review_queue_size") = 20, py::arg("split") = "",
        R"doc(Predicts the images of ``ground_truth`` (those of ``split``; "" = all) with ``model`` and
evaluates the predictions against it: a model against human labels, or against another model's labels.)doc");

  m.def("compare", [](std::vector<std::shared_ptr<BaseModel>> models, const std::vector<py::object>& arrays,
                      int cell_size, float min_confidence, std::vector<std::string> row_titles) {
          std::vector<cv::Mat> images;
          std::vector<py::object> owners;
          for (const py::object& a : arrays) {
            auto view = image_from_numpy(a);
            images.push_back(view.mat);
            owners.push_back(std::move(view.owner));
          }
          CompareOptions o;
          o.cell_size = cell_size;
          o.min_confidence = min_confidence;
          o.row_titles = std::move(row_titles);
          py::gil_scoped_release release;
          return compare(models, images, o);
        },
        py::arg("models"), py::arg("images"), py::arg("cell_size") = 320, py::arg("min_confidence") = 0.5f,
        py::arg("row_titles") = std::vector<std::string>{},
        "One row per model, one column per image (BGR arrays): each model's detections drawn. Returns a BGR image.");
}

}  // namespace autodistill::python
