// detect_people <image> <out.png>: finds people (HOG) and faces (Haar cascade) with the offline
// classical models and writes the image with the boxes drawn on it.
//
// The models are created by name through the registry, so the same code runs any registered
// model; HOGPeopleDetector / CascadeDetector can also be constructed directly
// (autodistill/models/classical/*.h).
#include <cstdio>
#include <exception>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/models/registry.h"
#include "autodistill/viz/plot.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <image> <out.png>\n", argv[0]);
    return 2;
  }
  try {
    const cv::Mat image = autodistill::load_image(argv[1]);
    // Two single-prompt models; their class ids are combined below as 0 = person, 1 = face.
    auto people = autodistill::create_base_model(
        "hog_people", std::string(R"({"ontology": {"person": "person"}, "confidence": 0.55})"));
    auto faces = autodistill::create_base_model(
        "cascade", std::string(R"({"ontology": {"face": "face"}, "min_neighbors": 5})"));

    autodistill::Detections found_faces = faces->predict(image);
    found_faces.mutable_class_id().array() += 1;  // class 0 of the face model is class 1 here
    const autodistill::Detections all =
        autodistill::Detections::merge({people->predict(image), found_faces});

    const std::vector<std::string> classes = {"person", "face"};
    for (int64_t i = 0; i < all.size(); ++i) {
      const auto b = all.xyxy().row(i);
      std::printf("%-6s %.2f  [%.0f, %.0f, %.0f, %.0f]\n", classes[size_t(all.class_id()(i))].c_str(),
                  all.confidence()(i), b(0), b(1), b(2), b(3));
    }
    autodistill::save_image(argv[2], autodistill::plot(image, all, classes));
    std::printf("%lld detection(s); wrote %s\n", static_cast<long long>(all.size()), argv[2]);
    return all.size() > 0 ? 0 : 1;
  } catch (const autodistill::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.message().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
