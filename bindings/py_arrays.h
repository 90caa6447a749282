#pragma once
/// \file
/// numpy <-> Eigen conversions for the numeric arrays of core/ (boxes, scores, class ids), with
/// ValueError messages that say expected vs got ("xyxy must be (N, 4), got (3, 5)").
/// Inputs of any numeric dtype are accepted and converted (float64 -> float32 and so on); outputs
/// are fresh C-contiguous arrays unless a function says it returns a view.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "autodistill/core/boxes.h"
#include "autodistill/core/detections.h"

namespace autodistill::python {

namespace py = pybind11;

/// "(3, 5)" for an array of that shape (Python's tuple spelling, "(4,)" for one dimension).
inline std::string shape_str(const py::array& a) { return py::str(a.attr("shape")); }
inline std::string dtype_str(const py::array& a) { return py::str(a.dtype()); }

/// np.asarray(obj), refusing non-numeric dtypes (strings, objects) with a ValueError naming `name`.
inline py::array numeric_array(py::handle obj, const char* name) {
  py::array a = py::module_::import("numpy").attr("asarray")(obj);
  const char kind = a.dtype().kind();
  if (kind != 'b' && kind != 'i' && kind != 'u' && kind != 'f')
    throw py::value_error(std::string(name) + " must be a numeric array, got dtype " + dtype_str(a));
  return a;
}

template <typename T>
py::array_t<T, py::array::c_style | py::array::forcecast> cast_to(const py::array& a) {
  return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
}

/// (N, 4) boxes of any numeric dtype. An empty sequence is taken as (0, 4).
inline BoxArray boxes_from_py(py::handle obj, const char* name = "boxes") {
  py::array a = numeric_array(obj, name);
  if (a.size() == 0 && a.ndim() <= 2 && (a.ndim() < 2 || a.shape(1) == 4 || a.shape(0) == 0)) return BoxArray(0, 4);
  if (a.ndim() != 2 || a.shape(1) != 4)
    throw py::value_error(std::string(name) + " must be (N, 4), got " + shape_str(a));
  auto f = cast_to<float>(a);
  BoxArray out(f.shape(0), 4);
  std::memcpy(out.data(), f.data(), sizeof(float) * static_cast<size_t>(f.size()));
  return out;
}

/// (N) vector; `expected_n` < 0 means any length.
template <typename Scalar>
Eigen::Matrix<Scalar, Eigen::Dynamic, 1> vector_from_py(py::handle obj, const char* name, int64_t expected_n = -1,
                                                        const char* n_from = "xyxy") {
  py::array a = numeric_array(obj, name);
  if (a.ndim() != 1 || (expected_n >= 0 && a.shape(0) != expected_n)) {
    std::string expected = expected_n >= 0 ? "(" + std::to_string(expected_n) + ",)" : "(N,)";
    std::string why = expected_n >= 0 ? std::string(" (N from ") + n_from + ")" : "";
    throw py::value_error(std::string(name) + " must be " + expected + why + ", got " + shape_str(a));
  }
  auto c = cast_to<Scalar>(a);
  Eigen::Matrix<Scalar, Eigen::Dynamic, 1> out(c.shape(0));
  if (c.size()) std::memcpy(out.data(), c.data(), sizeof(Scalar) * static_cast<size_t>(c.size()));
  return out;
}

/// A fresh numpy array holding a copy of `n` elements of `data` with the given shape.
template <typename T>
py::array copy_to_numpy(const T* data, std::vector<py::ssize_t> shape) {
  py::array_t<T> out(shape);
  if (out.size()) std::memcpy(out.mutable_data(), data, sizeof(T) * static_cast<size_t>(out.size()));
  return std::move(out);
}

inline py::array boxes_to_py(const BoxArray& b) { return copy_to_numpy(b.data(), {b.rows(), 4}); }

template <typename Scalar>
py::array vector_to_py(const Eigen::Matrix<Scalar, Eigen::Dynamic, 1>& v) {
  return copy_to_numpy(v.data(), {v.size()});
}

inline py::array indices_to_py(const std::vector<int64_t>& v) {
  return copy_to_numpy(v.data(), {static_cast<py::ssize_t>(v.size())});
}

/// (N, M) column-major Eigen matrix -> C-contiguous (N, M) numpy array.
inline py::array matrix_to_py(const Eigen::MatrixXf& m) {
  py::array_t<float> out({m.rows(), m.cols()});
  auto r = out.mutable_unchecked<2>();
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) r(i, j) = m(i, j);
  return std::move(out);
}

}  // namespace autodistill::python
