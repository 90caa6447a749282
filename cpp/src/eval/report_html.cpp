// The self-contained HTML report of an EvaluationReport (eval/evaluate.h).
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>

#include "autodistill/core/error.h"
#include "autodistill/core/image.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/eval/evaluate.h"
#include "autodistill/io/file_io.h"
#include "autodistill/viz/plot.h"

namespace autodistill {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string ratio(double v) { return std::isfinite(v) ? fmt::format("{:.3f}", v) : std::string("&ndash;"); }
std::string ap(double v) { return v < 0 ? std::string("&ndash;") : fmt::format("{:.3f}", v); }

std::string png_data_uri(const cv::Mat& image) {
  std::vector<uint8_t> bytes;
  AD_CHECK(cv::imencode(".png", image, bytes), "report_html: PNG encoding of a {}x{} image failed", image.cols,
           image.rows);
  return "data:image/png;base64," + base64_encode(bytes.data(), bytes.size());
}

constexpr const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 12px}h2{font-size:17px;margin:24px 0 8px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:110px}
.card .v{font-size:22px;font-weight:600}.card .k{font-size:12px;color:#666}
table{border-collapse:collapse;background:#fff;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f0f0f0}
td.l,th.l{text-align:left}tr.inv td{color:#a33}
.pair{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px;margin:10px 0}
.pair img{max-width:100%}.pair .cap{font-size:13px;margin-bottom:6px}
.note{font-size:12px;color:#666}
)css";

}  // namespace

std::string base64_encode(const uint8_t* data, size_t size) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < size; i += 3) {
    const uint32_t v = (uint32_t(data[i]) << 16) | (uint32_t(data[i + 1]) << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < size) {
    const bool two = i + 1 < size;
    const uint32_t v = (uint32_t(data[i]) << 16) | (two ? uint32_t(data[i + 1]) << 8 : 0u);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += two ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

void report_html(const EvaluationReport& report, const DetectionDataset& predictions,
                 const DetectionDataset& ground_truth, const std::filesystem::path& path,
                 const HtmlReportOptions& options) {
  AD_CHECK(options.thumbnail_size >= 16, "HtmlReportOptions.thumbnail_size must be >= 16, got {}",
           options.thumbnail_size);
  AD_CHECK(options.max_images >= 0, "HtmlReportOptions.max_images must be >= 0, got {}", options.max_images);
  std::unordered_map<std::string, const DatasetImage*> pred_by_name, truth_by_name;
  for (const auto& im : predictions.images()) pred_by_name.emplace(im.relative_path, &im);
  for (const auto& im : ground_truth.images()) truth_by_name.emplace(im.relative_path, &im);

  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += fmt::format("<title>{}</title>\n<style>{}</style></head><body>\n", escape(options.title), kStyle);
  h += fmt::format("<h1>{}</h1>\n", escape(options.title));

  const auto card = [](const std::string& value, const std::string& key) {
    return fmt::format("<div class=\"card\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>\n", value, key);
  };
  const auto& o = report.options;
  h += "<div class=\"cards\">\n";
  h += card(fmt::format("{}", report.images.size()), "images evaluated");
  h += card(ap(report.coco_stats.ap), "mAP@[.5:.95]");
  h += card(ap(report.coco_stats.ap50), "mAP@.5");
  h += card(ratio(report.micro_precision), fmt::format("precision (conf &ge; {:.2f})", o.confidence));
  h += card(ratio(report.micro_recall), fmt::format("recall (IoU &ge; {:.2f})", o.iou));
  h += card(ratio(report.micro_f1), "F1");
  h += card(fmt::format("{:.1f}%", 100.0 * report.agreement_share),
            fmt::format("images with agreement F1 &ge; {:.2f}", o.agreement_f1_threshold));
  h += card(fmt::format("{:.3f}", report.mean_agreement), "mean agreement F1");
  h += "</div>\n";
  h += fmt::format("<p class=\"note\">Prediction images without truth: {}; truth images without predictions: {} "
                   "(not evaluated).",
                   report.prediction_images_without_truth.size(), report.truth_images_without_predictions.size());
  if (!report.missed_classes.empty())
    h += fmt::format(" Missed classes: <b>{}</b>.", escape(fmt::format("{}", fmt::join(report.missed_classes, ", "))));
  if (!report.invented_classes.empty())
    h += fmt::format(" Invented classes: <b>{}</b>.",
                     escape(fmt::format("{}", fmt::join(report.invented_classes, ", "))));
  h += "</p>\n";

  h += "<h2>Per class</h2>\n<table><tr><th class=\"l\">class</th><th>truth</th><th>predictions</th><th>AP</th>"
       "<th>AP50</th><th>TP</th><th>FP</th><th>FN</th><th>precision</th><th>recall</th><th>F1</th></tr>\n";
  for (const auto& c : report.per_class)
    h += fmt::format("<tr{}><td class=\"l\">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                     "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     c.invented ? " class=\"inv\"" : "", escape(c.name), c.invented ? " (invented)" : "", c.num_truth,
                     c.num_predictions, ap(c.ap), ap(c.ap50), c.tp, c.fp, c.fn, ratio(c.precision), ratio(c.recall),
                     ratio(c.f1));
  h += "</table>\n";

  h += fmt::format("<h2>Review queue ({} images)</h2>\n", report.review_queue.size());
  h += "<table><tr><th>#</th><th class=\"l\">image</th><th>score</th><th>agreement</th><th>truth</th>"
       "<th>predictions</th><th class=\"l\">reason</th></tr>\n";
  for (size_t q = 0; q < report.review_queue.size(); ++q) {
    const auto& im = report.images[static_cast<size_t>(report.review_queue[q])];
    h += fmt::format("<tr><td>{}</td><td class=\"l\">{}</td><td>{:.3f}</td><td>{:.3f}</td><td>{}</td><td>{}</td>"
                     "<td class=\"l\">{}</td></tr>\n",
                     q + 1, escape(im.relative_path), im.review_score, im.agreement, im.num_truth, im.num_predictions,
                     escape(im.reason));
  }
  h += "</table>\n";

  const size_t shown = std::min(report.review_queue.size(), static_cast<size_t>(options.max_images));
  if (shown) h += "<h2>Human labels (left) vs AI labels (right)</h2>\n";
  for (size_t q = 0; q < shown; ++q) {
    throw_if_interrupted();
    const auto& im = report.images[static_cast<size_t>(report.review_queue[q])];
    h += fmt::format("<div class=\"pair\"><div class=\"cap\"><b>{}. {}</b> &mdash; {}</div>\n", q + 1,
                     escape(im.relative_path), escape(im.reason));
    const auto t = truth_by_name.find(im.relative_path);
    const auto p = pred_by_name.find(im.prediction_relative_path);
    cv::Mat image;
    std::string error;
    try {
      image = load_image(im.image_path);
    } catch (const Error& e) {
      error = e.message();
    }
    if (image.empty() || t == truth_by_name.end() || p == pred_by_name.end()) {
      h += fmt::format("<p class=\"note\">image not drawn: {}</p></div>\n",
                       escape(error.empty() ? std::string("not in the datasets given") : error));
      continue;
    }
    // The AI side is drawn with evaluation class ids so both sides use the same names and colours.
    const cv::Mat pair = side_by_side(image, t->second->detections, to_eval_classes(report, p->second->detections),
                                      report.classes, static_cast<float>(o.confidence), options.thumbnail_size,
                                      {"human", fmt::format("AI (confidence >= {:.2f})", o.confidence)});
    h += fmt::format("<img alt=\"{}\" src=\"{}\"></div>\n", escape(im.relative_path),
                     png_data_uri(pair));
  }
  h += "</body></html>\n";
  write_file_atomic(path, h);
}

}  // namespace autodistill
