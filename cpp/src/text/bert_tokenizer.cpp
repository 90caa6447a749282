#include "autodistill/text/bert_tokenizer.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/io/file_io.h"
#include "text_common.h"
#include "unicode.h"

namespace autodistill {
namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace text;
using namespace text::unicode;

struct BertTokenizer::Impl {
  std::unordered_map<std::string, int64_t> vocab;
  std::unordered_map<int64_t, std::string> inverse;
  std::vector<std::string> specials;            // all special tokens (never split, never lower-cased)
  std::unordered_set<int64_t> special_ids;
  BasicTokenizerOptions basic;
  std::unordered_set<std::string> init_never_split;  // tokenizer_config "never_split"
  int64_t cls = 0, sep = 0, pad = 0, unk = 0, mask = 0, max_len = 512;
  std::string unk_token = "[UNK]";
  size_t max_chars_per_word = 100;
  bool clean_up = true;

  int64_t id_of(const std::string& t) const {
    auto it = vocab.find(t);
    return it != vocab.end() ? it->second : unk;
  }

  // PreTrainedTokenizer.tokenize lower-cases everything but the special tokens one code point at
  // a time (so no final-sigma rule), before splitting on them.
  std::string lower_outside_specials(const std::string& text) const {
    std::string out;
    for (const auto& piece : split_added_tokens(text, specials)) {
      if (piece.is_added) {
        out += piece.text;
      } else {
        out += utf8_encode(to_lower(utf8_decode(piece.text), /*final_sigma=*/false));
      }
    }
    return out;
  }

  // Calls f(word, is_special) for each unit the wordpiece stage sees.
  template <typename F>
  void walk(const std::string& text, F&& f) const {
    const std::string prepared = basic.do_lower_case ? lower_outside_specials(text) : text;
    for (const auto& piece : split_added_tokens(prepared, specials)) {
      if (piece.is_added) {
        f(piece.text, true);
        continue;
      }
      for (const auto& w : basic_tokenize(utf8_decode(piece.text), basic)) {
        const std::string word = utf8_encode(w);
        f(word, init_never_split.count(word) != 0);
      }
    }
  }

  void wordpiece(const std::string& word, std::vector<std::string>& out) const {
    const std::u32string chars = utf8_decode(word);
    if (chars.size() > max_chars_per_word) {
      out.push_back(unk_token);
      return;
    }
    std::vector<std::string> pieces;
    size_t start = 0;
    while (start < chars.size()) {
      size_t end = chars.size();
      std::string found;
      while (start < end) {
        std::string sub = utf8_encode(std::u32string_view(chars).substr(start, end - start));
        if (start > 0) sub = "##" + sub;
        if (vocab.count(sub)) {
          found = std::move(sub);
          break;
        }
        --end;
      }
      if (found.empty()) {
        out.push_back(unk_token);  // one unmatched position makes the whole word unknown
        return;
      }
      pieces.push_back(std::move(found));
      start = end;
    }
    out.insert(out.end(), pieces.begin(), pieces.end());
  }
};

BertTokenizer::BertTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BertTokenizer::BertTokenizer(BertTokenizer&&) noexcept = default;
BertTokenizer& BertTokenizer::operator=(BertTokenizer&&) noexcept = default;
BertTokenizer::~BertTokenizer() = default;

BertTokenizer BertTokenizer::from_folder(const fs::path& folder) {
  auto impl = std::make_unique<Impl>();
  const fs::path vocab_path = folder / "vocab.txt";
  std::error_code ec;
  AD_CHECK_IO(fs::is_directory(folder, ec), "BERT tokenizer folder '{}' does not exist", folder.string());
  AD_CHECK_IO(fs::exists(vocab_path, ec), "BERT tokenizer: '{}' is missing", vocab_path.string());
  const std::string text = read_text_file(vocab_path);
  // transformers: readlines(), rstrip("\n"), id = line number (a repeated token keeps its last id).
  int64_t index = 0;
  for (size_t pos = 0; pos < text.size(); ++index) {
    size_t nl = text.find('\n', pos);
    const std::string token = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    impl->vocab[token] = index;
    pos = nl == std::string::npos ? text.size() : nl + 1;
  }
  AD_CHECK_IO(!impl->vocab.empty(), "BERT tokenizer: '{}' is empty", vocab_path.string());
  for (const auto& [tok, id] : impl->vocab) impl->inverse[id] = tok;

  TokenizerFiles files = read_tokenizer_files(folder);
  auto special = [&](const char* key, const char* fallback) {
    auto it = files.special.find(key);
    return it != files.special.end() ? it->second : std::string(fallback);
  };
  const std::string cls = special("cls_token", "[CLS]"), sep = special("sep_token", "[SEP]"),
                    pad = special("pad_token", "[PAD]"), unk = special("unk_token", "[UNK]"),
                    mask = special("mask_token", "[MASK]");
  impl->unk_token = unk;
  for (const std::string* t : {&unk, &sep, &pad, &cls, &mask}) {
    impl->specials.push_back(*t);
    AD_CHECK_IO(impl->vocab.count(*t), "BERT tokenizer: special token '{}' is not in '{}'", *t, vocab_path.string());
  }
  for (const auto& [content, id] : files.added_tokens) {
    if (std::find(impl->specials.begin(), impl->specials.end(), content) == impl->specials.end())
      impl->specials.push_back(content);
    impl->vocab.emplace(content, id);
    impl->inverse.emplace(id, content);
  }
  impl->cls = impl->vocab.at(cls);
  impl->sep = impl->vocab.at(sep);
  impl->pad = impl->vocab.at(pad);
  impl->unk = impl->vocab.at(unk);
  impl->mask = impl->vocab.at(mask);
  impl->special_ids = {impl->cls, impl->sep, impl->pad, impl->unk, impl->mask};
  impl->max_len = files.model_max_length.value_or(512);
  impl->clean_up = files.clean_up_tokenization_spaces.value_or(true);
  for (const auto& s : impl->specials) impl->basic.never_split.insert(utf8_decode(s));
  if (files.config) {
    const json& c = *files.config;
    if (c.contains("do_lower_case") && c["do_lower_case"].is_boolean())
      impl->basic.do_lower_case = c["do_lower_case"].get<bool>();
    if (c.contains("strip_accents") && c["strip_accents"].is_boolean())
      impl->basic.strip_accents = c["strip_accents"].get<bool>();
    if (c.contains("tokenize_chinese_chars") && c["tokenize_chinese_chars"].is_boolean())
      impl->basic.tokenize_chinese_chars = c["tokenize_chinese_chars"].get<bool>();
    if (c.contains("never_split") && c["never_split"].is_array())
      for (const auto& t : c["never_split"])
        if (t.is_string()) {
          impl->init_never_split.insert(t.get<std::string>());
          impl->basic.never_split.insert(utf8_decode(t.get<std::string>()));
        }
  }
  return BertTokenizer(std::move(impl));
}

std::vector<std::string> BertTokenizer::pre_tokenize(const std::string& text) const {
  std::vector<std::string> out;
  impl_->walk(text, [&](const std::string& w, bool special) {
    if (!special) out.push_back(w);
  });
  return out;
}

std::vector<std::string> BertTokenizer::tokenize(const std::string& text) const {
  std::vector<std::string> out;
  impl_->walk(text, [&](const std::string& w, bool special) {
    if (special)
      out.push_back(w);
    else
      impl_->wordpiece(w, out);
  });
  return out;
}

Encoding BertTokenizer::encode(const std::string& text, int64_t max_length, bool padding, bool truncation) const {
  if (max_length <= 0) max_length = impl_->max_len;
  AD_CHECK(!truncation || max_length >= 2, "BertTokenizer.encode: max_length must be >= 2 ([CLS] and [SEP]), got {}",
           max_length);
  std::vector<int64_t> ids;
  for (const auto& t : tokenize(text)) ids.push_back(impl_->id_of(t));
  if (truncation && static_cast<int64_t>(ids.size()) + 2 > max_length) ids.resize(static_cast<size_t>(max_length - 2));
  Encoding e;
  e.input_ids.push_back(impl_->cls);
  e.input_ids.insert(e.input_ids.end(), ids.begin(), ids.end());
  e.input_ids.push_back(impl_->sep);
  e.attention_mask.assign(e.input_ids.size(), 1);
  if (padding && static_cast<int64_t>(e.input_ids.size()) < max_length) {
    e.input_ids.resize(static_cast<size_t>(max_length), impl_->pad);
    e.attention_mask.resize(static_cast<size_t>(max_length), 0);
  }
  e.token_type_ids.assign(e.input_ids.size(), 0);
  return e;
}

std::vector<Encoding> BertTokenizer::encode_batch(const std::vector<std::string>& texts, int64_t max_length,
                                                  Padding padding, bool truncation) const {
  std::vector<Encoding> out;
  for (const auto& t : texts) out.push_back(encode(t, max_length, padding == Padding::kMaxLength, truncation));
  if (padding == Padding::kLongest) {
    size_t longest = 0;
    for (const auto& e : out) longest = std::max(longest, e.input_ids.size());
    for (auto& e : out) {
      e.input_ids.resize(longest, impl_->pad);
      e.attention_mask.resize(longest, 0);
      e.token_type_ids.resize(longest, 0);
    }
  }
  return out;
}

std::string BertTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  for (int64_t id : ids) {
    if (skip_special_tokens && impl_->special_ids.count(id)) continue;
    auto it = impl_->inverse.find(id);
    AD_CHECK(it != impl_->inverse.end(), "BertTokenizer.decode: id {} is not in the vocabulary (size {})", id,
             impl_->vocab.size());
    tokens.push_back(it->second);
  }
  const std::string joined = fmt::format("{}", fmt::join(tokens, " "));
  std::string text;
  for (size_t pos = 0;;) {
    size_t hit = joined.find(" ##", pos);
    text.append(joined, pos, hit == std::string::npos ? std::string::npos : hit - pos);
    if (hit == std::string::npos) break;
    pos = hit + 3;
  }
  text = python_strip(text);
  return impl_->clean_up ? clean_up_tokenization(text) : text;
}

int64_t BertTokenizer::cls_id() const { return impl_->cls; }
int64_t BertTokenizer::sep_id() const { return impl_->sep; }
int64_t BertTokenizer::pad_id() const { return impl_->pad; }
int64_t BertTokenizer::unk_id() const { return impl_->unk; }
int64_t BertTokenizer::mask_id() const { return impl_->mask; }
int64_t BertTokenizer::vocab_size() const { return static_cast<int64_t>(impl_->vocab.size()); }
int64_t BertTokenizer::model_max_length() const { return impl_->max_len; }

std::optional<int64_t> BertTokenizer::token_to_id(const std::string& token) const {
  auto it = impl_->vocab.find(token);
  if (it == impl_->vocab.end()) return std::nullopt;
  return it->second;
}

}  // namespace autodistill
