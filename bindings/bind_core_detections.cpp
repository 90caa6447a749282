// core/detections.h: Detections with numpy views of its storage.
#include <sstream>

#include <pybind11/stl.h>

#include "autodistill/core/detections.h"
#include "bindings.h"
#include "py_arrays.h"

namespace autodistill::python {

namespace {

const char* kDetectionsDoc = R"doc(Detections in one image: parallel arrays with one row per object.

Detections(xyxy, confidence=None, class_id=None, mask=None, data=None)

    xyxy        (N, 4) boxes in pixels, any numeric dtype (stored as float32)
    confidence  (N,) scores (stored float32); None means every score is 1.0 (as for human labels)
    class_id    (N,) class ids (stored int64); None means every id is 0 (a one-class dataset)
    mask        (N, H, W) masks, nonzero = inside (stored bool); None for no masks
    data        dict of per-detection columns: numeric arrays (float64 or int64) or lists of str

Wrong shapes are ValueError saying what was expected and what arrived.

The properties xyxy, confidence, class_id and mask are numpy arrays that view the C++ storage: no
copy, writable, and each keeps the Detections alive. Assigning to a property copies into the same
storage, so the shape must stay the same. `data` returns copies; change a column with d["name"] = values.
)doc";

py::object view_of(py::object self, void* ptr, py::dtype dtype, std::vector<py::ssize_t> shape) {
  if (!ptr) return py::array(dtype, shape, std::vector<py::ssize_t>(shape.size(), 0));  // empty: nothing to share
  return py::array(dtype, shape, ptr, self);
}

DataColumn column_from_py(py::handle values, const std::string& name) {
  py::module_ np = py::module_::import("numpy");
  if (py::isinstance<py::list>(values) || py::isinstance<py::tuple>(values)) {
    bool all_str = py::len(values) > 0;
    for (py::handle v : values) all_str = all_str && py::isinstance<py::str>(v);
    if (all_str) return values.cast<std::vector<std::string>>();
  }
  py::array a = np.attr("asarray")(values);
  if (a.ndim() != 1)
    throw py::value_error("data['" + name + "'] must be one-dimensional (one value per detection), got shape " +
                          shape_str(a));
  switch (a.dtype().kind()) {
    case 'b':
    case 'i':
    case 'u': {
      auto c = cast_to<int64_t>(a);
      return std::vector<int64_t>(c.data(), c.data() + c.size());
    }
    case 'f': {
      auto c = cast_to<double>(a);
      return std::vector<double>(c.data(), c.data() + c.size());
    }
    case 'U':
      return a.attr("tolist")().cast<std::vector<std::string>>();
    case 'O':
      try {
        return a.attr("tolist")().cast<std::vector<std::string>>();
      } catch (const py::cast_error&) {
      }
      [[fallthrough]];
    default:
      throw py::value_error("data['" + name + "'] must hold numbers or str, got dtype " + dtype_str(a));
  }
}

py::object column_to_py(const DataColumn& c) {
  switch (c.index()) {
    case 0: {
      const auto& v = std::get<0>(c);
      return copy_to_numpy(v.data(), {static_cast<py::ssize_t>(v.size())});
    }
    case 1: {
      const auto& v = std::get<1>(c);
      return copy_to_numpy(v.data(), {static_cast<py::ssize_t>(v.size())});
    }
    default:
      return py::cast(std::get<2>(c));
  }
}

std::optional<MaskArray> mask_from_py(py::handle mask, int64_t n) {
  if (mask.is_none()) return std::nullopt;
  py::array a = numeric_array(mask, "mask");
  if (a.ndim() != 3 || a.shape(0) != n)
    throw py::value_error("mask must be (" + std::to_string(n) + ", H, W) (N from xyxy), got " + shape_str(a));
  auto b = cast_to<bool>(py::module_::import("numpy").attr("not_equal")(a, 0));
  MaskArray out{a.shape(0), a.shape(1), a.shape(2), {}};
  const auto* p = reinterpret_cast<const uint8_t*>(b.data());
  out.data.assign(p, p + b.size());
  return out;
}

Detections make_detections(py::handle xyxy, py::handle confidence, py::handle class_id, py::handle mask,
                           py::handle data) {
  BoxArray boxes = boxes_from_py(xyxy, "xyxy");
  const int64_t n = boxes.rows();
  ScoreArray scores = confidence.is_none() ? ScoreArray(ScoreArray::Ones(n))
                                           : vector_from_py<float>(confidence, "confidence", n);
  ClassIdArray ids = class_id.is_none() ? ClassIdArray(ClassIdArray::Zero(n))
                                        : vector_from_py<int64_t>(class_id, "class_id", n);
  DataColumns columns;
  if (!data.is_none()) {
    for (auto [key, value] : data.cast<py::dict>()) {
      const std::string name = key.cast<std::string>();
      columns[name] = column_from_py(value, name);
    }
  }
  return Detections(std::move(boxes), std::move(scores), std::move(ids), mask_from_py(mask, n), std::move(columns));
}

int64_t normalize_index(int64_t i, int64_t n) {
  const int64_t j = i < 0 ? i + n : i;
  if (j < 0 || j >= n)
    throw py::index_error("index " + std::to_string(i) + " is out of range for " + std::to_string(n) +
                          " detections");
  return j;
}

Detections select_by(const Detections& d, py::handle key) {
  const int64_t n = d.size();
  if (py::isinstance<py::int_>(key) && !py::isinstance<py::bool_>(key))
    return d.select(std::vector<int64_t>{normalize_index(key.cast<int64_t>(), n)});
  if (py::isinstance<py::slice>(key)) {
    py::ssize_t start = 0, stop = 0, step = 0, length = 0;
    if (!key.cast<py::slice>().compute(n, &start, &stop, &step, &length)) throw py::error_already_set();
    std::vector<int64_t> idx;
    for (py::ssize_t i = 0; i < length; ++i) idx.push_back(start + i * step);
    return d.select(idx);
  }
  py::array a = py::module_::import("numpy").attr("asarray")(key);
  if (a.ndim() != 1)
    throw py::index_error("Detections index must be an int, a slice, a 1-D bool mask or 1-D indices, got shape " +
                          shape_str(a));
  const char kind = a.dtype().kind();
  if (kind == 'b') {
    if (a.shape(0) != n)
      throw py::index_error("boolean mask has " + std::to_string(a.shape(0)) + " entries, expected " +
                            std::to_string(n) + " (one per detection)");
    auto b = cast_to<bool>(a);
    return d.select(std::vector<bool>(b.data(), b.data() + b.size()));
  }
  if (kind == 'i' || kind == 'u' || a.size() == 0) {
    auto c = cast_to<int64_t>(a);
    std::vector<int64_t> idx(c.data(), c.data() + c.size());
    for (auto& i : idx) i = normalize_index(i, n);
    return d.select(idx);
  }
  throw py::index_error("Detections index must be an int, a slice, a bool mask or integer indices, got dtype " +
                        dtype_str(a));
}

bool mask_equal(const std::optional<MaskArray>& a, const std::optional<MaskArray>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->count == b->count && a->height == b->height && a->width == b->width && a->data == b->data;
}

template <typename Array>
void assign_same_shape(Array& dst, const Array& src, const char* name) {
  if (src.size() != dst.size())
    throw py::value_error(std::string("Detections.") + name + ": the new array must keep the shape (" +
                          std::to_string(dst.rows()) + " rows), got " + std::to_string(src.rows()) + " rows");
  dst = src;  // same size: Eigen copies into the existing buffer, so numpy views stay valid
}

}  // namespace

void bind_core_detections(py::module_& m) {
  py::class_<Detections> cls(m, "Detections", kDetectionsDoc);
  cls.def(py::init(&make_detections), py::arg("xyxy"), py::arg("confidence") = py::none(),
          py::arg("class_id") = py::none(), py::arg("mask") = py::none(), py::arg("data") = py::none())
      .def_static("empty", &Detections::empty, "No detections.")
      .def_static(
          "merge", [](const std::vector<Detections>& parts) { return Detections::merge(parts); }, py::arg("parts"),
          "Concatenates in order; masks must be all present (same H, W) or all absent; data columns must match.")
      .def_property(
          "xyxy",
          [](py::object self) {
            auto& d = self.cast<Detections&>();
            return view_of(self, d.mutable_xyxy().data(), py::dtype::of<float>(), {d.size(), 4});
          },
          [](Detections& d, py::handle v) { assign_same_shape(d.mutable_xyxy(), boxes_from_py(v, "xyxy"), "xyxy"); },
          "(N, 4) float32 view of the boxes (x1, y1, x2, y2) in pixels.")
      .def_property(
          "confidence",
          [](py::object self) {
            auto& d = self.cast<Detections&>();
            return view_of(self, d.mutable_confidence().data(), py::dtype::of<float>(), {d.size()});
          },
          [](Detections& d, py::handle v) {
            assign_same_shape(d.mutable_confidence(), vector_from_py<float>(v, "confidence", d.size()), "confidence");
          },
          "(N,) float32 view of the scores.")
      .def_property(
          "class_id",
          [](py::object self) {
            auto& d = self.cast<Detections&>();
            return view_of(self, d.mutable_class_id().data(), py::dtype::of<int64_t>(), {d.size()});
          },
          [](Detections& d, py::handle v) {
            assign_same_shape(d.mutable_class_id(), vector_from_py<int64_t>(v, "class_id", d.size()), "class_id");
          },
          "(N,) int64 view of the class ids (indices into the ontology's classes()).")
      .def_property_readonly(
          "mask",
          [](py::object self) -> py::object {
            auto& d = self.cast<Detections&>();
            auto& mask = d.mutable_mask();
            if (!mask) return py::none();
            return view_of(self, mask->data.empty() ? nullptr : mask->data.data(), py::dtype::of<bool>(),
                           {mask->count, mask->height, mask->width});
          },
          "(N, H, W) bool view of the masks, or None.")
      .def_property_readonly(
          "data",
          [](const Detections& d) {
            py::dict out;
            for (const auto& [name, column] : d.data()) out[py::str(name)] = column_to_py(column);
            return out;
          },
          "Copy of the per-detection columns: float64/int64 arrays or lists of str.")
      .def_property_readonly(
          "area", [](const Detections& d) { return vector_to_py<float>(d.area()); },
          "(N,) mask pixel counts when masks are present, else box areas.")
      .def_property_readonly(
          "box_area", [](const Detections& d) { return vector_to_py<float>(d.box_area()); }, "(N,) box areas.")
      .def(
          "with_nms",
          [](const Detections& d, float iou, bool class_agnostic) {
            py::gil_scoped_release release;
            return d.with_nms(iou, class_agnostic);
          },
          py::arg("iou") = 0.5f, py::arg("class_agnostic") = false,
          "Non-maximum suppression (class-aware unless class_agnostic); ordered by decreasing confidence.")
      .def("is_empty", &Detections::is_empty)
      .def("__len__", &Detections::size)
      .def(
          "__getitem__",
          [](const Detections& d, py::handle key) -> py::object {
            if (py::isinstance<py::str>(key)) {
              const std::string name = key.cast<std::string>();
              auto it = d.data().find(name);
              if (it == d.data().end()) throw py::key_error(name);
              return column_to_py(it->second);
            }
            return py::cast(select_by(d, key));
          },
          py::arg("key"),
          "d[int] -> 1-length Detections; d[slice], d[bool_mask], d[indices] -> Detections; d[str] -> data column.")
      .def(
          "__setitem__",
          [](Detections& d, const std::string& name, py::handle values) { d.set_data(name, column_from_py(values, name)); },
          py::arg("name"), py::arg("values"), "Adds or replaces the data column `name` (one value per detection).")
      .def(
          "__eq__",
          [](const Detections& a, py::handle other) -> py::object {
            if (!py::isinstance<Detections>(other)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
            const auto& b = other.cast<const Detections&>();
            return py::bool_(a.size() == b.size() && a.xyxy() == b.xyxy() && a.confidence() == b.confidence() &&
                             a.class_id() == b.class_id() && mask_equal(a.mask(), b.mask()) && a.data() == b.data());
          },
          py::is_operator())
      .def("__copy__", [](const Detections& d) { return Detections(d); })
      .def("__deepcopy__", [](const Detections& d, py::handle) { return Detections(d); }, py::arg("memo"))
      .def("__repr__", [](py::object self) {
        auto& d = self.cast<const Detections&>();
        // float32 -> float64 before rounding, so 0.9f prints as 0.9 and not 0.8999999761581421.
        auto r = [](py::handle a) {
          return std::string(py::repr(a.attr("astype")("float64").attr("round")(4).attr("tolist")()));
        };
        std::ostringstream s;
        s << "Detections(n=" << d.size() << ", xyxy=" << r(self.attr("xyxy"))
          << ", confidence=" << r(self.attr("confidence"))
          << ", class_id=" << std::string(py::repr(self.attr("class_id").attr("tolist")()));
        if (d.mask()) s << ", mask=(" << d.mask()->count << ", " << d.mask()->height << ", " << d.mask()->width << ")";
        if (!d.data().empty()) {
          s << ", data=[";
          bool first = true;
          for (const auto& kv : d.data()) {
            s << (first ? "" : ", ") << "'" << kv.first << "'";
            first = false;
          }
          s << "]";
        }
        s << ")";
        return s.str();
      });
  cls.attr("__hash__") = py::none();
}

}  // namespace autodistill::python
