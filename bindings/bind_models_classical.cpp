// models/classical/: the offline OpenCV detectors as Python classes.
#include "autodistill/models/classical/cascade_detector.h"
#include "autodistill/models/classical/hog_people_detector.h"
#include "bindings.h"
#include "registered_model.h"

namespace autodistill::python {

void bind_models_classical(py::module_& m) {
  bind_registered_model<HOGPeopleDetector>(
      m, "HOGPeopleDetector", "hog_people",
      "OpenCV's HOG + linear SVM pedestrian detector (no download). Prompts: person, people, pedestrian, human.");
  bind_registered_model<CascadeDetector>(
      m, "CascadeDetector", "cascade",
      "OpenCV Haar/LBP cascades from Debian's opencv-data (face, profile face, cat face, full/upper/lower body, eye,\n"
      "smile, licence plate, ...); `cascades={prompt: xml}` adds your own.");
}

}  // namespace autodistill::python
