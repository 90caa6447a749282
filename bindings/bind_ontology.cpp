// ontology/: CaptionOntology.
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "autodistill/ontology/caption_ontology.h"
#include "bindings.h"

namespace autodistill::python {

namespace {

std::string type_name(py::handle o) { return py::str(py::type::of(o).attr("__name__")); }

std::string checked_str(py::handle o, const char* what) {
  if (!py::isinstance<py::str>(o))
    throw py::value_error(std::string("CaptionOntology: every ") + what + " must be a str, got " + type_name(o) +
                          " " + std::string(py::repr(o)));
  return o.cast<std::string>();
}

/// dict {prompt: class} (insertion order) or an iterable of (prompt, class) pairs.
CaptionOntology ontology_from_py(py::handle mapping) {
  CaptionOntology::PromptClassPairs pairs;
  if (py::isinstance<py::dict>(mapping)) {
    for (auto [k, v] : mapping.cast<py::dict>()) pairs.emplace_back(checked_str(k, "prompt"), checked_str(v, "class"));
  } else if (py::isinstance<py::str>(mapping) || !py::hasattr(mapping, "__iter__")) {
    throw py::value_error("CaptionOntology expects a dict {prompt: class} or a list of (prompt, class) pairs, got " +
                          type_name(mapping));
  } else {
    for (py::handle item : mapping) {
      if (py::isinstance<py::str>(item) || !py::hasattr(item, "__len__") || py::len(item) != 2)
        throw py::value_error("CaptionOntology: each pair must be (prompt, class), got " + std::string(py::repr(item)));
      pairs.emplace_back(checked_str(item[py::int_(0)], "prompt"), checked_str(item[py::int_(1)], "class"));
    }
  }
  return CaptionOntology(std::move(pairs));
}

py::dict pairs_to_dict(const CaptionOntology::PromptClassPairs& pairs) {
  py::dict d;
  for (const auto& [p, c] : pairs) d[py::str(p)] = py::str(c);
  return d;
}

}  // namespace

void bind_ontology(py::module_& m) {
  py::class_<CaptionOntology>(m, "CaptionOntology", R"doc(Text prompts sent to a base model, each mapped to a class name.

CaptionOntology({"prompt": "class", ...}) or CaptionOntology([("prompt", "class"), ...])

Several prompts may map to one class; class ids follow the order in which class names first appear
(Python dicts keep insertion order). Prompts and classes must be non-empty str; a prompt may appear
once. ValueError otherwise. Immutable.)doc")
      .def(py::init(&ontology_from_py), py::arg("prompt_to_class"))
      .def_static(
          "from_json",
          [](const std::string& text, const std::string& source) { return CaptionOntology::from_json(text, source); },
          py::arg("text"), py::arg("source") = "ontology",
          "Parses {\"prompt\": \"class\"}, [[prompt, class], ...] or [{\"prompt\": ..., \"class\": ...}, ...].")
      .def_static("load", &CaptionOntology::load, py::arg("path"), "Reads a JSON file (str or os.PathLike).")
      .def("save", &CaptionOntology::save, py::arg("path"), "Writes to_json() atomically.")
      .def("to_json", &CaptionOntology::to_json, py::arg("indent") = 2)
      .def("prompts", &CaptionOntology::prompts)
      .def("classes", &CaptionOntology::classes, "Distinct class names in order of first appearance (index = id).")
      .def(
          "prompt_to_class", [](const CaptionOntology& o) { return pairs_to_dict(o.prompt_to_class()); },
          "dict {prompt: class} in prompt order.")
      .def(
          "class_to_prompts",
          [](const CaptionOntology& o) {
            py::dict d;
            for (const auto& [c, prompts] : o.class_to_prompts()) d[py::str(c)] = py::cast(prompts);
            return d;
          },
          "dict {class: [prompts...]} in class id order.")
      .def("prompt_class_ids", &CaptionOntology::prompt_class_ids, "Class id of every prompt, in prompt order.")
      .def("class_for_prompt", &CaptionOntology::class_for_prompt, py::arg("prompt"))
      .def("class_id", &CaptionOntology::class_id, py::arg("class_name"), "Class id of a class name, or -1.")
      .def("__len__", &CaptionOntology::size)
      .def(
          "__eq__",
          [](const CaptionOntology& a, py::handle b) -> py::object {
            if (!py::isinstance<CaptionOntology>(b)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
            return py::bool_(a == b.cast<const CaptionOntology&>());
          },
          py::is_operator())
      .def("__copy__", [](const CaptionOntology& o) { return o; })
      .def("__deepcopy__", [](const CaptionOntology& o, py::handle) { return o; }, py::arg("memo"))
      .def("__repr__",
           [](const CaptionOntology& o) {
             return "CaptionOntology(" + std::string(py::repr(pairs_to_dict(o.prompt_to_class()))) + ")";
           })
      .def(py::pickle([](const CaptionOntology& o) { return o.to_json(-1); },
                      [](const std::string& text) { return CaptionOntology::from_json(text); }))
      .attr("__hash__") = py::none();
  // Functions taking a CaptionOntology (BaseModel.__init__, ...) also accept a dict or a list of pairs.
  py::implicitly_convertible<py::dict, CaptionOntology>();
  py::implicitly_convertible<py::list, CaptionOntology>();
}

}  // namespace autodistill::python
