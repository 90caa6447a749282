#pragma once
/// \file
/// numpy <-> at::Tensor copies for the models' raw forward passes (forward_raw), and the shared
/// `from_pretrained` of the LibTorch models. Including this header pulls in ATen.

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "registered_model.h"

namespace autodistill::python {

namespace py = pybind11;

/// A numeric numpy array as a CPU tensor (copied): floats -> float32, integers and bools -> int64.
inline at::Tensor tensor_from_numpy(py::handle obj, const std::string& name) {
  py::array a = py::module_::import("numpy").attr("asarray")(obj);
  const char kind = a.dtype().kind();
  std::vector<int64_t> shape(a.shape(), a.shape() + a.ndim());
  if (kind == 'f') {
    auto f = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
    return at::from_blob(const_cast<float*>(f.data()), shape, at::kFloat).clone();
  }
  if (kind == 'i' || kind == 'u' || kind == 'b') {
    auto i = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    return at::from_blob(const_cast<int64_t*>(i.data()), shape, at::kLong).clone();
  }
  throw py::value_error("input '" + name + "' must be a numeric array, got dtype " + std::string(py::str(a.dtype())));
}

/// A float32 or int64 tensor as a fresh numpy array.
inline py::array tensor_to_numpy(const at::Tensor& t) {
  const at::Tensor c = (t.scalar_type() == at::kLong ? t : t.to(at::kFloat)).cpu().contiguous();
  std::vector<py::ssize_t> shape(c.sizes().begin(), c.sizes().end());
  if (c.scalar_type() == at::kLong) {
    py::array_t<int64_t> out(shape);
    if (c.numel()) std::memcpy(out.mutable_data(), c.data_ptr<int64_t>(), sizeof(int64_t) * size_t(c.numel()));
    return std::move(out);
  }
  py::array_t<float> out(shape);
  if (c.numel()) std::memcpy(out.mutable_data(), c.data_ptr<float>(), sizeof(float) * size_t(c.numel()));
  return std::move(out);
}

/// forward_raw for Python: {name: ndarray} -> {name: ndarray}, GIL released around the model.
template <typename Model, typename Fn>
py::dict forward_raw_py(Model& model, const py::dict& inputs, Fn fn) {
  std::map<std::string, at::Tensor> in;
  for (const auto& [k, v] : inputs) {
    const std::string name = py::cast<std::string>(k);
    in[name] = tensor_from_numpy(v, name);
  }
  std::map<std::string, at::Tensor> out;
  {
    py::gil_scoped_release release;
    out = fn(model, in);
  }
  py::dict result;
  for (const auto& [k, v] : out) result[py::str(k)] = tensor_to_numpy(v);
  return result;
}

/// `Cls.from_pretrained(folder, ontology=None, device="cpu", **options)`: the registry entry with
/// weights=folder. Without an ontology the model gets the generic prompt "object" -> "object".
template <typename Model, typename PyClass>
void def_from_pretrained(PyClass& cls, std::string registry_name) {
  cls.def_static(
      "from_pretrained",
      [registry_name](py::object folder, py::object ontology, const std::string& device, const py::kwargs& kwargs) {
        py::dict base;
        base["weights"] = py::str(folder);
        base["device"] = device;
        if (ontology.is_none()) {
          py::dict generic;
          generic["object"] = "object";
          base["ontology"] = generic;
        } else {
          base["ontology"] = ontology;
        }
        ModelOptions options = options_from_py(base, kwargs);
        std::shared_ptr<BaseModel> model;
        {
          py::gil_scoped_release release;
          model = create_base_model(registry_name, options);
        }
        return std::dynamic_pointer_cast<Model>(model);
      },
      py::arg("folder"), py::arg("ontology") = py::none(), py::arg("device") = "cpu",
      ("Loads a Hugging Face checkpoint folder (config.json, model.safetensors, preprocessor_config.json, "
       "vocab.json, merges.txt); the same as the constructor with weights=folder. Without an ontology the "
       "prompt 'object' is used. Keyword arguments are the other options of model_info('" +
       registry_name + "').")
          .c_str());
}

}  // namespace autodistill::python
