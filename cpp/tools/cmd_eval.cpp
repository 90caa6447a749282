// `autodistill-cpp eval`: AI labels against human labels (eval/evaluate.h). Prints the table.
// Exit codes: 0 done, 2 bad usage or unreadable input, 1 failure while working.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "autodistill/core/error.h"
#include "autodistill/eval/evaluate.h"
#include "cli.h"
#include "commands.h"
#include "autodistill/label/read_dataset.h"

namespace autodistill::cli {
namespace {

struct EvalArgs {
  std::string pred, truth, pred_format, truth_format, json, html;
  std::vector<std::string> class_map;
  EvaluateOptions options;
  int64_t html_images = 8;
};

int run_eval(const EvalArgs& a) {
  EvaluateOptions options = a.options;
  for (const std::string& entry : a.class_map) {
    const auto eq = entry.find('=');
    AD_CHECK(eq != std::string::npos && eq > 0 && eq + 1 < entry.size(),
             "--class-map entries are PRED=TRUTH (e.g. cone=traffic_cone), got '{}'", entry);
    options.class_map[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  DetectionDataset pred, truth;
  try {
    pred = read_dataset(a.pred, a.pred_format);
    truth = read_dataset(a.truth, a.truth_format);
  } catch (const IOError& e) {
    // An unreadable dataset is bad input (exit 2), not a failure while working.
    std::fprintf(stderr, "error: %s\n", e.message().c_str());
    return kExitUsage;
  }
  const EvaluationReport report = evaluate(pred, truth, options);
  std::fputs(report.to_table().c_str(), stdout);
  if (!a.json.empty()) {
    report.save_json(a.json);
    std::printf("wrote %s\n", a.json.c_str());
  }
  if (!a.html.empty()) {
    HtmlReportOptions html;
    html.max_images = a.html_images;
    report_html(report, pred, truth, a.html, html);
    std::printf("wrote %s\n", a.html.c_str());
  }
  return kExitOk;
}

}  // namespace

SubcommandRunner add_eval_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Compare AI labels (--pred) with human labels (--truth): mAP, per-class "
                                             "P/R/F1, per-image agreement and a review queue.");
  const auto formats = CLI::IsMember({"yolo", "coco", "voc"});
  cmd->add_option("--pred", a->pred, "AI-labelled dataset (YOLO folder/data.yaml, COCO json/folder, VOC folder)")
      ->required();
  cmd->add_option("--truth", a->truth, "human-labelled dataset")->required();
  cmd->add_option("--pred-format", a->pred_format, "yolo, coco or voc (default: detected)")->check(formats);
  cmd->add_option("--truth-format", a->truth_format, "yolo, coco or voc (default: detected)")->check(formats);
  cmd->add_option("--class-map", a->class_map, "PRED=TRUTH class name pairs")->expected(1, -1);
  cmd->add_option("--iou", a->options.iou, "IoU for a match")->capture_default_str();
  cmd->add_option("--confidence", a->options.confidence, "confidence for P/R, agreement, confusion")
      ->capture_default_str();
  cmd->add_option("--agreement", a->options.agreement_f1_threshold, "F1 at which an image agrees")
      ->capture_default_str();
  cmd->add_option("--review", a->options.review_queue_size, "review queue length (0 = all)")->capture_default_str();
  cmd->add_option("--json", a->json, "write the report as JSON");
  cmd->add_option("--html", a->html, "write a self-contained HTML report");
  cmd->add_option("--html-images", a->html_images, "review-queue images drawn in the HTML report")
      ->capture_default_str();
  return [cmd, a]() -> int {
    if (!cmd->parsed()) return -1;
    return run_eval(*a);
  };
}

}  // namespace autodistill::cli
