// label/label.h: BaseModel.label (added to the BaseModel class, so Python subclasses have it), SliceOptions,
// merge_shards.
#include <pybind11/functional.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "autodistill/core/progress.h"
#include "progress_py.h"
#include "autodistill/label/label.h"
#include "autodistill/label/read_dataset.h"
#include "bindings.h"
#include "gil.h"

namespace autodistill::python {

namespace {
namespace fs = std::filesystem;

SliceOptions slice_from_py(py::handle h) {
  if (py::isinstance<SliceOptions>(h)) return h.cast<SliceOptions>();
  if (!py::isinstance<py::dict>(h)) throw py::type_error("sahi must be None, a SliceOptions or a dict");
  SliceOptions s;
  for (auto [k, v] : h.cast<py::dict>()) {
    const std::string key = py::str(k);
    if (key == "tile_width") s.tile_width = v.cast<int>();
    else if (key == "tile_height") s.tile_height = v.cast<int>();
    else if (key == "tile_size") s.tile_width = s.tile_height = v.cast<int>();
    else if (key == "overlap") s.overlap = v.cast<double>();
    else if (key == "include_full_image") s.include_full_image = v.cast<bool>();
    else if (key == "merge") s.merge = parse_nms_mode(v.is_none() ? "none" : std::string(py::str(v)));
    else if (key == "merge_iou") s.merge_iou = v.cast<float>();
    else
      throw py::value_error("sahi: unknown key '" + key +
                            "' (tile_width, tile_height, tile_size, overlap, include_full_image, merge, merge_iou)");
  }
  s.validate();
  return s;
}

py::dict summary_dict(const LabelSummary& s) {
  py::dict d, per_class;
  d["output"] = s.output.string();
  d["total"] = s.total;
  d["labelled"] = s.labelled;
  d["skipped"] = s.skipped;
  d["errors"] = s.errors;
  d["new_errors"] = s.new_errors;
  for (size_t c = 0; c < s.classes.size(); ++c) per_class[py::str(s.classes[c])] = s.boxes_per_class[c];
  d["boxes_per_class"] = per_class;
  d["elapsed_s"] = s.elapsed_s;
  d["images_per_s"] = s.images_per_s;
  return d;
}

py::object label_py(BaseModel& self, const fs::path& input, std::optional<fs::path> output,
                          std::optional<std::vector<std::string>> extensions, bool recursive, float confidence,
                          std::optional<std::string> nms, float nms_iou, double split, uint64_t seed, int batch_size,
                          int workers, std::optional<std::pair<int, int>> shard, py::object sahi, bool overwrite,
                          bool strict, bool hardlink, int64_t max_pixels, py::object progress) {
  LabelOptions o;
  if (extensions) o.extensions = *extensions;
  o.recursive = recursive;
  o.confidence = confidence;
  o.nms = parse_nms_mode(nms.value_or("none"));
  o.nms_iou = nms_iou;
  o.split = split;
  o.seed = seed;
  o.batch_size = batch_size;
  o.workers = workers;
  if (shard) o.shard = {shard->first, shard->second};
  if (!sahi.is_none()) o.sahi = slice_from_py(sahi);
  o.overwrite = overwrite;
  o.strict = strict;
  o.images = hardlink ? ImageTransfer::Hardlink : ImageTransfer::Copy;
  o.max_pixels = max_pixels;
  o.validate();

  std::unique_ptr<ProgressReporter> reporter = make_progress_reporter(progress);
  o.progress = reporter.get();
  fs::path out = output ? *output : fs::path(input.string() + "_labeled");
  if (!output && input.filename().empty()) out = fs::path(input.parent_path().string() + "_labeled");
  LabelSummary s;
  DetectionDataset ds;
  {
    // The pipeline's threads call back into Python (predict through the trampoline, progress), each
    // taking the GIL; this thread must not hold it while it waits for them.
    py::gil_scoped_release release;
    s = label(self, input, out, o);
    ds = s.dataset();
  }
  py::object result = py::cast(std::move(ds));
  result.attr("summary") = summary_dict(s);
  return result;
}
}  // namespace

void bind_label(py::module_& m) {
  py::class_<SliceOptions>(m, "SliceOptions", "SAHI-style slicing: overlapping tiles, batched, merged with NMS.")
      .def(py::init([](int tile_width, int tile_height, double overlap, bool include_full_image,
                       std::optional<std::string> merge, float merge_iou) {
             SliceOptions s;
             s.tile_width = tile_width;
             s.tile_height = tile_height;
             s.overlap = overlap;
             s.include_full_image = include_full_image;
             s.merge = parse_nms_mode(merge.value_or("none"));
             s.merge_iou = merge_iou;
             s.validate();
             return s;
           }),
           py::arg("tile_width") = 640, py::arg("tile_height") = 640, py::arg("overlap") = 0.2,
           py::arg("include_full_image") = true, py::arg("merge") = "class_specific", py::arg("merge_iou") = 0.5f)
      .def_readwrite("tile_width", &SliceOptions::tile_width)
      .def_readwrite("tile_height", &SliceOptions::tile_height)
      .def_readwrite("overlap", &SliceOptions::overlap)
      .def_readwrite("include_full_image", &SliceOptions::include_full_image)
      .def_property("merge", [](const SliceOptions& s) { return to_string(s.merge); },
                    [](SliceOptions& s, const std::string& v) { s.merge = parse_nms_mode(v); })
      .def_readwrite("merge_iou", &SliceOptions::merge_iou)
      .def("tiles", [](const SliceOptions& s, int width, int height) {
             py::list out;
             for (const auto& t : s.tiles(width, height)) out.append(py::make_tuple(t[0], t[1], t[2], t[3]));
             return out;
           }, py::arg("width"), py::arg("height"), "Tile rectangles (x, y, w, h), row-major.")
      .def("__repr__", [](const SliceOptions& s) {
        return "SliceOptions(tile_width=" + std::to_string(s.tile_width) + ", tile_height=" +
               std::to_string(s.tile_height) + ", overlap=" + std::to_string(s.overlap) + ")";
      });

  // Added to the existing BaseModel class so that Python subclasses inherit it.
  py::object cls = m.attr("BaseModel");
  const LabelOptions defaults;
  cls.attr("label") = py::cpp_function(
      &label_py, py::name("label"), py::is_method(cls), py::sibling(py::getattr(cls, "label", py::none())),
      py::arg("input_folder"), py::arg("output_folder") = py::none(), py::arg("extensions") = py::none(),
      py::arg("recursive") = true, py::arg("confidence") = 0.f, py::arg("nms") = py::none(),
      py::arg("nms_iou") = 0.5f, py::arg("split") = 0.8, py::arg("seed") = 0, py::arg("batch_size") = 8,
      py::arg("workers") = 0, py::arg("shard") = py::none(), py::arg("sahi") = py::none(),
      py::arg("overwrite") = false, py::arg("strict") = false, py::arg("hardlink") = false,
      py::arg("max_pixels") = defaults.max_pixels, py::arg("progress") = true,
      R"doc(Labels every image under input_folder into a YOLO dataset (+ annotations.coco.json) and returns it.

output_folder defaults to "<input_folder>_labeled". A re-run resumes (done images are skipped); a different
ontology/model/options on an existing output raises ValueError unless overwrite=True. Bad images are
listed in output/.autodistill/errors.jsonl (strict=True: the first raises OSError). shard=(i, n) labels
1/n of the images (combine with merge_shards); sahi=SliceOptions(...) or a dict slices images into tiles.
progress: True (a bar), False, or a callable receiving a dict (done, total, rate, eta_s, ...).
The result has a `summary` dict (labelled, skipped, errors, boxes_per_class, images_per_s, ...).)doc");

  m.def("merge_shards",
        [](const std::vector<fs::path>& shards, const fs::path& out) { return merge_shards(shards, out); },
        py::arg("shard_outputs"), py::arg("output_folder"), py::call_guard<py::gil_scoped_release>(),
        "Combines label(shard=(i, n)) outputs into one dataset identical to a single run.");
  m.def("load_label_output", &load_label_output, py::arg("output_folder"), py::call_guard<py::gil_scoped_release>(),
        "The DetectionDataset of a label() output folder.");
  m.def("read_dataset", &read_dataset, py::arg("path"), py::arg("format") = "",
        py::call_guard<py::gil_scoped_release>(),
        "Reads a dataset in any supported layout (yolo data.yaml or folder, coco json or folder, voc folder, "
        "a label() output folder); format '' detects it.");
  m.def("detect_dataset_format", &detect_dataset_format, py::arg("path"),
        "'yolo', 'coco' or 'voc' for what is at `path`.");
}

}  // namespace autodistill::python
