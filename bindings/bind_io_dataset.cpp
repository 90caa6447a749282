// io/dataset.h: DetectionDataset (YOLO / COCO / Pascal VOC) and DatasetImage.
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "autodistill/io/dataset.h"
#include "bindings.h"

namespace autodistill::python {

namespace {
ImageTransfer transfer_of(bool hardlink) { return hardlink ? ImageTransfer::Hardlink : ImageTransfer::Copy; }

py::dict stats_dict(const DetectionDataset& ds) {
  const DatasetStats s = ds.stats();
  py::dict d, per_class;
  d["images"] = s.images;
  d["boxes"] = s.boxes;
  d["empty_images"] = s.empty_images;
  for (size_t c = 0; c < ds.classes().size(); ++c) per_class[py::str(ds.classes()[c])] = s.boxes_per_class[c];
  d["boxes_per_class"] = per_class;
  d["images_per_split"] = s.images_per_split;
  return d;
}
}  // namespace

void bind_io_dataset(py::module_& m) {
  py::class_<DatasetImage>(m, "DatasetImage", "One image of a DetectionDataset: its file, name in the dataset, size, "
                                              "boxes (xyxy pixels) and split.")
      .def(py::init<>())
      .def_readwrite("path", &DatasetImage::path, "Where the image file is.")
      .def_readwrite("relative_path", &DatasetImage::relative_path, "Name inside the dataset, '/'-separated.")
      .def_readwrite("width", &DatasetImage::width)
      .def_readwrite("height", &DatasetImage::height)
      .def_readwrite("detections", &DatasetImage::detections)
      .def_readwrite("split", &DatasetImage::split, "'train', 'valid', 'test' or '' (unassigned).")
      .def("__repr__", [](const DatasetImage& im) {
        return "<DatasetImage " + im.relative_path + " " + std::to_string(im.width) + "x" + std::to_string(im.height) +
               " " + std::to_string(im.detections.size()) + " boxes" + (im.split.empty() ? "" : " " + im.split) + ">";
      });

  py::class_<DetectionDataset>(m, "DetectionDataset", py::dynamic_attr(), R"doc(Images with boxes; reads and writes YOLO, COCO json and Pascal VOC.

Iterating yields (path, Detections) pairs in relative-path order; ``images`` gives DatasetImage objects.
``BaseModel.label`` returns one, with a ``summary`` dict attached.)doc")
      .def(py::init<std::vector<std::string>, std::vector<DatasetImage>>(), py::arg("classes"), py::arg("images"))
      .def_property_readonly("classes", &DetectionDataset::classes)
      .def_property("images", &DetectionDataset::images,
                    [](DetectionDataset& self, std::vector<DatasetImage> images) {
                      self = DetectionDataset(self.classes(), std::move(images));
                    }, "list[DatasetImage] (a copy; assign to replace)")
      .def_property_readonly("coco_category_ids", &DetectionDataset::coco_category_ids)
      .def_property("has_scores", &DetectionDataset::has_scores, &DetectionDataset::set_has_scores,
                    "True when confidences are model scores (as_coco writes them as \"score\").")
      .def("__len__", &DetectionDataset::size)
      .def("__getitem__", [](const DetectionDataset& self, py::ssize_t i) {
        const auto n = static_cast<py::ssize_t>(self.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) throw py::index_error("dataset index out of range");
        const DatasetImage& im = self.images()[static_cast<size_t>(i)];
        return py::make_tuple(im.path.string(), im.detections);
      })
      .def("__iter__", [](const DetectionDataset& self) {
        py::list out;
        for (const DatasetImage& im : self.images()) out.append(py::make_tuple(im.path.string(), im.detections));
        return py::iter(out);
      })
      .def_static("from_yolo", &DetectionDataset::from_yolo, py::arg("path"),
                  py::call_guard<py::gil_scoped_release>(), "Reads data.yaml (or a folder holding one).")
      .def_static("from_coco", &DetectionDataset::from_coco, py::arg("images_dir"), py::arg("json_path"),
                  py::call_guard<py::gil_scoped_release>())
      .def_static("from_coco_results", &DetectionDataset::from_coco_results, py::arg("images_dir"),
                  py::arg("ground_truth_json"), py::arg("results_json"), py::call_guard<py::gil_scoped_release>(),
                  "Predictions as a COCO results list [{image_id, category_id, bbox, score}], read against the "
                  "ground-truth json that defines the images and categories.")
      .def_static("from_pascal_voc", &DetectionDataset::from_pascal_voc, py::arg("images_dir"),
                  py::arg("annotations_dir"), py::arg("classes") = std::vector<std::string>{},
                  py::call_guard<py::gil_scoped_release>())
      .def("as_yolo", [](const DetectionDataset& self, const std::filesystem::path& out, bool hardlink) {
             self.as_yolo(out, transfer_of(hardlink));
           }, py::arg("out_dir"), py::arg("hardlink") = false, py::call_guard<py::gil_scoped_release>())
      .def("as_coco", [](const DetectionDataset& self, const std::filesystem::path& json,
                         std::optional<std::filesystem::path> images, bool hardlink) {
             self.as_coco(json, images.value_or(std::filesystem::path()), transfer_of(hardlink));
           }, py::arg("json_path"), py::arg("images_dir") = py::none(), py::arg("hardlink") = false,
           py::call_guard<py::gil_scoped_release>())
      .def("as_pascal_voc", [](const DetectionDataset& self, const std::filesystem::path& ann,
                               std::optional<std::filesystem::path> images, bool hardlink) {
             self.as_pascal_voc(ann, images.value_or(std::filesystem::path()), transfer_of(hardlink));
           }, py::arg("annotations_dir"), py::arg("images_dir") = py::none(), py::arg("hardlink") = false,
           py::call_guard<py::gil_scoped_release>())
      .def("split", &DetectionDataset::split, py::arg("ratio"), py::arg("seed") = 0,
           "Assigns 'train'/'valid' by the seeded hash of each relative path (in place).")
      .def("stats", &stats_dict, "dict: images, boxes, empty_images, boxes_per_class, images_per_split.")
      .def("__repr__", [](const DetectionDataset& self) {
        return "<DetectionDataset " + std::to_string(self.size()) + " images, " + std::to_string(self.classes().size()) +
               " classes>";
      });

  m.def("split_for_path", &split_for_path, py::arg("relative_path"), py::arg("train_ratio"), py::arg("seed") = 0,
        "'train' or 'valid' for a relative path (the rule label() uses).");
}

}  // namespace autodistill::python
