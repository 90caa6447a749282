// models/yolo/: the YOLO target model.
#include <functional>
#include <map>

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "autodistill/core/image.h"
#include "autodistill/models/target_model.h"
#include "autodistill/models/yolo/yolo.h"
#include "bindings.h"
#include "numpy_mat.h"
#include "progress_py.h"

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
  d["lr"] = e.lr;
  d["seconds"] = e.seconds;
  return d;
}

using OptionSetter = std::function<void(YoloTrainOptions&, py::handle)>;

// Keyword name -> how it sets YoloTrainOptions (progress and on_epoch are handled by train_py).
const std::map<std::string, OptionSetter>& option_setters() {
  static const std::map<std::string, OptionSetter> table = [] {
    std::map<std::string, OptionSetter> t;
    auto add = [&t](const char* name, auto member) {
      t[name] = [member](YoloTrainOptions& o, py::handle v) {
        using T = std::decay_t<decltype(o.*member)>;
        o.*member = v.cast<T>();
      };
    };
    add("epochs", &YoloTrainOptions::epochs);
    add("imgsz", &YoloTrainOptions::imgsz);
    add("batch", &YoloTrainOptions::batch);
    add("device", &YoloTrainOptions::device);
    add("optimizer", &YoloTrainOptions::optimizer);
    add("lr", &YoloTrainOptions::lr);
    add("lrf", &YoloTrainOptions::lrf);
    add("cos_lr", &YoloTrainOptions::cos_lr);
    add("momentum", &YoloTrainOptions::momentum);
    add("weight_decay", &YoloTrainOptions::weight_decay);
    add("warmup_epochs", &YoloTrainOptions::warmup_epochs);
    add("ema", &YoloTrainOptions::ema);
    add("amp", &YoloTrainOptions::amp);
    add("hsv_h", &YoloTrainOptions::hsv_h);
    add("hsv_s", &YoloTrainOptions::hsv_s);
    add("hsv_v", &YoloTrainOptions::hsv_v);
    add("degrees", &YoloTrainOptions::degrees);
    add("translate", &YoloTrainOptions::translate);
    add("scale", &YoloTrainOptions::scale);
    add("shear", &YoloTrainOptions::shear);
    add("fliplr", &YoloTrainOptions::fliplr);
    add("mosaic", &YoloTrainOptions::mosaic);
    add("close_mosaic", &YoloTrainOptions::close_mosaic);
    add("augment", &YoloTrainOptions::augment);
    add("workers", &YoloTrainOptions::workers);
    add("cache", &YoloTrainOptions::cache);
    add("seed", &YoloTrainOptions::seed);
    add("project", &YoloTrainOptions::project);
    add("resume", &YoloTrainOptions::resume);
    return t;
  }();
  return table;
}

py::list train_py(YOLO& self, const std::filesystem::path& data_yaml, const py::kwargs& kwargs) {
  YoloTrainOptions o;
  o.imgsz = self.imgsz();  // the model's size unless imgsz= says otherwise
  py::object progress = py::bool_(true), on_epoch = py::none();
  for (const auto& [key, value] : kwargs) {
    const std::string name = key.cast<std::string>();
    if (name == "progress") {
      progress = py::reinterpret_borrow<py::object>(value);
      continue;
    }
    if (name == "on_epoch") {
      on_epoch = py::reinterpret_borrow<py::object>(value);
      continue;
    }
    if (name == "project" && value.is_none()) continue;
    const auto it = option_setters().find(name);
    if (it == option_setters().end()) {
      std::string valid = "progress, on_epoch";
      for (const auto& kv : option_setters()) valid += ", " + kv.first;
      throw py::type_error("YOLO.train() got an unexpected keyword '" + name + "'; valid keywords: " + valid);
    }
    it->second(o, value);
  }
  // Both callbacks run on the training thread, which does not hold the GIL.
  std::unique_ptr<ProgressReporter> reporter = make_progress_reporter(progress);
  o.progress = reporter.get();
  if (!on_epoch.is_none()) {
    auto fn = share_py_object(on_epoch);
    o.on_epoch = [fn](const YoloEpoch& e) {
      py::gil_scoped_acquire gil;
      (*fn)(epoch_dict(e));
    };
  }
  std::vector<YoloEpoch> history;
  {
    py::gil_scoped_release release;
    history = self.train(data_yaml, o);
  }
  py::list out;
  for (const auto& e : history) out.append(epoch_dict(e));
  return out;
}

}  // namespace

void bind_models_yolo(py::module_& m) {
  py::class_<TargetModel>(m, "TargetModel", R"doc(A trained (distilled) model, whatever its architecture (YOLO is the
one here): predict, evaluate against a labelled dataset, save, export to TorchScript.)doc")
      .def(
          "predict",
          [](TargetModel& self, py::handle image, float confidence, float iou) {
            std::vector<py::object> keep;
            const cv::Mat mat = image_or_path(image, keep);
            py::gil_scoped_release release;
            return self.predict(mat, confidence, iou);
          },
          py::arg("image"), py::arg("confidence") = 0.25f, py::arg("iou") = 0.7f,
          "Detections in the image's own pixels: an (H, W, 3) uint8 BGR array or a path.")
      .def(
          "predict_batch",
          [](TargetModel& self, const py::iterable& images, float confidence, float iou) {
            std::vector<py::object> keep;
            std::vector<cv::Mat> mats;
            for (py::handle h : images) mats.push_back(image_or_path(h, keep));
            py::gil_scoped_release release;
            return self.predict_batch(mats, confidence, iou);
          },
          py::arg("images"), py::arg("confidence") = 0.25f, py::arg("iou") = 0.7f)
      .def(
          "evaluate",
          [](TargetModel& self, py::handle truth, const std::string& split, double confidence, double iou) {
            EvaluateOptions o;
            o.confidence = confidence;
            o.iou = iou;
            if (py::isinstance<DetectionDataset>(truth)) {
              const DetectionDataset& ds = truth.cast<const DetectionDataset&>();
              py::gil_scoped_release release;
              return self.evaluate(ds, split, o);
            }
            const auto path = truth.cast<std::filesystem::path>();
            py::gil_scoped_release release;
            return self.evaluate(path, split, o);
          },
          py::arg("truth"), py::arg("split") = "", py::arg("confidence") = 0.5, py::arg("iou") = 0.5,
          "EvaluationReport of the model's predictions on the truth's images (of `split`; \"\" = all); `truth` is "
          "a DetectionDataset or a dataset path (data.yaml, COCO json, VOC folder).")
      .def("save", &TargetModel::save, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def("export_torchscript", &TargetModel::export_torchscript, py::arg("path"),
           py::call_guard<py::gil_scoped_release>(),
           "Writes a TorchScript archive for torch.jit.load (for YOLO: forward(images float (B, 3, H, W) RGB in "
           "[0, 1], H and W multiples of 32) -> (B, A, 4 + nc) boxes xyxy in input pixels then sigmoid class "
           "scores; docs/target_model.md, Export).")
      .def_property_readonly("classes", &TargetModel::classes);

  py::class_<YOLO, TargetModel>(m, "YOLO", R"doc(The target model: a YOLOv8-family detector trained natively (docs/target_model.md).

``YOLO("n")`` (classes from the dataset at the first ``train``), ``YOLO("n", classes)`` builds an untrained
network ("n" or "s"); ``YOLO("best.safetensors")`` or ``YOLO.load(path)`` reads a checkpoint written by
``save`` or a training run. ``train`` releases the GIL; Ctrl-C stops it between steps.)doc")
      .def(py::init<const std::string&, std::vector<std::string>, int64_t>(), py::arg("scale"), py::arg("classes") = std::vector<std::string>{},
           py::arg("imgsz") = 640)
      .def(py::init([](const std::filesystem::path& checkpoint) { return YOLO::load(checkpoint); }),
           py::arg("checkpoint"), py::call_guard<py::gil_scoped_release>())
      .def_static("load", &YOLO::load, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def("train", &train_py, py::arg("data_yaml"),
           R"doc(Trains on the data.yaml's train split, validating on its valid split after every epoch; returns
one dict per epoch (epoch, box, cls, dfl, map50, map, lr, seconds). Keywords (YoloTrainOptions, ultralytics'
names): epochs, imgsz (default: the model's), batch, device, optimizer ("auto", "SGD", "AdamW"), lr (0 = the optimizer's default),
lrf, cos_lr, momentum, weight_decay, warmup_epochs, ema, amp, hsv_h, hsv_s, hsv_v, degrees, translate,
scale, shear, fliplr, mosaic, close_mosaic, augment, workers, cache, seed, project (run folder: weights/last and
best .safetensors, results.csv, results.png), resume, progress (True: a bar, False, or a callable receiving
a dict), on_epoch (a callable receiving each epoch's dict). The GIL is released; Ctrl-C raises
KeyboardInterrupt after writing project's last.safetensors, which ``resume=True`` continues. Afterwards the
model holds the best epoch's weights.)doc")
      .def("to", &YOLO::to, py::arg("device"), py::call_guard<py::gil_scoped_release>(),
           "Moves the network (\"cpu\", \"cuda\", \"cuda:N\", \"auto\").")
      .def_property_readonly("device", &YOLO::device)
      .def_property_readonly("scale", &YOLO::scale)
      .def_property_readonly("imgsz", &YOLO::imgsz)
      .def("num_parameters", &YOLO::num_parameters)
      .def("__repr__", [](const YOLO& y) {
        return "YOLO(" + y.scale() + ", " + std::to_string(y.classes().size()) + " classes, imgsz " +
               std::to_string(y.imgsz()) + ")";
      });
}

}  // namespace autodistill::python
