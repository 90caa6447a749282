#include "yolo_results.h"

#include <cmath>
#include <string>

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "autodistill/core/image.h"
#include "autodistill/io/file_io.h"
#include "autodistill/viz/chart.h"

namespace autodistill::yolo {

void write_results(const std::filesystem::path& run_dir, const std::vector<YoloEpoch>& history) {
  std::string csv =
      "epoch,train/box_loss,train/cls_loss,train/dfl_loss,metrics/mAP50(B),metrics/mAP50-95(B),lr/pg0,time\n";
  // mAP cells stay empty for epochs without validation labels (pandas reads them as NaN).
  const auto metric = [](double v) { return v < 0 ? std::string() : fmt::format("{:.5f}", v); };
  for (const YoloEpoch& e : history)
    csv += fmt::format("{},{:.5f},{:.5f},{:.5f},{},{},{:.6g},{:.1f}\n", e.epoch + 1, e.box, e.cls, e.dfl,
                       metric(e.map50), metric(e.map), e.lr, e.seconds);
  write_file_atomic(run_dir / "results.csv", csv);

  std::vector<double> x;
  for (const YoloEpoch& e : history) x.push_back(double(e.epoch + 1));
  const auto curve = [&](const std::string& title, double YoloEpoch::*field) {
    ChartSeries s{"", x, {}};
    for (const YoloEpoch& e : history) s.y.push_back(e.*field < 0 && field != &YoloEpoch::lr ? NAN : e.*field);
    return line_chart(title, {s});
  };
  const std::vector<cv::Mat> charts = {curve("train/box_loss", &YoloEpoch::box),
                                       curve("train/cls_loss", &YoloEpoch::cls),
                                       curve("train/dfl_loss", &YoloEpoch::dfl),
                                       curve("metrics/mAP50 (valid)", &YoloEpoch::map50),
                                       curve("metrics/mAP50-95 (valid)", &YoloEpoch::map),
                                       curve("learning rate", &YoloEpoch::lr)};
  cv::Mat top, bottom, all;
  cv::hconcat(std::vector<cv::Mat>(charts.begin(), charts.begin() + 3), top);
  cv::hconcat(std::vector<cv::Mat>(charts.begin() + 3, charts.end()), bottom);
  cv::vconcat(top, bottom, all);
  save_image(run_dir / "results.png", all);
}

}  // namespace autodistill::yolo
