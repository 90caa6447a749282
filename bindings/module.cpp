// The extension module autodistill_cpp._core. The Python package re-exports its names.
#include "bindings.h"

namespace py = pybind11;
namespace adp = autodistill::python;

PYBIND11_MODULE(_core, m) {
  m.doc() = "autodistill-cpp native core (import autodistill_cpp, not this module)";
  m.attr("__version__") = AUTODISTILL_VERSION;
  adp::bind_core_errors(m);
  adp::bind_core(m);
  adp::bind_core_boxes(m);
  adp::bind_core_detections(m);
  adp::bind_core_image(m);
  adp::bind_io(m);
  adp::bind_io_dataset(m);
  adp::bind_text(m);
  adp::bind_ontology(m);
  adp::bind_models(m);
  adp::bind_models_classical(m);
  adp::bind_eval(m);
  adp::bind_eval_report(m);
  adp::bind_viz(m);
  adp::bind_label(m);
  adp::bind_models_clip(m);
  adp::bind_models_owl(m);
  adp::bind_models_grounding_dino(m);
  adp::bind_models_yolo(m);
  adp::bind_cli(m);
}
