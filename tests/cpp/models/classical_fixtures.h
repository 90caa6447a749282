#pragma once
// Shared by the classical model tests: the fixture photos and the boxes we know are in them.
#include <Eigen/Core>
#include <opencv2/core.hpp>

#include "autodistill/core/boxes.h"
#include "autodistill/core/image.h"
#include "autodistill/ontology/caption_ontology.h"
#include "test_paths.h"

namespace autodistill::test {

/// COCO train2017 image 542 (people boarding a biplane) from ../shared/data/coco128: third-party
/// data, so it is read from there and not shipped; tests that need it are skipped without it.
inline std::filesystem::path people_image_path() {
  return shared_dir() / "data" / "coco128" / "images" / "000000000542.jpg";
}
inline cv::Mat people_image() {
  skip_unless_exists(people_image_path());
  return load_image(people_image_path());
}
/// tests/fixtures/images/face.jpg: scikit-image's astronaut.png (NASA, public domain) as JPEG.
inline cv::Mat face_image() { return load_image(fixtures_dir() / "images" / "face.jpg"); }

/// Human-labelled boxes from COCO's instances_train2017.json for image 542 (category 1, person),
/// converted from xywh: the man in the grey suit in the middle and the man standing on the right.
inline BoxArray people_ground_truth() {
  BoxArray b(2, 4);
  b << 222.66f, 189.73f, 222.66f + 68.99f, 189.73f + 186.08f,  //
      452.46f, 195.78f, 452.46f + 40.24f, 195.78f + 159.88f;
  return b;
}

/// Eileen Collins' face in face.jpg, read off the image by eye (hairline to chin, cheek to cheek);
/// the default "face" cascade measured [176, 65, 272, 161] on it (IoU 0.84 with this box).
inline BoxArray face_ground_truth() {
  BoxArray b(1, 4);
  b << 180.f, 72.f, 270.f, 165.f;
  return b;
}

/// `CaptionOntology({{"a", "b"}})` is ambiguous (copy constructor vs pairs); this is not.
inline CaptionOntology ontology(CaptionOntology::PromptClassPairs pairs) { return CaptionOntology(std::move(pairs)); }

/// A flat mid-grey image: nothing to find.
inline cv::Mat flat_grey(int width = 640, int height = 480) { return cv::Mat(height, width, CV_8UC3, cv::Scalar::all(128)); }

/// Largest IoU of any row of `found` with `truth` (one row); 0 when `found` is empty.
inline float best_iou(const BoxArray& found, const BoxArray& truth_row) {
  if (found.rows() == 0) return 0.f;
  return box_iou(found, truth_row).maxCoeff();
}

}  // namespace autodistill::test
