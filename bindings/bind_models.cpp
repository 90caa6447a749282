// models/: BaseModel (subclassable from Python through a trampoline) and the model registry.
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <nlohmann/json.hpp>

#include "autodistill/core/image.h"
#include "autodistill/models/base_model.h"
#include "autodistill/models/classification_model.h"
#include "autodistill/models/registry.h"
#include "bindings.h"
#include "gil.h"
#include "json_py.h"
#include "numpy_mat.h"
#include "registered_model.h"

namespace autodistill::python {

namespace {

/// Trampoline: C++ calls of the virtual functions reach a Python subclass's methods. The GIL is taken
/// here, so C++ callers (the labelling pipeline, worker threads) may call with the GIL released.
class PyBaseModel : public BaseModel {
 public:
  using BaseModel::BaseModel;

  std::string name() const override { PYBIND11_OVERRIDE_PURE(std::string, BaseModel, name, ); }

  Detections predict(const cv::Mat& image) override {
    py::gil_scoped_acquire gil;
    py::function override = py::get_override(static_cast<const BaseModel*>(this), "predict");
    if (!override) py::pybind11_fail("Tried to call pure virtual function \"BaseModel.predict\"");
    return to_detections(override(mat_to_numpy_call_view(image)), "predict");
  }

  std::vector<Detections> predict_batch(const std::vector<cv::Mat>& images) override {
    {
      py::gil_scoped_acquire gil;
      py::function override = py::get_override(static_cast<const BaseModel*>(this), "predict_batch");
      if (override) {
        py::list arrays;
        for (const cv::Mat& image : images) arrays.append(mat_to_numpy_call_view(image));
        py::object result = override(arrays);
        std::vector<Detections> out;
        for (py::handle item : result) out.push_back(to_detections(item, "predict_batch"));
        if (out.size() != images.size())
          throw py::value_error("BaseModel.predict_batch returned " + std::to_string(out.size()) +
                                " results for " + std::to_string(images.size()) + " images");
        return out;
      }
    }
    return BaseModel::predict_batch(images);  // calls predict() per image, which takes the GIL itself
  }

 private:
  static Detections to_detections(py::handle result, const char* method) {
    if (!py::isinstance<Detections>(result))
      throw py::type_error(std::string("BaseModel.") + method + " must return Detections, got " +
                           std::string(py::str(py::type::of(result).attr("__name__"))));
    return result.cast<Detections>();
  }
};

class PyClassificationBaseModel : public ClassificationBaseModel {
 public:
  using ClassificationBaseModel::ClassificationBaseModel;

  std::string name() const override { PYBIND11_OVERRIDE_PURE(std::string, ClassificationBaseModel, name, ); }

  Classifications classify(const cv::Mat& image) override {
    py::gil_scoped_acquire gil;
    py::function override = py::get_override(static_cast<const ClassificationBaseModel*>(this), "classify");
    if (!override) py::pybind11_fail("Tried to call pure virtual function \"ClassificationBaseModel.classify\"");
    py::object result = override(mat_to_numpy_call_view(image));
    if (!py::isinstance<Classifications>(result))
      throw py::type_error("ClassificationBaseModel.classify must return Classifications, got " +
                           std::string(py::str(py::type::of(result).attr("__name__"))));
    return result.cast<Classifications>();
  }
};

/// An image argument of predict(): a numpy image, or a path (str / os.PathLike) loaded with load_image.
ImageView image_arg(py::handle image) {
  if (py::isinstance<py::str>(image) || py::hasattr(image, "__fspath__")) {
    auto path = image.cast<std::filesystem::path>();
    py::gil_scoped_release release;
    return {load_image(path), py::object()};
  }
  return image_from_numpy(image);
}

/// A shared_ptr to the C++ part of a Python model that also keeps the Python object (its overrides and
/// __dict__) alive for as long as C++ holds the pointer. pybind11 2.10 has no smart_holder.
std::shared_ptr<BaseModel> hold_python_model(py::object obj) {
  if (!py::isinstance<BaseModel>(obj))
    throw py::type_error("expected a BaseModel, got " + std::string(py::str(py::type::of(obj).attr("__name__"))));
  BaseModel* raw = obj.cast<BaseModel*>();
  return std::shared_ptr<BaseModel>(share_py_object(std::move(obj)), raw);
}

/// As hold_python_model, for classifiers.
std::shared_ptr<ClassificationBaseModel> hold_python_classifier(py::object obj) {
  if (!py::isinstance<ClassificationBaseModel>(obj))
    throw py::type_error("expected a ClassificationBaseModel, got " +
                         std::string(py::str(py::type::of(obj).attr("__name__"))));
  auto* raw = obj.cast<ClassificationBaseModel*>();
  return std::shared_ptr<ClassificationBaseModel>(share_py_object(std::move(obj)), raw);
}

}  // namespace

ModelOptions options_from_py(py::handle options, const py::kwargs& kwargs) {
  ModelOptions out = ModelOptions::object();
  auto add = [&](py::handle key, py::handle value) {
    const std::string k = py::str(key);
    if (py::isinstance<CaptionOntology>(value))
      out[k] = ModelOptions::parse(value.cast<const CaptionOntology&>().to_json(-1));
    else
      out[k] = to_json(value);
  };
  if (!options.is_none()) {
    if (!py::isinstance<py::dict>(options))
      throw py::value_error("options must be a dict, got " + std::string(py::str(py::type::of(options).attr("__name__"))));
    for (auto [k, v] : options.cast<py::dict>()) add(k, v);
  }
  for (auto [k, v] : kwargs) add(k, v);
  return out;
}

void bind_models(py::module_& m) {
  py::class_<BaseModel, PyBaseModel, std::shared_ptr<BaseModel>>(m, "BaseModel", R"doc(A foundation model: image + ontology -> Detections.

Subclass it in Python: call BaseModel.__init__(self, ontology) and implement name() and
predict(image) -> Detections (optionally predict_batch(images) -> list[Detections]). When C++ code
calls the model (the labelling pipeline), `image` is a read-only (H, W, 3) uint8 BGR numpy view valid
for the call (copy it to keep it). On C++ models, predict() and predict_batch() accept numpy images
or paths (str / os.PathLike) and release the GIL while they run.)doc")
      .def(py::init<CaptionOntology>(), py::arg("ontology"))
      .def("name", &BaseModel::name, "Registry name of the model.")
      .def_property_readonly("ontology", &BaseModel::ontology, py::return_value_policy::copy)
      .def(
          "predict",
          [](BaseModel& self, py::handle image) {
            ImageView v = image_arg(image);
            py::gil_scoped_release release;
            return self.predict(v.mat);
          },
          py::arg("image"), "Detections in one image: an (H, W, 3) uint8 BGR array or a path.")
      .def(
          "predict_batch",
          [](BaseModel& self, py::iterable images) {
            std::vector<ImageView> views;
            for (py::handle image : images) views.push_back(image_arg(image));
            std::vector<cv::Mat> mats;
            for (const auto& v : views) mats.push_back(v.mat);
            py::gil_scoped_release release;
            return self.predict_batch(mats);
          },
          py::arg("images"), "One Detections per image, in order (arrays or paths).")
      .def("__repr__", [](BaseModel& self) {
        return "<BaseModel " + self.name() + " with " + std::to_string(self.ontology().size()) + " prompts>";
      });

  m.def(
      "_predict_through_cpp",
      [](std::shared_ptr<BaseModel> model, py::iterable images) {
        std::vector<ImageView> views;
        for (py::handle image : images) views.push_back(image_arg(image));
        std::vector<cv::Mat> mats;
        for (const auto& v : views) mats.push_back(v.mat);
        py::gil_scoped_release release;
        return model->predict_batch(mats);
      },
      py::arg("model"), py::arg("images"),
      "Calls model->predict_batch from C++ with the GIL released, as the labelling pipeline does.");

  // ---- classification
  py::class_<Classifications>(m, "Classifications", R"doc(Confidences of one image over classes, sorted from the
most to the least likely (ties by class id). ``Classifications(class_id, confidence)``.)doc")
      .def(py::init([](std::vector<int64_t> class_id, std::vector<float> confidence) {
             return Classifications(Eigen::Map<ClassIdArray>(class_id.data(), Eigen::Index(class_id.size())),
                                    Eigen::Map<ScoreArray>(confidence.data(), Eigen::Index(confidence.size())));
           }),
           py::arg("class_id"), py::arg("confidence"))
      .def_static("from_scores", &Classifications::from_scores, py::arg("scores"),
                  "One confidence per class: scores[k] belongs to class k.")
      .def_property_readonly("class_id", [](const Classifications& c) {
        return std::vector<int64_t>(c.class_id().data(), c.class_id().data() + c.size());
      })
      .def_property_readonly("confidence", [](const Classifications& c) {
        return std::vector<float>(c.confidence().data(), c.confidence().data() + c.size());
      })
      .def("top", &Classifications::top, "(class_id, confidence) of the most likely class.")
      .def("top_k", &Classifications::top_k, py::arg("k"))
      .def("confidence_of", &Classifications::confidence_of, py::arg("class_id"))
      .def("__len__", &Classifications::size)
      .def("__repr__", [](const Classifications& c) {
        return c.empty() ? std::string("Classifications([])")
                         : "Classifications(top=" + std::to_string(c.top().first) + ", confidence=" +
                               std::to_string(c.top().second) + ", n=" + std::to_string(c.size()) + ")";
      });

  py::class_<ClassificationBaseModel, PyClassificationBaseModel, std::shared_ptr<ClassificationBaseModel>>(
      m, "ClassificationBaseModel", R"doc(A model that scores a whole image against the ontology's classes.

Subclass it in Python: call ClassificationBaseModel.__init__(self, ontology) and implement name() and
classify(image) -> Classifications. CLIP is one (and also a BaseModel).)doc")
      .def(py::init<CaptionOntology>(), py::arg("ontology"))
      .def("name", &ClassificationBaseModel::name)
      .def_property_readonly("ontology", &ClassificationBaseModel::ontology, py::return_value_policy::copy)
      .def(
          "classify",
          [](ClassificationBaseModel& self, py::handle image) {
            ImageView v = image_arg(image);
            py::gil_scoped_release release;
            return self.classify(v.mat);
          },
          py::arg("image"), "Classifications of one image: an (H, W, 3) uint8 BGR array or a path.")
      .def(
          "classify_batch",
          [](ClassificationBaseModel& self, py::iterable images) {
            std::vector<ImageView> views;
            for (py::handle image : images) views.push_back(image_arg(image));
            std::vector<cv::Mat> mats;
            for (const auto& v : views) mats.push_back(v.mat);
            py::gil_scoped_release release;
            return self.classify_batch(mats);
          },
          py::arg("images"), "One Classifications per image, in order.");

  py::class_<ComposedDetectionModel, BaseModel, std::shared_ptr<ComposedDetectionModel>>(
      m, "ComposedDetectionModel", R"doc(Boxes from ``detector``, classes from ``classifier``.

Every detected box is cropped (grown by ``crop_padding`` of its size per side) and classified; the box
takes the classifier's most likely class and confidence (the detector's is kept in the data column
"detector_confidence"); boxes under ``min_confidence`` are dropped. The ontology is the classifier's.)doc")
      .def(py::init([](py::object detector, py::object classifier, float min_confidence, float crop_padding) {
             ComposedDetectionModel::Options o;
             o.min_confidence = min_confidence;
             o.crop_padding = crop_padding;
             return std::make_shared<ComposedDetectionModel>(hold_python_model(std::move(detector)),
                                                             hold_python_classifier(std::move(classifier)), o);
           }),
           py::arg("detector"), py::arg("classifier"), py::arg("min_confidence") = 0.0f,
           py::arg("crop_padding") = 0.0f);

  // ---- registry
  m.def("list_models", &list_models, "Names of the registered base models, sorted.");
  m.def(
      "model_info",
      [](const std::string& name) {
        const ModelInfo& info = model_info(name);
        py::dict d;
        d["name"] = info.name;
        d["description"] = info.description;
        d["supported_prompts"] = info.supported_prompts;
        d["default_options"] = info.default_options_json.empty()
                                   ? py::object(py::dict())
                                   : from_json(nlohmann::ordered_json::parse(info.default_options_json));
        return d;
      },
      py::arg("name"), "dict: name, description, supported_prompts, default_options.");
  m.def(
      "create_base_model",
      [](const std::string& name, py::handle options, const py::kwargs& kwargs) {
        ModelOptions json = options_from_py(options, kwargs);
        py::gil_scoped_release release;
        return create_base_model(name, json);
      },
      py::arg("name"), py::arg("options") = py::none(),
      "Builds a registered model. options: dict (or keyword arguments) with \"ontology\" (a CaptionOntology,\n"
      "dict or list of pairs) and the model's own keys; unknown keys are ValueError.");
  m.def(
      "register_base_model",
      [](const std::string& name, py::function factory, const std::string& description,
         std::vector<std::string> supported_prompts) {
        ModelInfo info;
        info.name = name;
        info.description = description;
        info.supported_prompts = std::move(supported_prompts);
        info.default_options_json = "{}";
        auto fn = share_py_object(std::move(factory));  // the registry is static: released GIL-safely or leaked
        info.factory = [fn, name](const ModelOptions& options) -> std::shared_ptr<BaseModel> {
          py::gil_scoped_acquire gil;
          py::object model = (*fn)(from_json(options));
          if (!py::isinstance<BaseModel>(model))
            throw py::type_error("the factory of model '" + name + "' must return a BaseModel, got " +
                                 std::string(py::str(py::type::of(model).attr("__name__"))));
          return hold_python_model(std::move(model));
        };
        register_base_model(std::move(info));
      },
      py::arg("name"), py::arg("factory"), py::arg("description") = "",
      py::arg("supported_prompts") = std::vector<std::string>{},
      "Registers a Python model: factory(options: dict) -> BaseModel. ValueError if the name is taken.");
}

}  // namespace autodistill::python
