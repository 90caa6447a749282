// SAHI-style slicing: tiles (and optionally the full image) go through predict_batch together.
#include "autodistill/core/error.h"
#include "autodistill/label/label.h"

namespace autodistill {

std::vector<Detections> predict_sliced(BaseModel& model, const std::vector<cv::Mat>& images,
                                       const SliceOptions& slice, int batch_size) {
  slice.validate();
  AD_CHECK(batch_size >= 1, "batch_size must be >= 1, got {}", batch_size);
  struct Input {
    size_t image;
    int dx, dy;
    cv::Mat mat;
  };
  std::vector<Input> inputs;
  for (size_t i = 0; i < images.size(); ++i) {
    const cv::Mat& im = images[i];
    const auto tiles = slice.tiles(im.cols, im.rows);
    const bool whole_is_tile = tiles.size() == 1 && tiles[0][2] == im.cols && tiles[0][3] == im.rows;
    if (slice.include_full_image || whole_is_tile) inputs.push_back({i, 0, 0, im});
    if (whole_is_tile) continue;
    // Tiles are copied: models may assume continuous memory.
    for (const auto& t : tiles) inputs.push_back({i, t[0], t[1], im(cv::Rect(t[0], t[1], t[2], t[3])).clone()});
  }
  std::vector<std::vector<Detections>> parts(images.size());
  for (size_t start = 0; start < inputs.size(); start += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(inputs.size(), start + static_cast<size_t>(batch_size));
    std::vector<cv::Mat> batch;
    for (size_t k = start; k < end; ++k) batch.push_back(inputs[k].mat);
    std::vector<Detections> out = model.predict_batch(batch);
    AD_CHECK(out.size() == batch.size(), "{}: predict_batch returned {} results for {} images", model.name(),
             out.size(), batch.size());
    for (size_t k = start; k < end; ++k) {
      Detections d = std::move(out[k - start]);
      if (inputs[k].dx || inputs[k].dy) {
        BoxArray& b = d.mutable_xyxy();
        b.col(0).array() += static_cast<float>(inputs[k].dx);
        b.col(2).array() += static_cast<float>(inputs[k].dx);
        b.col(1).array() += static_cast<float>(inputs[k].dy);
        b.col(3).array() += static_cast<float>(inputs[k].dy);
      }
      parts[inputs[k].image].push_back(std::move(d));
    }
  }
  std::vector<Detections> result;
  result.reserve(images.size());
  for (auto& p : parts) {
    Detections merged = Detections::merge(p);
    if (slice.merge != NmsMode::None)
      merged = merged.with_nms(slice.merge_iou, slice.merge == NmsMode::ClassAgnostic);
    result.push_back(std::move(merged));
  }
  return result;
}

}  // namespace autodistill
