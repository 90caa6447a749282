// TorchScript export: the archive, loaded by a plain torch::jit::load, computes what the C++ network
// and decode() compute (BatchNorm folded), carries its metadata, and is written atomically.
#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/cuda.h>
#include <torch/nn/modules/batchnorm.h>

#include "../catch_torch.h"
#include "../test_paths.h"
#include "../../../cpp/src/models/yolo/yolo_export.h"
#include "../../../cpp/src/models/yolo/yolo_net.h"
#include "autodistill/core/error.h"
#include "autodistill/models/yolo/yolo.h"

using namespace autodistill;
using namespace autodistill::yolo;

namespace {

// Trained-looking BatchNorm: scales, shifts and running statistics far from the identity, so a
// wrong fold (or a missing one) changes the outputs.
void randomize_batchnorm(YoloNet& net) {
  at::NoGradGuard no_grad;
  for (const auto& m : net.modules(false))
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.normal_(0.0, 0.2);
      bn->running_mean.normal_(0.0, 0.3);
      bn->running_var.uniform_(0.3, 2.0);
    }
}

at::Tensor reference(YoloNet& net, const at::Tensor& x) {
  const auto [boxes, scores] = decode(net.forward(x), net.strides(), net.reg_max(), net.num_classes());
  return at::cat({boxes, scores}, 2);
}

// Boxes relative to the largest coordinate, scores absolute.
void check_parity(const at::Tensor& got, const at::Tensor& want, int64_t nc) {
  REQUIRE(got.sizes() == want.sizes());
  const at::Tensor gb = got.narrow(2, 0, 4), wb = want.narrow(2, 0, 4);
  const double box_scale = std::max(1.0, wb.abs().max().item<double>());
  const double box_err = (gb - wb).abs().max().item<double>() / box_scale;
  const double score_err = (got.narrow(2, 4, nc) - want.narrow(2, 4, nc)).abs().max().item<double>();
  INFO("relative box error " << box_err << ", score error " << score_err);
  CHECK(box_err < 1e-4);
  CHECK(score_err < 1e-4);
}

}  // namespace

TEST_CASE("YOLO export: torch::jit::load'ed module matches the C++ network and decode()", "[yolo][export]") {
  test::TempDir dir("yolo_export");
  at::manual_seed(7);
  YoloNet net(scale_from_name("n"), 3);
  randomize_batchnorm(net);
  net.eval();
  save_torchscript(net, {"n", {"a", "b", "c"}, 64}, dir / "m.pt");
  torch::jit::Module module = torch::jit::load((dir / "m.pt").string());
  at::NoGradGuard no_grad;
  for (const auto& [h, w] : std::vector<std::pair<int64_t, int64_t>>{{64, 64}, {96, 128}}) {
    INFO(h << "x" << w);
    const at::Tensor x = at::rand({2, 3, h, w});
    const at::Tensor got = module.forward({x}).toTensor();
    const int64_t anchors = (h / 8) * (w / 8) + (h / 16) * (w / 16) + (h / 32) * (w / 32);
    CHECK(got.sizes() == at::IntArrayRef({2, anchors, 4 + 3}));
    check_parity(got, reference(net, x), 3);
    if (torch::cuda::is_available()) {
      module.to(at::kCUDA);
      check_parity(module.forward({x.to(at::kCUDA)}).toTensor().cpu(), got, 3);
      module.to(at::kCPU);
    }
  }
  // The folded BatchNorm matters: without its statistics the outputs differ.
  for (const auto& m : net.modules(false))
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) bn->reset_running_stats();
  const at::Tensor x = at::rand({1, 3, 64, 64});
  CHECK((module.forward({x}).toTensor() - reference(net, x)).abs().max().item<double>() > 1e-2);
  // Shapes the network cannot take are refused by the module itself.
  CHECK_THROWS_WITH(module.forward({at::rand({1, 3, 100, 64})}), Catch::Contains("multiples of 32"));
}

TEST_CASE("YOLO export: metadata in the extra file and in attributes", "[yolo][export]") {
  test::TempDir dir("yolo_export_meta");
  YOLO model("n", {"cone", "person"}, 96);
  model.export_torchscript(dir / "m.pt");
  torch::jit::ExtraFilesMap extra{{kTorchScriptMetadataFile, ""}};
  torch::jit::Module module = torch::jit::load((dir / "m.pt").string(), at::kCPU, extra);
  const nlohmann::json meta = nlohmann::json::parse(extra.at(kTorchScriptMetadataFile));
  CHECK(meta.at("format").get<std::string>() == kTorchScriptFormat);
  CHECK(meta.at("scale").get<std::string>() == "n");
  CHECK(meta.at("classes").get<std::vector<std::string>>() == std::vector<std::string>{"cone", "person"});
  CHECK(meta.at("imgsz").get<int64_t>() == 96);
  CHECK(meta.at("strides").get<std::vector<int64_t>>() == std::vector<int64_t>{8, 16, 32});
  CHECK(meta.at("input").get<std::string>().find("[0, 1]") != std::string::npos);
  CHECK(module.attr("format").toStringRef() == kTorchScriptFormat);
  CHECK(module.attr("scale").toStringRef() == "n");
  CHECK(module.attr("imgsz").toInt() == 96);
  const auto classes = module.attr("classes").toList();
  REQUIRE(classes.size() == 2);
  CHECK(classes.get(1).toStringRef() == "person");
  CHECK(module.attr("strides").toIntVector() == std::vector<int64_t>{8, 16, 32});
  CHECK_FALSE(module.attr("training").toBool());
  const at::Tensor out = module.forward({at::rand({1, 3, 96, 96})}).toTensor();
  CHECK(out.sizes() == at::IntArrayRef({1, 144 + 36 + 9, 4 + 2}));
}

TEST_CASE("YOLO export: written atomically, an unwritable path is named", "[yolo][export]") {
  test::TempDir dir("yolo_export_io");
  YOLO model("n", {"a"}, 64);
  model.export_torchscript(dir / "sub" / "m.pt");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir / "sub")) files.push_back(e.path().filename());
  CHECK(files == std::vector<std::filesystem::path>{"m.pt"});  // no temporary left behind
  const auto bad = dir / "sub" / "m.pt" / "inside_a_file.pt";
  CHECK_THROWS_AS(model.export_torchscript(bad), IOError);
  CHECK_THROWS_WITH(model.export_torchscript(bad), Catch::Contains("inside_a_file.pt"));
}
