#pragma once
/// \file
/// Python object <-> nlohmann::ordered_json. dict key order is kept (model options, ontologies).
/// Accepted: None, bool, int, float, str, os.PathLike (as its str), dict with str keys, list, tuple,
/// and numpy scalars/arrays (through .tolist()). Anything else is ValueError naming the type.

#include <pybind11/pybind11.h>

#include <nlohmann/json.hpp>

namespace autodistill::python {

namespace py = pybind11;

inline nlohmann::ordered_json to_json(py::handle obj) {
  if (obj.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(obj)) return obj.cast<bool>();
  if (py::isinstance<py::int_>(obj)) return obj.cast<int64_t>();
  if (py::isinstance<py::float_>(obj)) return obj.cast<double>();
  if (py::isinstance<py::str>(obj)) return obj.cast<std::string>();
  if (py::isinstance<py::dict>(obj)) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (auto [key, value] : obj.cast<py::dict>()) {
      if (!py::isinstance<py::str>(key))
        throw py::value_error("JSON object keys must be str, got " + std::string(py::str(py::type::of(key).attr("__name__"))));
      out[key.cast<std::string>()] = to_json(value);
    }
    return out;
  }
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (py::handle item : obj) out.push_back(to_json(item));
    return out;
  }
  if (py::hasattr(obj, "__fspath__")) return to_json(py::module_::import("os").attr("fspath")(obj));
  if (py::hasattr(obj, "tolist") && py::hasattr(obj, "dtype")) return to_json(obj.attr("tolist")());  // numpy
  throw py::value_error("cannot convert a " + std::string(py::str(py::type::of(obj).attr("__name__"))) + " to JSON");
}

inline py::object from_json(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return py::none();
    case nlohmann::json::value_t::boolean: return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return py::int_(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: return py::int_(j.get<uint64_t>());
    case nlohmann::json::value_t::number_float: return py::float_(j.get<double>());
    case nlohmann::json::value_t::string: return py::str(j.get_ref<const std::string&>());
    case nlohmann::json::value_t::array: {
      py::list out;
      for (const auto& item : j) out.append(from_json(item));
      return std::move(out);
    }
    case nlohmann::json::value_t::object: {
      py::dict out;
      for (const auto& [key, value] : j.items()) out[py::str(key)] = from_json(value);
      return std::move(out);
    }
    default: return py::none();  // binary / discarded: never produced by the library
  }
}

}  // namespace autodistill::python
