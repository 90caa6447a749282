#include "autodistill/eval/input_report.h"

#include <vector>

#include <fmt/format.h>

namespace autodistill {

std::string EvalInputReport::problems() const {
  std::vector<std::string> parts;
  if (predictions_bad_class) parts.push_back(fmt::format("{} predictions with a class id out of range dropped", predictions_bad_class));
  if (truths_bad_class) parts.push_back(fmt::format("{} truth boxes with a class id out of range dropped", truths_bad_class));
  if (predictions_nan_score) parts.push_back(fmt::format("{} predictions with NaN confidence dropped", predictions_nan_score));
  if (predictions_invalid_box)
    parts.push_back(fmt::format("{} prediction boxes invalid (x2 < x1, y2 < y1 or not finite), kept with zero area",
                                predictions_invalid_box));
  if (truths_invalid_box)
    parts.push_back(fmt::format("{} truth boxes invalid (x2 < x1, y2 < y1 or not finite), kept with zero area",
                                truths_invalid_box));
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace autodistill
