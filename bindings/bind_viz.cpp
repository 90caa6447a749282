// viz/plot.h: plot, grid. Images are numpy (H, W, 3) uint8 BGR (numpy_mat.h).
#include <pybind11/stl.h>

#include "autodistill/viz/plot.h"
#include "bindings.h"
#include "numpy_mat.h"

namespace autodistill::python {

void bind_viz(py::module_& m) {
  m.def("plot", [](const cv::Mat& image, const Detections& detections, std::vector<std::string> class_names,
                   int thickness, bool labels, bool show_confidence) {
          PlotOptions o;
          o.thickness = thickness;
          o.labels = labels;
          o.show_confidence = show_confidence;
          py::gil_scoped_release release;
          return plot(image, detections, class_names, o);
        },
        py::arg("image"), py::arg("detections"), py::arg("class_names") = std::vector<std::string>{},
        py::arg("thickness") = 0, py::arg("labels") = true, py::arg("show_confidence") = true,
        "Draws detections (boxes, masks, 'name 0.87' labels) on a copy of a BGR image; returns the copy.");
  m.def("grid", [](const std::vector<py::object>& arrays, std::optional<std::vector<Detections>> detections,
                   std::vector<std::string> class_names, int columns, int cell_size, std::vector<std::string> titles) {
          // Each view keeps its numpy owner alive (a converted copy may be the only owner).
          std::vector<cv::Mat> images;
          std::vector<py::object> owners;
          for (const py::object& a : arrays) {
            auto view = image_from_numpy(a);
            images.push_back(view.mat);
            owners.push_back(std::move(view.owner));
          }
          GridOptions g;
          g.titles = std::move(titles);
          py::gil_scoped_release release;
          if (detections) return grid(images, *detections, class_names, columns, cell_size, g);
          return grid(images, columns, cell_size, g);
        },
        py::arg("images"), py::arg("detections") = py::none(), py::arg("class_names") = std::vector<std::string>{},
        py::arg("columns") = 4, py::arg("cell_size") = 320, py::arg("titles") = std::vector<std::string>{},
        "Tiles BGR images row by row (letterboxed cells), plotting `detections` (one per image) when given.");
  m.def("side_by_side", [](const cv::Mat& image, const Detections& truth, const Detections& predictions,
                           std::vector<std::string> class_names, float min_confidence, int cell_size,
                           std::vector<std::string> titles) {
          py::gil_scoped_release release;
          return side_by_side(image, truth, predictions, class_names, min_confidence, cell_size, titles);
        },
        py::arg("image"), py::arg("truth"), py::arg("predictions"), py::arg("class_names") = std::vector<std::string>{},
        py::arg("min_confidence") = 0.0f, py::arg("cell_size") = 480,
        py::arg("titles") = std::vector<std::string>{"human", "AI"},
        "The image twice: human labels (left, no confidences) and AI labels with confidence >= min_confidence "
        "(right). Returns a BGR image.");
}

}  // namespace autodistill::python
