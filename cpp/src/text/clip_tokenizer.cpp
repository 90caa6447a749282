#include "autodistill/text/clip_tokenizer.h"

#include <algorithm>
#include <climits>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

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

namespace {

// transformers keeps at most this many merges (CLIP's vocabulary: 49152 - 256 - 2 + 1 lines).
constexpr size_t kMaxMergeLines = 49152 - 256 - 2 + 1;
const std::string kEndOfWord = "</w>";

// GPT-2's reversible byte -> printable code point table.
std::vector<char32_t> bytes_to_unicode() {
  std::vector<char32_t> table(256, 0);
  std::vector<bool> direct(256, false);
  for (int b = '!'; b <= '~'; ++b) direct[b] = true;
  for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
  for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
  int n = 0;
  for (int b = 0; b < 256; ++b) table[b] = direct[b] ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
  return table;
}

bool match_at(const std::u32string& s, size_t i, std::u32string_view lit) {
  return s.compare(i, lit.size(), lit.data(), lit.size()) == 0;
}

// CLIP's pattern: <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// (re.IGNORECASE; the text is lower-cased already, so only U+017F 'long s' still folds to 's').
std::vector<std::u32string> clip_pretokenize(const std::u32string& s) {
  static const std::u32string_view kSpecials[] = {U"<|startoftext|>", U"<|endoftext|>"};
  static const std::u32string_view kContractions[] = {U"s", U"t", U"re", U"ve", U"m", U"ll", U"d"};
  std::vector<std::u32string> out;
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    bool done = false;
    for (auto lit : kSpecials) {
      if (match_at(s, i, lit)) {
        out.emplace_back(lit);
        i += lit.size();
        done = true;
        break;
      }
    }
    if (done) continue;
    if (s[i] == U'\'' && i + 1 < n) {
      for (auto c : kContractions) {
        bool ok = i + 1 + c.size() <= n;
        for (size_t k = 0; ok && k < c.size(); ++k) {
          const char32_t x = s[i + 1 + k];
          ok = x == c[k] || (c[k] == U's' && x == 0x17F);
        }
        if (ok) {
          out.push_back(s.substr(i, 1 + c.size()));
          i += 1 + c.size();
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    const char32_t cp = s[i];
    if (is_letter(cp)) {
      size_t j = i + 1;
      while (j < n && is_letter(s[j])) ++j;
      out.push_back(s.substr(i, j - i));
      i = j;
    } else if (is_number(cp)) {
      out.push_back(s.substr(i, 1));
      ++i;
    } else if (!is_white_space(cp)) {
      size_t j = i + 1;
      while (j < n && !is_white_space(s[j]) && !is_letter(s[j]) && !is_number(s[j])) ++j;
      out.push_back(s.substr(i, j - i));
      i = j;
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace

struct CLIPTokenizer::Impl {
  fs::path folder;
  std::unordered_map<std::string, int64_t> encoder;
  std::unordered_map<int64_t, std::string> decoder;
  std::unordered_map<std::string, int64_t> ranks;  // "first second" -> rank
  std::unordered_map<std::string, int64_t> added;  // added/special token -> id
  std::unordered_map<int64_t, std::string> added_inverse;
  std::vector<std::string> added_list;
  std::vector<std::string> byte_encoder;  // byte -> UTF-8 of its symbol
  std::unordered_map<char32_t, uint8_t> byte_decoder;
  int64_t bos = 0, eos = 0, pad = 0, unk = 0, max_len = 77;
  std::unordered_set<int64_t> special_ids;
  bool clean_up = true;
  mutable std::mutex cache_mutex;
  mutable std::unordered_map<std::string, std::vector<std::string>> cache;

  int64_t id_of(const std::string& token) const {
    if (auto it = added.find(token); it != added.end()) return it->second;
    if (auto it = encoder.find(token); it != encoder.end()) return it->second;
    return unk;
  }

  std::vector<std::string> bpe(const std::string& token) const {
    {
      std::lock_guard<std::mutex> lock(cache_mutex);
      if (auto it = cache.find(token); it != cache.end()) return it->second;
    }
    // Symbols are whole code points of the byte-mapped string; the last one carries "</w>".
    std::vector<std::string> word;
    for (size_t i = 0; i < token.size();) {
      size_t len = 1;
      const auto b = static_cast<unsigned char>(token[i]);
      if (b >= 0xF0) len = 4;
      else if (b >= 0xE0) len = 3;
      else if (b >= 0xC0) len = 2;
      word.push_back(token.substr(i, len));
      i += len;
    }
    if (!word.empty()) word.back() += kEndOfWord;
    while (word.size() > 1) {
      int64_t best = INT64_MAX;
      size_t best_i = 0;
      for (size_t i = 0; i + 1 < word.size(); ++i) {
        auto it = ranks.find(word[i] + " " + word[i + 1]);
        if (it != ranks.end() && it->second < best) {
          best = it->second;
          best_i = i;
        }
      }
      if (best == INT64_MAX) break;
      const std::string first = word[best_i], second = word[best_i + 1];
      std::vector<std::string> merged;
      merged.reserve(word.size());
      for (size_t i = 0; i < word.size();) {
        if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
          merged.push_back(first + second);
          i += 2;
        } else {
          merged.push_back(word[i]);
          ++i;
        }
      }
      word = std::move(merged);
    }
    std::lock_guard<std::mutex> lock(cache_mutex);
    cache.emplace(token, word);
    return word;
  }

  std::vector<std::string> tokenize_text(const std::string& text) const {
    // BasicTokenizer(do_lower_case=True, strip_accents=False, do_split_on_punc=False), joined by ' '.
    BasicTokenizerOptions basic;
    basic.do_lower_case = true;
    basic.strip_accents = false;
    basic.split_on_punctuation = false;
    std::u32string joined;
    for (const auto& w : basic_tokenize(utf8_decode(text), basic)) {
      if (!joined.empty()) joined.push_back(U' ');
      joined += w;
    }
    std::vector<std::string> out;
    for (const auto& piece : clip_pretokenize(joined)) {
      std::string mapped;
      for (unsigned char b : utf8_encode(piece)) mapped += byte_encoder[b];
      for (auto& t : bpe(mapped)) out.push_back(std::move(t));
    }
    return out;
  }
};

CLIPTokenizer::CLIPTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CLIPTokenizer::CLIPTokenizer(CLIPTokenizer&&) noexcept = default;
CLIPTokenizer& CLIPTokenizer::operator=(CLIPTokenizer&&) noexcept = default;
CLIPTokenizer::~CLIPTokenizer() = default;

CLIPTokenizer CLIPTokenizer::from_folder(const fs::path& folder, std::optional<std::string> pad_token) {
  auto impl = std::make_unique<Impl>();
  impl->folder = folder;
  const fs::path vocab_path = folder / "vocab.json";
  const fs::path merges_path = folder / "merges.txt";
  std::error_code ec;
  AD_CHECK_IO(fs::is_directory(folder, ec), "CLIP tokenizer folder '{}' does not exist", folder.string());
  AD_CHECK_IO(fs::exists(vocab_path, ec), "CLIP tokenizer: '{}' is missing", vocab_path.string());
  AD_CHECK_IO(fs::exists(merges_path, ec), "CLIP tokenizer: '{}' is missing", merges_path.string());

  json vocab;
  try {
    vocab = json::parse(read_text_file(vocab_path));
  } catch (const json::exception& e) {
    AD_THROW(IOError, "CLIP tokenizer: '{}' is not valid JSON: {}", vocab_path.string(), e.what());
  }
  AD_CHECK_IO(vocab.is_object() && !vocab.empty(), "CLIP tokenizer: '{}' must be a non-empty object token -> id",
              vocab_path.string());
  for (const auto& [token, id] : vocab.items()) {
    AD_CHECK_IO(id.is_number_integer(), "CLIP tokenizer: '{}': id of token '{}' is not an integer",
                vocab_path.string(), token);
    impl->encoder[token] = id.get<int64_t>();
    impl->decoder[id.get<int64_t>()] = token;
  }

  // transformers: strip the file, split on '\n', drop the first (version) line, keep 48894 lines.
  const std::string merges = read_text_file(merges_path);
  std::vector<std::string> lines;
  {
    const std::string stripped = python_strip(merges);
    size_t pos = 0;
    while (pos <= stripped.size()) {
      size_t nl = stripped.find('\n', pos);
      if (nl == std::string::npos) nl = stripped.size();
      lines.push_back(stripped.substr(pos, nl - pos));
      pos = nl + 1;
    }
  }
  for (size_t i = 1; i < lines.size() && i < kMaxMergeLines; ++i) {
    std::vector<std::u32string> parts = python_split(utf8_decode(lines[i]));
    if (parts.size() != 2) continue;  // such a line can never match a pair
    impl->ranks[utf8_encode(parts[0]) + " " + utf8_encode(parts[1])] = static_cast<int64_t>(i - 1);
  }

  const auto bytes = bytes_to_unicode();
  impl->byte_encoder.resize(256);
  for (int b = 0; b < 256; ++b) {
    std::string s;
    append_utf8(s, bytes[b]);
    impl->byte_encoder[b] = s;
    impl->byte_decoder[bytes[b]] = static_cast<uint8_t>(b);
  }

  TokenizerFiles files = read_tokenizer_files(folder);
  auto special = [&](const char* key, const char* fallback) {
    auto it = files.special.find(key);
    return it != files.special.end() ? it->second : std::string(fallback);
  };
  const std::string bos = special("bos_token", "<|startoftext|>");
  const std::string eos = special("eos_token", "<|endoftext|>");
  const std::string unk = special("unk_token", "<|endoftext|>");
  const std::string pad = pad_token ? *pad_token : special("pad_token", "<|endoftext|>");
  impl->max_len = files.model_max_length.value_or(77);
  impl->clean_up = files.clean_up_tokenization_spaces.value_or(true);

  // Added tokens keep their configured ids; specials not yet known take their vocab id or a new one.
  for (const auto& [content, id] : files.added_tokens) impl->added[content] = id;
  int64_t next_id = static_cast<int64_t>(impl->encoder.size());
  for (const auto& [content, id] : files.added_tokens) next_id = std::max(next_id, id + 1);
  for (const std::string* tok : {&bos, &eos, &unk, &pad}) {
    if (impl->added.count(*tok)) continue;
    auto it = impl->encoder.find(*tok);
    impl->added[*tok] = it != impl->encoder.end() ? it->second : next_id++;
  }
  for (const auto& [content, id] : impl->added) {
    impl->added_inverse[id] = content;
    impl->added_list.push_back(content);
  }
  impl->unk = impl->added.at(unk);
  impl->bos = impl->added.at(bos);
  impl->eos = impl->added.at(eos);
  impl->pad = impl->added.at(pad);
  impl->special_ids = {impl->bos, impl->eos, impl->unk, impl->pad};
  // transformers seeds the BPE cache so that these strings are never split.
  impl->cache["<|startoftext|>"] = {"<|startoftext|>"};
  impl->cache["<|endoftext|>"] = {"<|endoftext|>"};
  return CLIPTokenizer(std::move(impl));
}

std::vector<std::string> CLIPTokenizer::tokenize(const std::string& text) const {
  std::vector<std::string> out;
  for (const auto& piece : split_added_tokens(text, impl_->added_list)) {
    if (piece.is_added) {
      out.push_back(piece.text);
    } else {
      for (auto& t : impl_->tokenize_text(piece.text)) out.push_back(std::move(t));
    }
  }
  return out;
}

std::vector<int64_t> CLIPTokenizer::token_ids(const std::string& text) const {
  std::vector<int64_t> ids;
  for (const auto& t : tokenize(text)) ids.push_back(impl_->id_of(t));
  return ids;
}

Encoding CLIPTokenizer::encode(const std::string& text, int64_t max_length, bool padding, bool truncation) const {
  AD_CHECK(!truncation || max_length >= 2, "CLIPTokenizer.encode: max_length must be >= 2 (BOS and EOS), got {}",
           max_length);
  AD_CHECK(!padding || max_length >= 0, "CLIPTokenizer.encode: max_length must be >= 0, got {}", max_length);
  std::vector<int64_t> ids = token_ids(text);
  if (truncation && static_cast<int64_t>(ids.size()) + 2 > max_length) ids.resize(static_cast<size_t>(max_length - 2));
  Encoding e;
  e.input_ids.reserve(ids.size() + 2);
  e.input_ids.push_back(impl_->bos);
  e.input_ids.insert(e.input_ids.end(), ids.begin(), ids.end());
  e.input_ids.push_back(impl_->eos);
  e.attention_mask.assign(e.input_ids.size(), 1);
  if (padding && static_cast<int64_t>(e.input_ids.size()) < max_length) {
    e.input_ids.resize(static_cast<size_t>(max_length), impl_->pad);
    e.attention_mask.resize(static_cast<size_t>(max_length), 0);
  }
  return e;
}

std::vector<Encoding> CLIPTokenizer::encode_batch(const std::vector<std::string>& texts, int64_t max_length,
                                                  Padding padding, bool truncation) const {
  std::vector<Encoding> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(encode(t, max_length, padding == Padding::kMaxLength, truncation));
  if (padding == Padding::kLongest) {
    size_t longest = 0;
    for (const auto& e : out) longest = std::max(longest, e.input_ids.size());
    for (auto& e : out) {
      e.input_ids.resize(longest, impl_->pad);
      e.attention_mask.resize(longest, 0);
    }
  }
  return out;
}

std::string CLIPTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::string symbols;
  for (int64_t id : ids) {
    if (skip_special_tokens && impl_->special_ids.count(id)) continue;
    if (auto it = impl_->added_inverse.find(id); it != impl_->added_inverse.end()) {
      symbols += it->second;
    } else if (auto jt = impl_->decoder.find(id); jt != impl_->decoder.end()) {
      symbols += jt->second;
    } else {
      AD_THROW(InvalidArgument, "CLIPTokenizer.decode: id {} is not in the vocabulary (size {})", id,
               impl_->encoder.size());
    }
  }
  std::string bytes;
  for (char32_t cp : utf8_decode(symbols)) {
    auto it = impl_->byte_decoder.find(cp);
    if (it != impl_->byte_decoder.end())
      bytes.push_back(static_cast<char>(it->second));
    else
      append_utf8(bytes, cp);
  }
  std::string text = utf8_encode(utf8_decode(bytes));  // invalid UTF-8 -> U+FFFD, as errors="replace"
  std::string spaced;
  for (size_t pos = 0;;) {
    size_t hit = text.find(kEndOfWord, pos);
    spaced.append(text, pos, hit == std::string::npos ? std::string::npos : hit - pos);
    if (hit == std::string::npos) break;
    spaced += ' ';
    pos = hit + kEndOfWord.size();
  }
  text = python_strip(spaced);
  return impl_->clean_up ? clean_up_tokenization(text) : text;
}

int64_t CLIPTokenizer::bos_id() const { return impl_->bos; }
int64_t CLIPTokenizer::eos_id() const { return impl_->eos; }
int64_t CLIPTokenizer::pad_id() const { return impl_->pad; }
int64_t CLIPTokenizer::unk_id() const { return impl_->unk; }
int64_t CLIPTokenizer::vocab_size() const { return static_cast<int64_t>(impl_->encoder.size()); }
int64_t CLIPTokenizer::model_max_length() const { return impl_->max_len; }

std::optional<int64_t> CLIPTokenizer::token_to_id(const std::string& token) const {
  if (auto it = impl_->added.find(token); it != impl_->added.end()) return it->second;
  if (auto it = impl_->encoder.find(token); it != impl_->encoder.end()) return it->second;
  return std::nullopt;
}

}  // namespace autodistill
