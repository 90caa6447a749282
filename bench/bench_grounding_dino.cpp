// Grounding DINO at full size (the grounding-dino-tiny architecture = GroundingDinoConfig's defaults:
// Swin-T, BERT-base, d_model 256, 900 queries, 6+6 layers, max_text_len 256) with random weights
// (nothing is downloaded), one 800x1200 image: s/image on CPU in fp32 and bf16, the share of each
// stage, grid_sample vs fused deformable attention, and one caption for a 5-prompt ontology vs one
// pass per prompt. Prints figures; asserts nothing.
//
//   build/bench/bench_grounding_dino [--height 800 --width 1200] [--no-bf16] [--no-per-prompt] [--msda-only]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include "../cpp/src/models/grounding_dino/gd_config.h"
#include "../cpp/src/models/grounding_dino/gd_model.h"
#include "../cpp/src/models/grounding_dino/ms_deform_attn.h"
#include "autodistill/core/threads.h"

using namespace autodistill::grounding_dino;

namespace {

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Scale-preserving random weights (Linear/Conv N(0, 1/fan_in), norms 1, biases 0), so activations
// stay in range through 12 layers as trained weights do.
void randomize(torch::nn::Module& m) {
  at::manual_seed(0);
  at::NoGradGuard g;
  for (auto& p : m.named_parameters()) {
    at::Tensor t = p.value();
    const std::string& k = p.key();
    if (k.find("norm") != std::string::npos || k.find("LayerNorm") != std::string::npos || k.find("input_proj_vision") != std::string::npos && k.find(".1.") != std::string::npos) {
      t.fill_(k.find("weight") != std::string::npos ? 1.0 : 0.0);
    } else if (t.dim() >= 2 && k.find("embeddings") == std::string::npos && k.find("bias_table") == std::string::npos && k != "model.level_embed") {
      t.normal_(0.0, 1.0 / std::sqrt(double(t[0].numel())));
    } else if (k.find("_param") != std::string::npos) {
      t.fill_(0.3);
    } else {
      t.normal_(0.0, t.dim() >= 2 ? 1.0 : 0.02);
    }
  }
}

// [CLS] p1 . p2 . ... [SEP] with 2-token prompts of arbitrary word ids.
at::Tensor caption_ids(int prompts, int first) {
  std::vector<int64_t> ids{101};
  for (int p = 0; p < prompts; ++p) {
    ids.push_back(2000 + 7 * (first + p));
    ids.push_back(3000 + 11 * (first + p));
    ids.push_back(1012);
  }
  ids.push_back(102);
  return at::tensor(ids, at::kLong).unsqueeze(0);
}

struct Run {
  double total = 0;
  StageTimes st;
};

Run run_once(GroundingDinoModel& m, const at::Tensor& px, const at::Tensor& ids) {
  c10::InferenceMode guard;
  Run r;
  const double t0 = now_s();
  (void)m.forward({{"pixel_values", px}, {"input_ids", ids}}, false, &r.st);
  r.total = now_s() - t0;
  return r;
}

void print_run(const char* label, const Run& r) {
  const double s = r.st.backbone + r.st.text + r.st.encoder + r.st.decoder;
  std::printf("%-34s %7.2f s/image | backbone %4.1f%%  text %4.1f%%  encoder %4.1f%%  decoder %4.1f%%\n", label, r.total,
              100 * r.st.backbone / s, 100 * r.st.text / s, 100 * r.st.encoder / s, 100 * r.st.decoder / s);
  std::fflush(stdout);
}

void bench_msda(int64_t H, int64_t W) {
  // The encoder's call: every position of the 4 levels queries 8 heads x 4 levels x 4 points.
  std::vector<std::pair<int64_t, int64_t>> shapes;
  int64_t h = (H + 7) / 8, w = (W + 7) / 8, S = 0;
  for (int l = 0; l < 4; ++l) {
    shapes.emplace_back(h, w);
    S += h * w;
    h = (h + 1) / 2;
    w = (w + 1) / 2;
  }
  at::manual_seed(0);
  for (auto dtype : {at::kFloat, at::kBFloat16}) {
    const at::Tensor value = at::randn({1, S, 8, 32}).to(dtype);
    const at::Tensor loc = at::rand({1, S, 8, 4, 4, 2}).to(dtype);
    const at::Tensor aw = at::rand({1, S, 8, 4, 4}).softmax(-1).to(dtype);
    c10::InferenceMode guard;
    double t0 = now_s();
    const at::Tensor a = ms_deform_attn(value, shapes, loc, aw, MsdaImpl::kGridSample);
    const double tg = now_s() - t0;
    t0 = now_s();
    const at::Tensor b = ms_deform_attn(value, shapes, loc, aw, MsdaImpl::kFused);
    const double tf = now_s() - t0;
    std::printf("deformable attention core, %s, %lld queries: grid_sample %.3f s, fused %.3f s (%.1fx), max |diff| %.2e\n",
                dtype == at::kFloat ? "fp32" : "bf16", (long long)S, tg, tf, tg / tf,
                (a.to(at::kFloat) - b.to(at::kFloat)).abs().max().item<double>());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t H = 800, W = 1200;
  bool bf16 = true, per_prompt = true, msda_only = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--height") && i + 1 < argc) H = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--width") && i + 1 < argc) W = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--no-bf16")) bf16 = false;
    else if (!std::strcmp(argv[i], "--no-per-prompt")) per_prompt = false;
    else if (!std::strcmp(argv[i], "--msda-only")) msda_only = true;
  }
  autodistill::ensure_threads_configured();
  std::printf("Grounding DINO (grounding-dino-tiny architecture, random weights), image %lldx%lld, %d threads\n", (long long)H,
              (long long)W, at::get_num_threads());
  {
    // Context for the figures: this machine's fp32 / bf16 GEMM throughput right now (the encoder is
    // mostly 20k x 256 x {256, 1024, 2048} GEMMs; other processes on the machine show up here).
    for (auto dtype : {at::kFloat, at::kBFloat16}) {
      const at::Tensor a = at::randn({20000, 256}).to(dtype), b = at::randn({256, 2048}).to(dtype);
      (void)at::mm(a, b);
      const double t0 = now_s();
      for (int i = 0; i < 3; ++i) (void)at::mm(a, b);
      std::printf("GEMM 20000x256x2048 %s: %.1f GFLOP/s\n", dtype == at::kFloat ? "fp32" : "bf16",
                  3 * 2.0 * 20000 * 256 * 2048 / (now_s() - t0) / 1e9);
    }
  }
  bench_msda(H, W);
  if (msda_only) return 0;

  const Config c = parse_config(nlohmann::json::object(), "defaults");
  GroundingDinoModel m(c);
  randomize(m);
  m.eval();
  at::manual_seed(1);
  const at::Tensor px = at::randn({1, 3, H, W});
  const at::Tensor five = caption_ids(5, 0);

  // One untimed pass first: oneDNN builds its GEMM primitives and the allocator grows on first use.
  m.msda_impl = MsdaImpl::kFused;
  (void)run_once(m, px, five);
  m.msda_impl = MsdaImpl::kGridSample;
  const Run ref = run_once(m, px, five);
  print_run("fp32, grid_sample deform-attn", ref);
  m.msda_impl = MsdaImpl::kFused;
  const Run fused = run_once(m, px, five);
  print_run("fp32, fused deform-attn", fused);
  if (bf16) {
    m.to(at::kBFloat16);
    (void)run_once(m, px.to(at::kBFloat16), five);  // untimed, as above
    const Run b = run_once(m, px.to(at::kBFloat16), five);
    print_run("bf16, fused deform-attn", b);
    m.to(at::kFloat);
  }
  if (per_prompt) {
    double total = 0;
    for (int p = 0; p < 5; ++p) total += run_once(m, px, caption_ids(1, p)).total;
    std::printf("5-prompt ontology, fp32 fused: one caption %.2f s, one pass per prompt %.2f s -> %.2fx speed-up\n", fused.total, total,
                total / fused.total);
  }
  return 0;
}
