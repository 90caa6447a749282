#pragma once
/// \file
/// Binding a registered C++ model as a Python class: `Cls(ontology, **options)` builds it through the
/// registry, so Python and C++ share one option parser (unknown keys are ValueError), and
/// `Cls.from_pretrained(weights, ontology=None, **options)` is the same with `weights` set.

#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <pybind11/pybind11.h>

#include "autodistill/models/registry.h"

namespace autodistill::python {

namespace py = pybind11;

/// Options from an optional dict plus keyword arguments; a CaptionOntology value becomes its JSON.
ModelOptions options_from_py(py::handle options, const py::kwargs& kwargs);

/// `ExtraBases` are other bound bases of `Model` (CLIP is also a ClassificationBaseModel).
template <typename Model, typename... ExtraBases>
py::class_<Model, BaseModel, ExtraBases..., std::shared_ptr<Model>> bind_registered_model(
    py::module_& m, const char* python_name, std::string registry_name, const char* doc) {
  py::class_<Model, BaseModel, ExtraBases..., std::shared_ptr<Model>> cls(m, python_name, doc);
  cls.def(py::init([registry_name](py::handle ontology, const py::kwargs& kwargs) {
            py::dict with_ontology;
            with_ontology["ontology"] = ontology;
            ModelOptions options = options_from_py(with_ontology, kwargs);
            std::shared_ptr<BaseModel> model;
            {
              py::gil_scoped_release release;
              model = create_base_model(registry_name, options);
            }
            auto typed = std::dynamic_pointer_cast<Model>(model);
            if (!typed) throw py::type_error("registry entry '" + registry_name + "' did not build a " + typeid(Model).name());
            return typed;
          }),
          py::arg("ontology"),
          ("Builds the model through the registry entry '" + registry_name +
           "'. Keyword arguments are its options (see model_info('" + registry_name + "')).")
              .c_str());
  return cls;
}

}  // namespace autodistill::python
