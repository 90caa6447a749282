// Grounding DINO around the network: tokenizer on the model's vocab, pre-/post-processing against
// upstream, prompts -> classes in one pass, long ontologies in chunks, config branches, bf16.
#include <cmath>
#include <fstream>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "../../../cpp/src/models/grounding_dino/gd_config.h"
#include "../../../cpp/src/models/grounding_dino/gd_model.h"
#include "../catch_torch.h"
#include "../test_paths.h"
#include "autodistill/models/grounding_dino/grounding_dino_torch.h"
#include "autodistill/models/registry.h"
#include "autodistill/text/bert_tokenizer.h"
#include "torch_fixtures.h"

using namespace autodistill;

namespace {

const std::filesystem::path kDir = test::fixtures_dir() / "grounding_dino";

std::shared_ptr<GroundingDINO> load(const std::string& ontology, const std::string& extra = "") {
  const std::string opts = R"({"ontology": )" + ontology + R"(, "device": "cpu", "weights": ")" + kDir.string() + "\"" + extra + "}";
  auto model = std::dynamic_pointer_cast<GroundingDINO>(create_base_model("grounding_dino", opts));
  REQUIRE(model);
  return model;
}

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream f(p);
  return nlohmann::json::parse(f);
}

}  // namespace

TEST_CASE("grounding_dino: the BERT tokenizer reproduces the processor's ids on the model's vocab", "[models][grounding_dino]") {
  const auto text = read_json(kDir / "text.json");
  const BertTokenizer tok = BertTokenizer::from_folder(kDir);
  for (const auto& c : text["per_caption"]) {
    const std::string caption = c["caption"].get<std::string>();
    INFO(caption);
    CHECK(tok.tokenize(caption) == c["tokens"].get<std::vector<std::string>>());
    CHECK(tok.encode(caption).input_ids == c["input_ids"].get<std::vector<int64_t>>());
    const auto [masks, pos] = grounding_dino::phrase_masks_and_positions(at::tensor(c["input_ids"].get<std::vector<int64_t>>()).unsqueeze(0));
    CHECK(std::vector<int64_t>(pos.data_ptr<int64_t>(), pos.data_ptr<int64_t>() + pos.numel()) ==
          c["text_position_ids"].get<std::vector<int64_t>>());
    const auto ref = c["text_self_attention_mask"].get<std::vector<std::vector<int64_t>>>();
    for (size_t i = 0; i < ref.size(); ++i)
      for (size_t j = 0; j < ref.size(); ++j) CHECK(masks[0][int64_t(i)][int64_t(j)].item<bool>() == bool(ref[i][j]));
  }
}

TEST_CASE("grounding_dino: the resize rule matches GroundingDinoImageProcessor's table", "[models][grounding_dino]") {
  const auto m = read_json(kDir / "manifest.json");
  const auto& t = m["default_processor_resize_table"];
  for (const auto& c : t["cases"]) {
    const auto [h, w] = grounding_dino_resize_hw(c["in_hw"][0], c["in_hw"][1], t["size"]["shortest_edge"], t["size"]["longest_edge"]);
    INFO(c.dump());
    CHECK(h == c["out_hw"][0].get<int64_t>());
    CHECK(w == c["out_hw"][1].get<int64_t>());
  }
}

TEST_CASE("grounding_dino: pre-processing matches upstream (PIL bilinear, pad, pixel mask)", "[models][grounding_dino][parity]") {
  auto model = load(R"({"a cat": "cat"})");
  const auto pre = test::read_tensors(kDir / "preprocess.safetensors");
  const auto inputs = test::read_tensors(kDir / "inputs.safetensors");
  std::vector<cv::Mat> imgs;
  for (const std::string i : {"0", "1"}) {
    imgs.push_back(test::bgr_from_rgb_hwc(pre.at("image" + i + "_u8_hwc")));
    const TensorMap px = preprocess(*model, {imgs.back()});
    const double diff = test::max_abs_diff(px.at("pixel_values"), pre.at("image" + i + "_pixel_values"));
    WARN("grounding_dino pre-processing image" << i << " max abs diff " << diff);
    CHECK(diff < 1e-5);
    CHECK(at::equal(px.at("pixel_mask"), pre.at("image" + i + "_pixel_mask")));
  }
  // mixed sizes in one batch: zero padding bottom/right, mask 1 on real pixels
  const TensorMap batch = preprocess(*model, imgs);
  CHECK(test::max_abs_diff(batch.at("pixel_values"), inputs.at("pixel_values")) < 1e-5);
  CHECK(at::equal(batch.at("pixel_mask"), inputs.at("pixel_mask")));
}

TEST_CASE("grounding_dino: post_process_grounded_object_detection matches upstream", "[models][grounding_dino][parity]") {
  auto model = load(R"({"a cat": "cat"})");
  const auto pp = read_json(kDir / "postprocess.json");
  const auto out = test::read_tensors(kDir / "outputs.safetensors");
  const auto inputs = test::read_tensors(kDir / "inputs.safetensors");
  std::vector<std::pair<int64_t, int64_t>> sizes;
  for (const auto& s : pp["target_sizes_hw"]) sizes.emplace_back(s[0].get<int64_t>(), s[1].get<int64_t>());
  auto check = [&](const std::vector<GroundingDinoRaw>& got, const nlohmann::json& expected) {
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      const auto& e = expected[i];
      INFO("image " << i);
      REQUIRE(got[i].scores.size(0) == int64_t(e["scores"].size()));
      CHECK(std::vector<int64_t>(got[i].query_indices.data_ptr<int64_t>(), got[i].query_indices.data_ptr<int64_t>() + got[i].query_indices.numel()) ==
            e["query_indices"].get<std::vector<int64_t>>());
      CHECK(got[i].labels == e["labels"].get<std::vector<std::string>>());
      for (int64_t k = 0; k < got[i].scores.size(0); ++k) {
        CHECK(std::abs(got[i].scores[k].item<float>() - e["scores"][size_t(k)].get<float>()) < 1e-6);
        for (int64_t c = 0; c < 4; ++c) CHECK(std::abs(got[i].boxes[k][c].item<float>() - e["boxes_xyxy"][size_t(k)][size_t(c)].get<float>()) < 1e-4);
      }
    }
  };
  const double bt = pp["box_threshold"], tt = pp["text_threshold"];
  check(post_process_grounded_object_detection(*model, out.at("logits"), out.at("pred_boxes"), inputs.at("input_ids"), bt, tt, sizes), pp["results"]);
  std::vector<GroundingDinoRaw> singles;
  for (const std::string i : {"0", "1"}) {
    auto r = post_process_grounded_object_detection(*model, out.at("single" + i + ".logits"), out.at("single" + i + ".pred_boxes"),
                                                    out.at("single" + i + ".input_ids"), bt, tt, {sizes[size_t(std::stoi(i))]});
    singles.push_back(r.front());
  }
  check(singles, pp["single_image_results"]);
  // and on our own forward pass: the same kept queries
  const TensorMap got = forward_raw(*model, inputs);
  const auto ours = post_process_grounded_object_detection(*model, got.at("logits"), got.at("pred_boxes"), inputs.at("input_ids"), bt, tt, sizes);
  check(ours, pp["results"]);
}

TEST_CASE("grounding_dino: predict labels the whole ontology in one caption", "[models][grounding_dino]") {
  const auto pre = test::read_tensors(kDir / "preprocess.safetensors");
  const cv::Mat img = test::bgr_from_rgb_hwc(pre.at("image1_u8_hwc"));
  auto model = load(R"({"a cat": "cat", "a remote control": "remote", "the sofa": "sofa"})", R"(, "box_threshold": 0.0, "text_threshold": 0.0)");
  REQUIRE(model->captions() == std::vector<std::string>{"a cat. a remote control. the sofa."});
  const Detections d = model->predict(img);
  // threshold 0: every query is reported, with the class of its best-scoring prompt span
  REQUIRE(d.size() == 12);
  // reference: the same caption through forward_raw; spans [1,3) "a cat", [4,7) "a remote control", [8,11) "the sofa"
  const auto out = test::read_tensors(kDir / "outputs.safetensors");
  const at::Tensor probs = out.at("single1.logits")[0].sigmoid();
  const at::Tensor boxes = out.at("single1.pred_boxes")[0];
  const std::vector<std::pair<int64_t, int64_t>> spans{{1, 3}, {4, 7}, {8, 11}};
  for (int64_t q = 0; q < 12; ++q) {
    float best = -1;
    int64_t cls = -1;
    for (size_t p = 0; p < spans.size(); ++p) {
      const float s = probs[q].narrow(0, spans[p].first, spans[p].second - spans[p].first).max().item<float>();
      if (s > best) best = s, cls = int64_t(p);
    }
    CHECK(d.class_id()(q) == cls);
    CHECK(std::abs(d.confidence()(q) - best) < 1e-4f);
    const float cx = boxes[q][0].item<float>(), w = boxes[q][2].item<float>();
    CHECK(std::abs(d.xyxy()(q, 0) - std::clamp((cx - w / 2) * 150.f, 0.f, 150.f)) < 2e-2f);
  }
  // default thresholds keep a subset, all above box_threshold
  auto strict = load(R"({"a cat": "cat", "a remote control": "remote", "the sofa": "sofa"})", R"(, "box_threshold": 0.5)");
  const Detections s = strict->predict(img);
  CHECK(s.size() < 12);
  for (int64_t i = 0; i < s.size(); ++i) CHECK(s.confidence()(i) > 0.5f);
}

TEST_CASE("grounding_dino: phrases are independent in the text encoder (one caption = one pass per prompt)", "[models][grounding_dino]") {
  auto model = load(R"({"a cat": "cat"})");
  const auto inputs = test::read_tensors(kDir / "inputs.safetensors");
  const at::Tensor px = inputs.at("pixel_values").narrow(0, 1, 1), pm = inputs.at("pixel_mask").narrow(0, 1, 1);
  auto text_of = [&](const std::string& caption) {
    TensorMap in = encode_caption(*model, caption);
    in["pixel_values"] = px;
    in["pixel_mask"] = pm;
    return forward_raw(*model, in, true).at("debug.text_features")[0];
  };
  const at::Tensor joint = text_of("a cat . a remote control . the sofa .");
  const std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> prompts{{"a cat .", {1, 4}}, {"a remote control .", {4, 8}}, {"the sofa .", {8, 12}}};
  for (const auto& [caption, span] : prompts) {
    const at::Tensor alone = text_of(caption);
    INFO(caption);
    // the phrase's tokens (and its '.') are at positions 1.. alone and span.first.. in the joint caption
    CHECK(test::max_abs_diff(joint.narrow(0, span.first, span.second - span.first), alone.narrow(0, 1, span.second - span.first)) < 1e-5);
  }
}

TEST_CASE("grounding_dino: ontologies longer than max_text_len are split into chunks and merged", "[models][grounding_dino]") {
  nlohmann::ordered_json onto = nlohmann::ordered_json::object();
  const std::vector<std::string> words{"cat", "dog", "sofa", "remote", "bicycle", "red", "two", "the", "control", "a"};
  for (int i = 0; i < 60; ++i) onto[words[size_t(i) % 10] + " " + words[size_t(i / 10)] + " " + std::to_string(i % 7)] = "class" + std::to_string(i);
  auto model = load(onto.dump(), R"(, "box_threshold": 0.0, "text_threshold": 0.0)");
  const auto caps = model->captions();
  // max_text_len 32: each prompt is 3 words + '.', so at most 7 prompts per caption
  REQUIRE(caps.size() >= 9);
  size_t covered = 0;
  for (const auto& c : caps) covered += size_t(std::count(c.begin(), c.end(), '.'));
  CHECK(covered == 60);
  const auto pre = test::read_tensors(kDir / "preprocess.safetensors");
  const Detections d = model->predict(test::bgr_from_rgb_hwc(pre.at("image1_u8_hwc")));
  CHECK(d.size() == int64_t(12 * caps.size()));  // threshold 0: every query of every chunk
  for (int64_t i = 0; i < d.size(); ++i) {
    CHECK(d.class_id()(i) >= 0);
    CHECK(d.class_id()(i) < 60);
  }
}

TEST_CASE("grounding_dino: chunks reuse the image features and equal a fresh pass per caption", "[models][grounding_dino]") {
  // 8 prompts of 3 word pieces: [CLS] + 7 x 4 + [SEP] = 30 <= 32, the 8th starts a second caption
  auto model = load(R"({"two red dogs": "a", "a red cat": "b", "the red sofa": "c", "two red cats": "d", "a red dog": "e",
                        "the two sofa": "f", "a two cat": "g", "the red bicycle": "h"})",
                    R"(, "box_threshold": 0.0, "text_threshold": 0.0)");
  const auto caps = model->captions();
  REQUIRE(caps.size() == 2);
  const auto pre = test::read_tensors(kDir / "preprocess.safetensors");
  const cv::Mat img = test::bgr_from_rgb_hwc(pre.at("image1_u8_hwc"));
  const Detections d = model->predict(img);
  REQUIRE(d.size() == 24);
  for (size_t c = 0; c < caps.size(); ++c) {
    TensorMap in = encode_caption(*model, caps[c]);
    for (auto& [k, v] : preprocess(*model, {img})) in[k] = v;
    const at::Tensor boxes = forward_raw(*model, in).at("pred_boxes")[0];
    for (int64_t q = 0; q < 12; ++q) {
      const float cx = boxes[q][0].item<float>(), w = boxes[q][2].item<float>();
      CHECK(std::abs(d.xyxy()(int64_t(c) * 12 + q, 0) - std::clamp((cx - w / 2) * 150.f, 0.f, 150.f)) < 1e-4f);
    }
    CHECK(d.class_id()(int64_t(c) * 12) < (c == 0 ? 7 : 8));
  }
  CHECK(d.class_id()(12) == 7);  // the second caption holds only "the red bicycle"
}

TEST_CASE("grounding_dino: the bfloat16 path stays close to float32", "[models][grounding_dino]") {
  auto f32 = load(R"({"a cat": "cat"})");
  auto bf16 = load(R"({"a cat": "cat"})", R"(, "dtype": "bfloat16")");
  const auto inputs = test::read_tensors(kDir / "inputs.safetensors");
  const TensorMap a = forward_raw(*f32, inputs), b = forward_raw(*bf16, inputs);
  const at::Tensor finite = at::isfinite(a.at("logits"));
  const double dl = test::max_abs_diff(b.at("logits").masked_select(finite), a.at("logits").masked_select(finite));
  const double db = test::max_abs_diff(b.at("pred_boxes"), a.at("pred_boxes"));
  WARN("grounding_dino bf16 vs fp32: logits max abs diff " << dl << ", pred_boxes " << db);
  CHECK(at::equal(at::isfinite(b.at("logits")), finite));
  // random weights chosen to be scale-preserving, not robust: bf16 rounding (8-bit mantissa) moves
  // these by a few percent of their range
  CHECK(dl < 0.6);
  CHECK(db < 0.3);
}

TEST_CASE("grounding_dino: config defaults are upstream's; the full-size config is grounding-dino-tiny", "[models][grounding_dino]") {
  const auto d = grounding_dino::parse_config(nlohmann::json::object(), "empty");
  CHECK(d.d_model == 256);
  CHECK(d.num_queries == 900);
  CHECK(d.max_text_len == 256);
  CHECK(d.backbone.depths == std::vector<int64_t>{2, 2, 6, 2});
  CHECK(d.backbone.out_indices == std::vector<int64_t>{2, 3, 4});
  CHECK(d.text.hidden_size == 768);
  CHECK(d.positional_embedding_temperature == 20.0);
  // config_full.json is the fixture's config with every key written out: the diff form plus our
  // defaults give the same model
  const auto full = grounding_dino::load_config(kDir / "config_full.json");
  const auto diff = grounding_dino::load_config(kDir);
  CHECK(full.d_model == diff.d_model);
  CHECK(full.num_queries == diff.num_queries);
  CHECK(full.encoder_layers == diff.encoder_layers);
  CHECK(full.backbone.window_size == diff.backbone.window_size);
  CHECK(full.backbone.num_heads == diff.backbone.num_heads);
  CHECK(full.backbone.out_indices == diff.backbone.out_indices);
  CHECK(full.text.layer_norm_eps == diff.text.layer_norm_eps);
  CHECK(full.text.hidden_act == diff.text.hidden_act);
  CHECK(full.layer_norm_eps == diff.layer_norm_eps);
  CHECK(full.positional_embedding_temperature == diff.positional_embedding_temperature);
  CHECK_THROWS_WITH(grounding_dino::parse_config(nlohmann::json::parse(R"({"query_dim": 2, "two_stage": false})"), "t"),
                    Catch::Contains("query_dim"));
  // out_features alone select the stages; out_indices win when both are given
  const auto j = nlohmann::json::parse(R"({"backbone_config": {"model_type": "swin", "out_features": ["stage3", "stage4"]}})");
  CHECK(grounding_dino::parse_config(j, "t").backbone.out_indices == std::vector<int64_t>{3, 4});
  CHECK_THROWS_WITH(grounding_dino::parse_config(nlohmann::json::parse(R"({"position_embedding_type": "rope"})"), "t"),
                    Catch::Contains("position_embedding_type"));
  CHECK_THROWS_WITH(grounding_dino::parse_config(nlohmann::json::parse(R"({"backbone_config": {"model_type": "resnet"}})"), "t"),
                    Catch::Contains("only 'swin'"));
}

TEST_CASE("grounding_dino: every config branch builds the HF module tree and runs", "[models][grounding_dino]") {
  struct Case {
    const char* name;
    std::function<void(grounding_dino::Config&)> edit;
  };
  const std::vector<Case> cases{
      {"two_stage off", [](grounding_dino::Config& c) { c.two_stage = false; }},
      {"learned positions", [](grounding_dino::Config& c) { c.position_embedding_type = "learned"; }},
      {"5 levels (2 extra convs)", [](grounding_dino::Config& c) { c.num_feature_levels = 5; }},
      {"separate box heads", [](grounding_dino::Config& c) { c.decoder_bbox_embed_share = false; }},
      {"target from proposals", [](grounding_dino::Config& c) { c.embedding_init_target = false; }},
      {"one level", [](grounding_dino::Config& c) { c.num_feature_levels = 1; c.backbone.out_indices = {4}; }},
      {"stem + gelu", [](grounding_dino::Config& c) { c.backbone.out_indices = {0, 2, 4}; c.activation_function = "gelu"; }},
  };
  const auto inputs = test::read_tensors(kDir / "inputs.safetensors");
  for (const auto& k : cases) {
    INFO(k.name);
    grounding_dino::Config c = grounding_dino::load_config(kDir);
    k.edit(c);
    grounding_dino::GroundingDinoModel m(c);
    at::manual_seed(0);
    std::map<std::string, at::Tensor> names;
    for (auto& p : m.named_parameters()) {
      names[p.key()] = p.value();
      at::NoGradGuard g;
      p.value().normal_(0, 0.05);
    }
    CHECK(names.count("model.reference_points.weight") == size_t(!c.two_stage));
    CHECK(names.count("model.enc_output.weight") == size_t(c.two_stage));
    CHECK(names.count("model.backbone.position_embedding.row_embeddings.weight") == size_t(c.position_embedding_type == "learned"));
    CHECK(names.count("bbox_embed.1.layers.0.weight") == size_t(!c.decoder_bbox_embed_share));
    CHECK(names.count("model.query_position_embeddings.weight") == size_t(c.embedding_init_target || !c.two_stage));
    CHECK(names.count("model.input_proj_vision." + std::to_string(c.num_feature_levels - 1) + ".0.weight") == 1);
    c10::InferenceMode guard;
    const auto out = m.forward(inputs, true);
    CHECK(out.at("logits").sizes() == at::IntArrayRef{2, c.num_queries, c.max_text_len});
    CHECK(out.at("pred_boxes").sizes() == at::IntArrayRef{2, c.num_queries, 4});
    CHECK(at::isfinite(out.at("pred_boxes")).all().item<bool>());
    CHECK(out.count("enc_outputs_class") == size_t(c.two_stage));
    CHECK(out.at("debug.spatial_shapes").size(0) == c.num_feature_levels);
  }
}
