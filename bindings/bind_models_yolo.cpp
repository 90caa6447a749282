// models/yolo/: the YOLO target model.
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "autodistill/core/image.h"
#include "autodistill/models/yolo/yolo.h"
#include "bindings.h"
#include "numpy_mat.h"

namespace autodistill::python {
namespace {

// A numpy image or a path; `keep` holds numpy owners alive for the call.
cv::Mat image_or_path(py::handle h, std::vector<py::object>& keep) {
  if (py::isinstance<py::str>(h) || py::hasattr(h, "__fspath__")) return load_image(h.cast<std::filesystem::path>());
  ImageView v = image_from_numpy(h);
  keep.push_back(v.owner);
  return v.mat;
}

py::dict epoch_dict(const YoloEpoch& e) {
  py::dict d;
  d["epoch"] = e.epoch;
  d["box"] = e.box;
  d["cls"] = e.cls;
  d["dfl"] = e.dfl;
  d["map50"] = e.map50;
  d["map"] = e.map;
  return d;
}

}  // namespace

void bind_models_yolo(py::module_& m) {
  py::class_<YOLO>(m, "YOLO", R"doc(The target model: a YOLOv8-family detector trained natively (docs/target_model.md).

``YOLO("n", classes)`` builds an untrained network ("n" or "s"); ``YOLO.load(path)`` reads a checkpoint
written by ``save``. ``train`` releases the GIL; Ctrl-C stops it between steps.)doc")
      .def(py::init<const std::string&, std::vector<std::string>, int64_t>(), py::arg("scale"), py::arg("classes"),
           py::arg("imgsz") = 640)
      .def_static("load", &YOLO::load, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def(
          "train",
          [](YOLO& self, const std::filesystem::path& data_yaml, int64_t epochs, int64_t imgsz, int64_t batch, double lr,
             double weight_decay, int64_t warmup_steps, uint64_t seed, bool hflip) {
            YoloTrainOptions o;
            o.epochs = epochs;
            o.imgsz = imgsz;
            o.batch = batch;
            o.lr = lr;
            o.weight_decay = weight_decay;
            o.warmup_steps = warmup_steps;
            o.seed = seed;
            o.hflip = hflip;
            std::vector<YoloEpoch> history;
            {
              py::gil_scoped_release release;
              history = self.train(data_yaml, o);
            }
            py::list out;
            for (const auto& e : history) out.append(epoch_dict(e));
            return out;
          },
          py::arg("data_yaml"), py::arg("epochs") = 10, py::arg("imgsz") = 640, py::arg("batch") = 16, py::arg("lr") = 2e-3,
          py::arg("weight_decay") = 5e-4, py::arg("warmup_steps") = 50, py::arg("seed") = 0, py::arg("hflip") = true,
          "Trains on the data.yaml's train split, validating on its valid split; returns one dict per epoch "
          "(epoch, box, cls, dfl, map50, map).")
      .def(
          "predict",
          [](YOLO& self, py::handle image, float confidence, float iou) {
            std::vector<py::object> keep;
            const cv::Mat mat = image_or_path(image, keep);
            py::gil_scoped_release release;
            return self.predict(mat, confidence, iou);
          },
          py::arg("image"), py::arg("confidence") = 0.25f, py::arg("iou") = 0.7f,
          "Detections in the image's own pixels: an (H, W, 3) uint8 BGR array or a path.")
      .def(
          "predict_batch",
          [](YOLO& self, const py::iterable& images, float confidence, float iou) {
            std::vector<py::object> keep;
            std::vector<cv::Mat> mats;
            for (py::handle h : images) mats.push_back(image_or_path(h, keep));
            py::gil_scoped_release release;
            return self.predict_batch(mats, confidence, iou);
          },
          py::arg("images"), py::arg("confidence") = 0.25f, py::arg("iou") = 0.7f)
      .def(
          "evaluate",
          [](YOLO& self, const DetectionDataset& truth, const std::string& split, double confidence, double iou) {
            EvaluateOptions o;
            o.confidence = confidence;
            o.iou = iou;
            py::gil_scoped_release release;
            return self.evaluate(truth, split, o);
          },
          py::arg("truth"), py::arg("split") = "", py::arg("confidence") = 0.5, py::arg("iou") = 0.5,
          "EvaluationReport of the model's predictions on the truth's images (of `split`; \"\" = all).")
      .def("save", &YOLO::save, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def("export_torchscript", &YOLO::export_torchscript, py::arg("path"), py::call_guard<py::gil_scoped_release>(),
           "Writes a TorchScript archive for torch.jit.load: forward(images float (B, 3, H, W) RGB in [0, 1], "
           "H and W multiples of 32) -> (B, A, 4 + nc) boxes xyxy in input pixels then sigmoid class scores "
           "(docs/target_model.md, Export).")
      .def_property_readonly("classes", &YOLO::classes)
      .def_property_readonly("scale", &YOLO::scale)
      .def_property_readonly("imgsz", &YOLO::imgsz)
      .def("num_parameters", &YOLO::num_parameters)
      .def("__repr__", [](const YOLO& y) {
        return "YOLO(" + y.scale() + ", " + std::to_string(y.classes().size()) + " classes, imgsz " +
               std::to_string(y.imgsz()) + ")";
      });
}

}  // namespace autodistill::python
