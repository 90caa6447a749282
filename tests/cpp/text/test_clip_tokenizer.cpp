#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/io/file_io.h"
#include "autodistill/text/clip_tokenizer.h"
#include "test_paths.h"

using namespace autodistill;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<int64_t> ids_of(const json& j) { return j.get<std::vector<int64_t>>(); }

// Runs every case of a cases.json produced by the reference generator; returns the number matched.
size_t check_clip_cases(const fs::path& folder) {
  const json doc = json::parse(read_text_file(folder / "cases.json"));
  const auto clip = CLIPTokenizer::from_folder(folder);
  const auto owl = CLIPTokenizer::from_folder(folder, std::string("!"));
  REQUIRE(clip.bos_id() == doc["special_ids"]["bos"].get<int64_t>());
  REQUIRE(clip.eos_id() == doc["special_ids"]["eos"].get<int64_t>());
  REQUIRE(clip.pad_id() == doc["special_ids"]["clip_pad"].get<int64_t>());
  REQUIRE(owl.pad_id() == doc["special_ids"]["owlvit_pad"].get<int64_t>());
  size_t matched = 0;
  for (const auto& c : doc["cases"]) {
    const std::string text = c["text"].get<std::string>();
    INFO("case text: " << c["text"].dump());
    bool ok = true;
    const auto tokens = clip.tokenize(text);
    CHECK(tokens == c["tokens"].get<std::vector<std::string>>());
    ok &= tokens == c["tokens"].get<std::vector<std::string>>();
    const Encoding plain = clip.encode(text, 0, /*padding=*/false, /*truncation=*/false);
    CHECK(plain.input_ids == ids_of(c["input_ids"]));
    ok &= plain.input_ids == ids_of(c["input_ids"]);
    if (c.contains("num_tokens")) CHECK(static_cast<int64_t>(plain.input_ids.size()) == c["num_tokens"].get<int64_t>());
    const Encoding e77 = clip.encode(text, 77);
    CHECK(e77.input_ids == ids_of(c["clip_max77"]["input_ids"]));
    CHECK(e77.attention_mask == ids_of(c["clip_max77"]["attention_mask"]));
    ok &= e77.input_ids == ids_of(c["clip_max77"]["input_ids"]) &&
          e77.attention_mask == ids_of(c["clip_max77"]["attention_mask"]);
    const Encoding e16 = owl.encode(text, 16);
    CHECK(e16.input_ids == ids_of(c["owlvit_max16"]["input_ids"]));
    CHECK(e16.attention_mask == ids_of(c["owlvit_max16"]["attention_mask"]));
    ok &= e16.input_ids == ids_of(c["owlvit_max16"]["input_ids"]) &&
          e16.attention_mask == ids_of(c["owlvit_max16"]["attention_mask"]);
    if (c.contains("owlvit_unpadded") && c["owlvit_unpadded"].is_object()) {
      const auto& u = c["owlvit_unpadded"];
      CHECK(owl.tokenize(text) == u["tokens"].get<std::vector<std::string>>());
      CHECK(owl.encode(text, 0, false, false).input_ids == ids_of(u["input_ids"]));
      ok &= owl.tokenize(text) == u["tokens"].get<std::vector<std::string>>() &&
            owl.encode(text, 0, false, false).input_ids == ids_of(u["input_ids"]);
    }
    matched += ok ? 1 : 0;
  }
  return matched;
}

}  // namespace

TEST_CASE("CLIPTokenizer matches transformers on the shipped fixture", "[text][clip]") {
  const fs::path folder = test::fixtures_dir() / "clip_tokenizer";
  const json doc = json::parse(read_text_file(folder / "cases.json"));
  const size_t matched = check_clip_cases(folder);
  WARN("CLIP fixture cases matched: " << matched << "/" << doc["cases"].size());
  CHECK(matched == doc["cases"].size());
}

TEST_CASE("CLIPTokenizer matches transformers on the real CLIP vocabulary", "[text][clip][shared]") {
  const fs::path folder = test::shared_dir() / "fixtures" / "clip_tokenizer_real";
  test::skip_unless_exists(folder / "cases.json");
  const json doc = json::parse(read_text_file(folder / "cases.json"));
  const size_t matched = check_clip_cases(folder);
  WARN("real CLIP vocabulary cases matched: " << matched << "/" << doc["cases"].size());
  CHECK(matched == doc["cases"].size());
}

TEST_CASE("CLIPTokenizer encode: truncation, padding, batches and decode", "[text][clip]") {
  const auto tok = CLIPTokenizer::from_folder(test::fixtures_dir() / "clip_tokenizer");
  const std::string text = "a photo of a cat a photo of a cat";
  const auto full = tok.encode(text, 0, false, false);
  REQUIRE(full.input_ids.size() == 12);

  SECTION("truncation keeps BOS and EOS") {
    const auto e = tok.encode(text, 5);
    CHECK(e.input_ids == std::vector<int64_t>{tok.bos_id(), full.input_ids[1], full.input_ids[2], full.input_ids[3],
                                              tok.eos_id()});
    CHECK(e.attention_mask == std::vector<int64_t>(5, 1));
  }
  SECTION("no truncation leaves long texts long") {
    CHECK(tok.encode(text, 5, true, false).input_ids.size() == 12);
  }
  SECTION("max_length below 2 is rejected when truncating") {
    CHECK_THROWS_AS(tok.encode(text, 1), InvalidArgument);
  }
  SECTION("batch padding to the longest") {
    const auto batch = tok.encode_batch({"a cat", text}, 77, Padding::kLongest);
    REQUIRE(batch.size() == 2);
    CHECK(batch[0].input_ids.size() == 12);
    CHECK(batch[0].attention_mask == std::vector<int64_t>{1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0});
    CHECK(batch[1].input_ids == full.input_ids);
  }
  SECTION("decode round trip") {
    CHECK(tok.decode(full.input_ids, /*skip_special_tokens=*/true) == text);
    CHECK(tok.decode(tok.encode("it's a dog's life, isn't it?", 0, false, false).input_ids, true) ==
          "it's a dog's life, isn 't it?");  // as transformers: no clean-up rule for " 't"
    CHECK(tok.decode({tok.bos_id(), tok.eos_id()}) == "<|startoftext|><|endoftext|>");
    CHECK(tok.decode(tok.encode("café 🐈", 0, false, false).input_ids, true) == "café 🐈");
    CHECK_THROWS_AS(tok.decode({1 << 30}), InvalidArgument);
  }
  SECTION("special tokens in the text map to their ids") {
    CHECK(tok.encode("<|endoftext|>cat", 0, false, false).input_ids ==
          std::vector<int64_t>{tok.bos_id(), tok.eos_id(), tok.token_to_id("cat</w>").value(), tok.eos_id()});
  }
}

TEST_CASE("CLIPTokenizer reports missing or malformed files", "[text][clip]") {
  test::TempDir dir("clip_tok");
  CHECK_THROWS_AS(CLIPTokenizer::from_folder(dir.path() / "nope"), IOError);
  CHECK_THROWS_AS(CLIPTokenizer::from_folder(dir.path()), IOError);
  write_file_atomic(dir / "vocab.json", "{not json");
  write_file_atomic(dir / "merges.txt", "#version: 0.2\n");
  try {
    CLIPTokenizer::from_folder(dir.path());
    FAIL("expected IOError");
  } catch (const IOError& e) {
    CHECK_THAT(e.message(), Catch::Contains("vocab.json"));
  }
}
