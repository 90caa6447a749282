// Training and inference speed of the YOLO target model (scale n, 80 classes) at 320 and 640, batch 1
// and 8, against the same network, loss and AdamW step run from Python through Debian's python3-torch
// (bench/yolo_torch_twin.py, parity-checked by tests/python/test_yolo_torch_twin.py). Both sides use
// the same thread count, the same synthetic images/boxes and the same warm-up/timed iterations; each
// case runs in C++ and then in Python, so load from elsewhere on a shared machine hits both alike.
// Prints figures; asserts nothing.
//
//   build/bench/bench_yolo [--quick] [--no-python] [--python /usr/bin/python3] [--twin bench/yolo_torch_twin.py]
//
// Training: images/s over the timed steps (forward + detection_loss + backward + AdamW step, as
// yolo_train.cpp). Inference: median ms per batch of forward + decode (eval mode, InferenceMode).
#include <algorithm>
#include <array>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/types.h>  // clip_grad.h needs it first
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/version.h>

#include "../cpp/src/models/yolo/yolo_loss.h"
#include "../cpp/src/models/yolo/yolo_net.h"
#include "autodistill/core/blas.h"
#include "autodistill/core/threads.h"
#include "autodistill/models/yolo/yolo.h"

using namespace autodistill;

namespace {

constexpr int64_t kClasses = 80;

struct Case {
  std::string kind;  // "train" or "infer"
  int64_t size = 320, batch = 1;
  int warmup = 1, iters = 3;
  std::string arg() const {
    return kind + "," + std::to_string(size) + "," + std::to_string(batch) + "," + std::to_string(warmup) + "," +
           std::to_string(iters);
  }
};

struct Figure {
  double images_per_s = NAN, ms_per_batch = NAN;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The inputs of yolo_torch_twin.synthetic_batch(), same formulas: a smooth pattern per image and
// `boxes` boxes per image spread over the canvas, labels cycling through the classes.
struct Batch {
  at::Tensor images, labels, boxes, mask;
};
Batch synthetic_batch(int64_t batch, int64_t size, int64_t boxes = 4) {
  const at::Tensor ys = at::arange(size, at::kFloat).view({1, size, 1});
  const at::Tensor xs = at::arange(size, at::kFloat).view({1, 1, size});
  const at::Tensor ch = at::arange(3, at::kFloat).view({3, 1, 1});
  std::vector<at::Tensor> images;
  for (int64_t i = 0; i < batch; ++i)
    images.push_back(0.5 + 0.5 * at::sin(0.05 * xs * (ch + 1) + 0.03 * ys * double(i + 1) + ch));
  Batch b;
  b.images = at::stack(images);
  b.boxes = at::zeros({batch, boxes, 4});
  b.labels = at::zeros({batch, boxes}, at::kLong);
  b.mask = at::ones({batch, boxes}, at::kBool);
  auto bx = b.boxes.accessor<float, 3>();
  auto lb = b.labels.accessor<int64_t, 2>();
  for (int64_t i = 0; i < batch; ++i)
    for (int64_t j = 0; j < boxes; ++j) {
      const double cx = double(size) * double(j + 1) / double(boxes + 1);
      const double cy = double(size) * double((i + j) % boxes + 1) / double(boxes + 1);
      const double half = double(size) / 16.0 * double(1 + j % 3);
      bx[i][j][0] = float(cx - half);
      bx[i][j][1] = float(cy - half);
      bx[i][j][2] = float(cx + half);
      bx[i][j][3] = float(cy + half);
      lb[i][j] = (i * boxes + j) % kClasses;
    }
  return b;
}

// One case in C++: the training step of yolo_train.cpp, or forward + decode.
Figure run_cpp(const Case& c) {
  at::manual_seed(0);
  yolo::YoloNet net(yolo::scale_from_name("n"), kClasses);
  const Batch in = synthetic_batch(c.batch, c.size);
  std::vector<double> times;
  if (c.kind == "train") {
    net.train();
    // yolo_train.cpp's AdamW: decay on convolution weights only, betas (0.937, 0.999).
    std::vector<at::Tensor> params, decay, no_decay;
    for (auto& p : net.parameters())
      if (p.requires_grad()) {
        params.push_back(p);
        (p.dim() > 1 ? decay : no_decay).push_back(p);
      }
    std::vector<torch::optim::OptimizerParamGroup> groups;
    const auto betas = std::make_tuple(0.937, 0.999);
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                   torch::optim::AdamWOptions(2e-3).betas(betas).weight_decay(5e-4)));
    groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                      torch::optim::AdamWOptions(2e-3).betas(betas).weight_decay(0.0)));
    torch::optim::AdamW opt(std::move(groups), torch::optim::AdamWOptions(2e-3));
    for (int i = 0; i < c.warmup + c.iters; ++i) {
      const double t0 = now_s();
      const auto out = net.forward(in.images);
      const yolo::LossParts loss =
          yolo::detection_loss(out, net.strides(), net.reg_max(), net.num_classes(), in.labels, in.boxes, in.mask);
      opt.zero_grad();
      loss.total.backward();
      torch::nn::utils::clip_grad_norm_(params, 10.0);
      opt.step();
      if (i >= c.warmup) times.push_back(now_s() - t0);
    }
    double total = 0;
    for (double t : times) total += t;
    return {double(c.batch) * double(times.size()) / total, 1e3 * median(times)};
  }
  net.eval();
  c10::InferenceMode guard;
  for (int i = 0; i < c.warmup + c.iters; ++i) {
    const double t0 = now_s();
    (void)yolo::decode(net.forward(in.images), net.strides(), net.reg_max(), net.num_classes());
    if (i >= c.warmup) times.push_back(now_s() - t0);
  }
  const double ms = 1e3 * median(times);
  return {double(c.batch) * 1e3 / ms, ms};
}

// ---------------------------------------------------------------------------------------------
// Exported TorchScript latency: YOLO-n (80 classes) exported as users do, loaded with
// torch::jit::load, timed like the "infer" cases (InferenceMode, `warmup` untimed runs, median ms).
std::optional<double> torchscript_latency_ms(int64_t size, int64_t batch, int warmup, int iters) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "bench_yolo_export.torchscript.pt";
  {
    std::vector<std::string> classes;
    for (int64_t k = 0; k < kClasses; ++k) classes.push_back("class" + std::to_string(k));
    YOLO(std::string("n"), classes, size).export_torchscript(file);
  }
  torch::jit::Module module = torch::jit::load(file.string());
  std::filesystem::remove(file);
  module.eval();
  const Batch in = synthetic_batch(batch, size);
  c10::InferenceMode guard;
  std::vector<double> times;
  for (int i = 0; i < warmup + iters; ++i) {
    const double t0 = now_s();
    (void)module.forward({in.images});
    if (i >= warmup) times.push_back(now_s() - t0);
  }
  return 1e3 * median(times);
}
// ---------------------------------------------------------------------------------------------

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// Runs the command, returns its stdout and exit status.
std::pair<std::string, int> run_command(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {"", -1};
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int rc = pclose(p);
  return {out, rc};
}

// One case in Python (the twin), same thread count. nullopt (with the reason printed) on failure.
std::optional<Figure> run_python(const std::string& python, const std::string& twin, int threads, const Case& c) {
  const std::string cmd = shell_quote(python) + " " + shell_quote(twin) + " bench --json --threads " +
                          std::to_string(threads) + " --case " + c.arg();
  const auto [out, rc] = run_command(cmd);
  if (rc != 0) {
    std::printf("  python twin failed (exit %d): %s\n", rc, cmd.c_str());
    return std::nullopt;
  }
  try {
    const auto j = nlohmann::json::parse(out.substr(out.find('{')));
    const auto& r = j.at("results").at(0);
    return Figure{r.at("images_per_s").get<double>(), r.at("ms_per_batch").get<double>()};
  } catch (const std::exception& e) {
    std::printf("  python twin printed no readable JSON (%s): %s\n", e.what(), out.c_str());
    return std::nullopt;
  }
}

// printf-formatted `v`, or "n/a".
std::string num(std::optional<double> v, const char* format) {
  if (!v) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, *v);
  return buf;
}

std::string default_twin() { return std::string(AUTODISTILL_SOURCE_DIR) + "/bench/yolo_torch_twin.py"; }

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, with_python = true;
  std::string python = "/usr/bin/python3", twin = default_twin();
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--no-python")) with_python = false;
    else if (!std::strcmp(argv[i], "--python") && i + 1 < argc) python = argv[++i];
    else if (!std::strcmp(argv[i], "--twin") && i + 1 < argc) twin = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--no-python] [--python PATH] [--twin PATH]\n", argv[0]);
      return 2;
    }
  }
  ensure_threads_configured();
  const int threads = torch_num_threads();
  const std::string core = configure_blas();  // also exports OPENBLAS_CORETYPE to the Python child when it switched
  std::printf("YOLO n, %ld classes; threads: %d; OpenBLAS core: %s; LibTorch %s\n", long(kClasses), threads,
              core.empty() ? "?" : core.c_str(), TORCH_VERSION);

  if (with_python) {
    const auto [out, rc] = run_command(shell_quote(python) + " -c 'import torch; print(torch.__version__)' 2>&1");
    if (rc != 0) {
      std::printf("python3-torch is not importable by %s (%s): skipping the Python comparison\n", python.c_str(),
                  out.c_str());
      with_python = false;
    } else {
      std::string version = out;
      while (!version.empty() && std::isspace(static_cast<unsigned char>(version.back()))) version.pop_back();
      std::printf("Python twin: %s (torch %s, same threads)\n", twin.c_str(), version.c_str());
    }
  }

  // Few timed iterations at 640 keep the whole run at 2-4 minutes on 2 cores.
  std::vector<Case> cases = {
      {"train", 320, 1, 1, 4}, {"train", 320, 8, 1, 3}, {"train", 640, 1, 1, 2}, {"train", 640, 8, 1, 2},
      {"infer", 320, 1, 2, 10}, {"infer", 320, 8, 1, 4}, {"infer", 640, 1, 2, 6}, {"infer", 640, 8, 1, 3},
  };
  if (quick)
    for (Case& c : cases) c.iters = std::max(1, c.iters / 2);

  struct Row {
    Case c;
    Figure cpp;
    std::optional<Figure> py;
  };
  std::vector<Row> rows;
  for (const Case& c : cases) {
    Row r{c, run_cpp(c), std::nullopt};
    if (with_python) r.py = run_python(python, twin, threads, c);
    std::printf("  %-5s %3ld batch %ld: C++ %8.1f ms/batch, Python %s ms/batch\n", c.kind.c_str(), long(c.size),
                long(c.batch), r.cpp.ms_per_batch,
                num(r.py ? std::optional<double>(r.py->ms_per_batch) : std::nullopt, "%.1f").c_str());
    std::fflush(stdout);
    rows.push_back(r);
  }

  std::printf("\nTraining (forward + loss + backward + AdamW), images/s; ratio = C++ / Python (> 1: C++ faster)\n");
  std::printf("  %-12s %10s %10s %8s\n", "size, batch", "C++", "Python", "ratio");
  for (const Row& r : rows)
    if (r.c.kind == "train")
      std::printf("  %4ld, %-6ld %10.2f %10s %8s\n", long(r.c.size), long(r.c.batch), r.cpp.images_per_s,
                  num(r.py ? std::optional<double>(r.py->images_per_s) : std::nullopt, "%.2f").c_str(),
                  num(r.py ? std::optional<double>(r.cpp.images_per_s / r.py->images_per_s) : std::nullopt, "%.2f").c_str());
  std::printf("\nInference (forward + decode, eval), median ms per batch; ratio = Python / C++ (> 1: C++ faster)\n");
  std::printf("  %-12s %10s %10s %8s %16s\n", "size, batch", "C++", "Python", "ratio", "TorchScript C++");
  for (const Row& r : rows)
    if (r.c.kind == "infer") {
      const auto ts = torchscript_latency_ms(r.c.size, r.c.batch, r.c.warmup, r.c.iters);
      std::printf("  %4ld, %-6ld %10.1f %10s %8s %16s\n", long(r.c.size), long(r.c.batch), r.cpp.ms_per_batch,
                  num(r.py ? std::optional<double>(r.py->ms_per_batch) : std::nullopt, "%.1f").c_str(),
                  num(r.py ? std::optional<double>(r.py->ms_per_batch / r.cpp.ms_per_batch) : std::nullopt, "%.2f").c_str(),
                  num(ts, "%.1f").c_str());
    }
  return 0;
}
