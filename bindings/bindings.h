#pragma once
/// \file
/// The one list of binding functions. Each bind_<module>.cpp mirrors cpp/include/autodistill/<module>/
/// and defines the functions declared here; module.cpp calls them in dependency order (a type must be
/// registered before a function whose default argument or return value uses it).

#include <pybind11/pybind11.h>

namespace autodistill::python {

namespace py = pybind11;

// core/
void bind_core_errors(py::module_& m);      // exception translation (first: everything may throw)
void bind_core(py::module_& m);             // device, threads, logging, interrupts, build_info
void bind_core_boxes(py::module_& m);       // box_* functions, nms, batched_nms
void bind_core_detections(py::module_& m);  // Detections
void bind_core_image(py::module_& m);       // load_image, save_image, letterbox
// io/
void bind_io(py::module_& m);               // load_safetensors, save_safetensors
void bind_io_dataset(py::module_& m);       // DetectionDataset, DatasetImage
// text/
void bind_text(py::module_& m);             // CLIPTokenizer, BertTokenizer
// ontology/
void bind_ontology(py::module_& m);
// models/
void bind_models(py::module_& m);           // BaseModel (trampoline), registry
void bind_models_classical(py::module_& m); // HOGPeopleDetector, CascadeDetector
// eval/
void bind_eval(py::module_& m);             // MeanAveragePrecision, PrecisionRecall, ConfusionMatrix, coco_evaluate
void bind_eval_report(py::module_& m);      // evaluate, EvaluationReport, report_html, compare, compare_ontologies
// viz/
void bind_viz(py::module_& m);              // plot, grid, side_by_side
// label/
void bind_label(py::module_& m);            // BaseModel.label, SliceOptions, merge_shards
void bind_models_clip(py::module_& m);      // CLIP
void bind_models_owl(py::module_& m);       // OWLViT, OWLv2
void bind_models_grounding_dino(py::module_& m);  // GroundingDINO
void bind_models_yolo(py::module_& m);       // YOLO (target model)
// cpp/tools/
void bind_cli(py::module_& m);

}  // namespace autodistill::python
