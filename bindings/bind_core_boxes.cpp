// core/boxes.h and core/nms.h. Inputs: array-likes of any numeric dtype; outputs: float32 / int64.
#include "autodistill/core/boxes.h"
#include "autodistill/core/nms.h"
#include "bindings.h"
#include "py_arrays.h"

namespace autodistill::python {

namespace {
template <BoxArray (*Fn)(const BoxArray&)>
py::array convert_boxes(py::handle boxes) {
  return boxes_to_py(Fn(boxes_from_py(boxes)));
}
}  // namespace

void bind_core_boxes(py::module_& m) {
  m.def(
      "box_area", [](py::handle xyxy) { return vector_to_py<float>(box_area(boxes_from_py(xyxy, "xyxy"))); },
      py::arg("xyxy"), "(N) areas of (N, 4) xyxy boxes; inverted boxes have area 0.");
  m.def(
      "box_iou",
      [](py::handle a, py::handle b) { return matrix_to_py(box_iou(boxes_from_py(a, "a"), boxes_from_py(b, "b"))); },
      py::arg("a"), py::arg("b"), "(N, M) IoU of every xyxy box in a (N, 4) with every box in b (M, 4).");
  m.def(
      "box_clip",
      [](py::handle xyxy, float width, float height) {
        return boxes_to_py(box_clip(boxes_from_py(xyxy, "xyxy"), width, height));
      },
      py::arg("xyxy"), py::arg("width"), py::arg("height"), "Clips xyxy boxes to [0, width] x [0, height].");
  m.def(
      "box_scale",
      [](py::handle boxes, float sx, float sy) { return boxes_to_py(box_scale(boxes_from_py(boxes), sx, sy)); },
      py::arg("boxes"), py::arg("sx"), py::arg("sy"), "Multiplies x coordinates by sx and y coordinates by sy.");
  m.def("xyxy_to_xywh", &convert_boxes<xyxy_to_xywh>, py::arg("xyxy"));
  m.def("xywh_to_xyxy", &convert_boxes<xywh_to_xyxy>, py::arg("xywh"));
  m.def("xyxy_to_cxcywh", &convert_boxes<xyxy_to_cxcywh>, py::arg("xyxy"));
  m.def("cxcywh_to_xyxy", &convert_boxes<cxcywh_to_xyxy>, py::arg("cxcywh"));

  m.def(
      "nms",
      [](py::handle boxes, py::handle scores, float iou_threshold) {
        BoxArray b = boxes_from_py(boxes);
        Eigen::VectorXf s = vector_from_py<float>(scores, "scores", b.rows(), "boxes");
        std::vector<int64_t> keep;
        {
          py::gil_scoped_release release;
          keep = nms(b, s, iou_threshold);
        }
        return indices_to_py(keep);
      },
      py::arg("boxes"), py::arg("scores"), py::arg("iou_threshold"),
      "Greedy NMS (torchvision semantics). Returns the int64 indices kept, by decreasing score.");
  m.def(
      "batched_nms",
      [](py::handle boxes, py::handle scores, py::handle class_ids, float iou_threshold) {
        BoxArray b = boxes_from_py(boxes);
        Eigen::VectorXf s = vector_from_py<float>(scores, "scores", b.rows(), "boxes");
        ClassIdArray c = vector_from_py<int64_t>(class_ids, "class_ids", b.rows(), "boxes");
        std::vector<int64_t> keep;
        {
          py::gil_scoped_release release;
          keep = batched_nms(b, s, c, iou_threshold);
        }
        return indices_to_py(keep);
      },
      py::arg("boxes"), py::arg("scores"), py::arg("class_ids"), py::arg("iou_threshold"),
      "Class-aware NMS: boxes of different classes never suppress each other.");
}

}  // namespace autodistill::python
