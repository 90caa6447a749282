#pragma once
/// \file
/// Images: numpy <-> cv::Mat without copies where the layout allows.
///
/// numpy -> cv::Mat (`image_from_numpy`, and the `cv::Mat` type caster): a C-contiguous (H, W, 3)
/// uint8 array (BGR, cv2's convention) becomes a cv::Mat header over the array's buffer; the
/// returned ImageView holds a reference to the array, so the buffer lives while the view does.
/// Converted copies are made for: non-C-contiguous arrays (np.ascontiguousarray semantics),
/// (H, W) or (H, W, 1) grayscale (replicated to BGR) and (H, W, 4) BGRA (alpha dropped).
/// Everything else (other dtypes, other shapes, empty images) is ValueError:
///   "expected an image as a uint8 array of shape (H, W, 3) in BGR order, got float64 array of shape (2, 2, 3)".
///
/// cv::Mat -> numpy (`mat_to_numpy`): the array's base is a capsule owning a heap cv::Mat that shares
/// the data (cv::Mat reference counting), so no pixels are copied and the array outlives the C++
/// value. A Mat over external memory (no OpenCV refcount) cannot be kept alive and is cloned.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/imgproc.hpp>

namespace autodistill::python {

namespace py = pybind11;

struct ImageView {
  cv::Mat mat;     ///< CV_8UC3
  py::object owner;  ///< the numpy array `mat` points into (None when `mat` owns its pixels)
};

inline std::string describe_array(py::handle obj) {
  if (!py::isinstance<py::array>(obj))
    return std::string(py::str(py::type::of(obj).attr("__name__"))) + " object";
  py::array a = py::reinterpret_borrow<py::array>(obj);
  return std::string(py::str(a.dtype())) + " array of shape " + std::string(py::str(a.attr("shape")));
}

[[noreturn]] inline void throw_bad_image(py::handle obj) {
  throw py::value_error("expected an image as a uint8 array of shape (H, W, 3) in BGR order, got " +
                        describe_array(obj));
}

inline ImageView image_from_numpy(py::handle obj) {
  if (!py::isinstance<py::array>(obj)) throw_bad_image(obj);
  py::array a = py::reinterpret_borrow<py::array>(obj);
  const bool u8 = a.dtype().kind() == 'u' && a.itemsize() == 1;
  const py::ssize_t channels = a.ndim() == 2 ? 1 : a.ndim() == 3 ? a.shape(2) : 0;
  if (!u8 || !(channels == 1 || channels == 3 || channels == 4) || a.shape(0) == 0 || a.shape(1) == 0)
    throw_bad_image(obj);
  if (!(a.flags() & py::array::c_style)) a = py::module_::import("numpy").attr("ascontiguousarray")(a);
  const int h = static_cast<int>(a.shape(0)), w = static_cast<int>(a.shape(1)), c = static_cast<int>(channels);
  cv::Mat header(h, w, CV_8UC(c), const_cast<void*>(a.data()), static_cast<size_t>(w) * c);
  if (c == 3) return {header, a};
  cv::Mat bgr;
  cv::cvtColor(header, bgr, c == 1 ? cv::COLOR_GRAY2BGR : cv::COLOR_BGRA2BGR);
  return {bgr, py::none()};
}

inline py::dtype dtype_of_depth(int depth) {
  switch (depth) {
    case CV_8U: return py::dtype::of<uint8_t>();
    case CV_8S: return py::dtype::of<int8_t>();
    case CV_16U: return py::dtype::of<uint16_t>();
    case CV_16S: return py::dtype::of<int16_t>();
    case CV_32S: return py::dtype::of<int32_t>();
    case CV_32F: return py::dtype::of<float>();
    case CV_64F: return py::dtype::of<double>();
    default: throw py::value_error("cv::Mat depth " + std::to_string(depth) + " has no numpy dtype");
  }
}

/// Shape (rows, cols) for one channel, (rows, cols, channels) otherwise.
inline void mat_layout(const cv::Mat& m, std::vector<py::ssize_t>& shape, std::vector<py::ssize_t>& strides) {
  shape = {m.rows, m.cols};
  strides = {static_cast<py::ssize_t>(m.step[0]), static_cast<py::ssize_t>(m.elemSize())};
  if (m.channels() > 1) {
    shape.push_back(m.channels());
    strides.push_back(static_cast<py::ssize_t>(m.elemSize1()));
  }
}

/// Shares the pixels with numpy (see the file comment). An empty Mat gives a (0, 0, 3) uint8 array.
inline py::array mat_to_numpy(cv::Mat m) {
  if (m.empty()) return py::array_t<uint8_t>(std::vector<py::ssize_t>{0, 0, 3});
  if (m.dims != 2) throw py::value_error("only 2-D cv::Mat can be converted to numpy");
  if (!m.u) m = m.clone();
  std::vector<py::ssize_t> shape, strides;
  mat_layout(m, shape, strides);
  auto* owned = new cv::Mat(m);
  py::capsule base(owned, [](void* p) { delete static_cast<cv::Mat*>(p); });
  return py::array(dtype_of_depth(m.depth()), shape, strides, owned->data, base);
}

/// A read-only numpy view of `m` for the duration of a call into Python (the trampoline): no copy,
/// no ownership when `m` points to external memory, so the callee must not keep it beyond the call
/// (copy it with .copy() to keep it). Refcounted Mats are shared safely as in mat_to_numpy.
inline py::array mat_to_numpy_call_view(const cv::Mat& m) {
  py::array out;
  if (m.u || m.empty()) {
    out = mat_to_numpy(m);
  } else {
    std::vector<py::ssize_t> shape, strides;
    mat_layout(m, shape, strides);
    py::capsule no_owner(m.data, [](void*) {});
    out = py::array(dtype_of_depth(m.depth()), shape, strides, m.data, no_owner);
  }
  out.attr("flags").attr("writeable") = false;
  return out;
}

}  // namespace autodistill::python

namespace pybind11::detail {

/// cv::Mat arguments and return values are numpy images (see autodistill/python numpy_mat.h).
template <>
struct type_caster<cv::Mat> {
  PYBIND11_TYPE_CASTER(cv::Mat, const_name("numpy.ndarray"));

  bool load(handle src, bool /*convert*/) {
    if (!isinstance<array>(src)) return false;
    auto view = autodistill::python::image_from_numpy(src);
    value = view.mat;
    owner_ = std::move(view.owner);
    return true;
  }

  static handle cast(const cv::Mat& m, return_value_policy, handle) {
    return autodistill::python::mat_to_numpy(m).release();
  }

 private:
  object owner_;  // keeps the numpy buffer alive while `value` points into it
};

}  // namespace pybind11::detail
