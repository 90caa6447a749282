// core/image.h: decoding, saving, letterbox. Images are numpy (H, W, 3) uint8 BGR (see numpy_mat.h).
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "autodistill/core/image.h"
#include "bindings.h"
#include "numpy_mat.h"
#include "py_arrays.h"

namespace autodistill::python {

void bind_core_image(py::module_& m) {
  m.def(
      "load_image",
      [](const std::filesystem::path& path) {
        cv::Mat image;
        {
          py::gil_scoped_release release;
          image = load_image(path);
        }
        return mat_to_numpy(image);
      },
      py::arg("path"),
      "Reads an image file (str or os.PathLike) as an (H, W, 3) uint8 BGR array; EXIF orientation applied,\n"
      "grayscale replicated, alpha dropped, 16-bit scaled to 8-bit. OSError naming the file when it is\n"
      "missing, empty, truncated or not an image.");
  m.def(
      "decode_image",
      [](py::bytes data, const std::string& name) {
        std::string_view bytes = data;  // pybind11 2.10: bytes -> string_view without a copy
        cv::Mat image;
        {
          py::gil_scoped_release release;
          image = decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), name);
        }
        return mat_to_numpy(image);
      },
      py::arg("data"), py::arg("name") = "<memory>", "Decodes encoded image bytes (see load_image).");
  m.def(
      "save_image",
      [](const std::filesystem::path& path, const cv::Mat& image) {
        py::gil_scoped_release release;
        save_image(path, image);
      },
      py::arg("path"), py::arg("image"),
      "Encodes by extension and writes atomically. The image is (H, W, 3) uint8 BGR (grayscale and BGRA\n"
      "are converted).");

  py::class_<LetterboxTransform>(m, "LetterboxTransform",
                                 "How letterbox() placed the source image inside the canvas.")
      .def(py::init<>())
      .def_readwrite("scale", &LetterboxTransform::scale, "source pixel -> canvas pixel")
      .def_readwrite("pad_left", &LetterboxTransform::pad_left)
      .def_readwrite("pad_top", &LetterboxTransform::pad_top)
      .def_readwrite("width", &LetterboxTransform::width, "canvas width")
      .def_readwrite("height", &LetterboxTransform::height, "canvas height")
      .def(
          "to_source",
          [](const LetterboxTransform& t, py::handle xyxy) { return boxes_to_py(t.to_source(boxes_from_py(xyxy, "xyxy"))); },
          py::arg("xyxy"), "Maps (N, 4) xyxy boxes from canvas pixels to source-image pixels (not clipped).")
      .def(
          "to_canvas",
          [](const LetterboxTransform& t, py::handle xyxy) { return boxes_to_py(t.to_canvas(boxes_from_py(xyxy, "xyxy"))); },
          py::arg("xyxy"), "Maps (N, 4) xyxy boxes from source-image pixels to canvas pixels.")
      .def("__repr__", [](const LetterboxTransform& t) {
        return "LetterboxTransform(scale=" + std::to_string(t.scale) + ", pad_left=" + std::to_string(t.pad_left) +
               ", pad_top=" + std::to_string(t.pad_top) + ", width=" + std::to_string(t.width) +
               ", height=" + std::to_string(t.height) + ")";
      });

  m.def(
      "letterbox",
      [](const cv::Mat& image, int width, int height, int pad_value, bool allow_upscale) {
        if (pad_value < 0 || pad_value > 255)
          throw py::value_error("pad_value must be in [0, 255], got " + std::to_string(pad_value));
        LetterboxResult r;
        {
          py::gil_scoped_release release;
          r = letterbox(image, width, height, static_cast<uint8_t>(pad_value), allow_upscale);
        }
        return py::make_tuple(mat_to_numpy(r.image), r.transform);
      },
      py::arg("image"), py::arg("width"), py::arg("height"), py::arg("pad_value") = 114,
      py::arg("allow_upscale") = true,
      "Resizes keeping the aspect ratio to fit width x height, pads with pad_value.\n"
      "Returns (canvas image, LetterboxTransform).");
}

}  // namespace autodistill::python
