#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/io/file_io.h"
#include "autodistill/text/bert_tokenizer.h"
#include "test_paths.h"

using namespace autodistill;
using json = nlohmann::json;
namespace fs = std::filesystem;

TEST_CASE("BertTokenizer matches transformers on every fixture case", "[text][bert]") {
  const fs::path folder = test::fixtures_dir() / "bert_tokenizer";
  const json doc = json::parse(read_text_file(folder / "cases.json"));
  const auto tok = BertTokenizer::from_folder(folder);
  for (const auto& [name, id] : doc["special_ids"].items()) CHECK(tok.token_to_id(name) == id.get<int64_t>());
  size_t matched = 0;
  for (const auto& c : doc["cases"]) {
    const std::string text = c["text"].get<std::string>();
    INFO("case: " << c["text_escaped"].get<std::string>());
    const auto words = tok.pre_tokenize(text);
    const auto tokens = tok.tokenize(text);
    const auto e = tok.encode(text);
    const auto decoded = tok.decode(e.input_ids);
    CHECK(words == c["words"].get<std::vector<std::string>>());
    CHECK(tokens == c["tokens"].get<std::vector<std::string>>());
    CHECK(e.input_ids == c["input_ids"].get<std::vector<int64_t>>());
    CHECK(e.attention_mask == c["attention_mask"].get<std::vector<int64_t>>());
    CHECK(e.token_type_ids == c["token_type_ids"].get<std::vector<int64_t>>());
    CHECK(decoded == c["decoded"].get<std::string>());
    matched += words == c["words"].get<std::vector<std::string>>() &&
               tokens == c["tokens"].get<std::vector<std::string>>() &&
               e.input_ids == c["input_ids"].get<std::vector<int64_t>>() &&
               decoded == c["decoded"].get<std::string>();
  }
  WARN("BERT fixture cases matched: " << matched << "/" << doc["cases"].size());
  CHECK(matched == doc["cases"].size());

  for (const auto& b : doc["batches"]) {
    const auto texts = b["texts"].get<std::vector<std::string>>();
    const auto longest = tok.encode_batch(texts, 0, Padding::kLongest);
    const auto fixed = tok.encode_batch(texts, 8, Padding::kMaxLength, true);
    for (size_t i = 0; i < texts.size(); ++i) {
      CHECK(longest[i].input_ids == b["padding_longest"]["input_ids"][i].get<std::vector<int64_t>>());
      CHECK(longest[i].attention_mask == b["padding_longest"]["attention_mask"][i].get<std::vector<int64_t>>());
      CHECK(longest[i].token_type_ids == b["padding_longest"]["token_type_ids"][i].get<std::vector<int64_t>>());
      CHECK(fixed[i].input_ids == b["max_length_8_truncation"]["input_ids"][i].get<std::vector<int64_t>>());
      CHECK(fixed[i].attention_mask == b["max_length_8_truncation"]["attention_mask"][i].get<std::vector<int64_t>>());
    }
  }
}

TEST_CASE("BertTokenizer decode skips specials and reports bad ids", "[text][bert]") {
  const auto tok = BertTokenizer::from_folder(test::fixtures_dir() / "bert_tokenizer");
  const auto e = tok.encode("a cat . the sofa .");
  CHECK(tok.decode(e.input_ids, true) == "a cat. the sofa.");
  CHECK_THROWS_AS(tok.decode({-1}), InvalidArgument);
  CHECK_THROWS_AS(tok.encode("x", 1), InvalidArgument);
  test::TempDir dir("bert_tok");
  CHECK_THROWS_AS(BertTokenizer::from_folder(dir.path()), IOError);
}
