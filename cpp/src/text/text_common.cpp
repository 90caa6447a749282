#include "text_common.h"

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/io/file_io.h"
#include "unicode.h"

namespace autodistill::text {
namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace unicode;

std::vector<TextPiece> split_added_tokens(const std::string& text, const std::vector<std::string>& added) {
  std::vector<TextPiece> out;
  size_t start = 0, i = 0;
  while (i < text.size()) {
    size_t best = 0;
    for (const auto& tok : added)
      if (tok.size() > best && text.compare(i, tok.size(), tok) == 0) best = tok.size();
    if (best == 0) {
      ++i;
      continue;
    }
    if (i > start) out.push_back({text.substr(start, i - start), false});
    out.push_back({text.substr(i, best), true});
    i += best;
    start = i;
  }
  if (start < text.size()) out.push_back({text.substr(start), false});
  return out;
}

std::vector<std::u32string> python_split(const std::u32string& s) {
  std::vector<std::u32string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_python_space(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !is_python_space(s[j])) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_chinese_char(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_bert_punctuation(char32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return is_punctuation_category(cp);
}

std::vector<std::u32string> basic_tokenize(const std::u32string& text, const BasicTokenizerOptions& options) {
  // _clean_text: drop NUL, U+FFFD and control/format characters; whitespace becomes ' '.
  std::u32string clean;
  clean.reserve(text.size() + 8);
  for (char32_t cp : text) {
    if (cp == 0 || cp == 0xFFFD) continue;
    const bool ws = cp == U' ' || cp == U'\t' || cp == U'\n' || cp == U'\r' || category(cp) == Category::Zs;
    if (ws) {
      clean.push_back(U' ');
      continue;
    }
    if (is_other(cp)) continue;
    if (options.tokenize_chinese_chars && is_chinese_char(cp)) {
      clean.push_back(U' ');
      clean.push_back(cp);
      clean.push_back(U' ');
    } else {
      clean.push_back(cp);
    }
  }
  const bool strip = options.strip_accents.value_or(options.do_lower_case);
  std::vector<std::u32string> split;
  for (std::u32string& token : python_split(nfc(clean))) {
    if (options.never_split.count(token)) {
      split.push_back(std::move(token));
      continue;
    }
    if (options.do_lower_case) token = to_lower(token);
    if (strip) {
      std::u32string stripped;
      for (char32_t cp : nfd(token))
        if (category(cp) != Category::Mn) stripped.push_back(cp);
      token = std::move(stripped);
    }
    if (!options.split_on_punctuation) {
      split.push_back(std::move(token));
      continue;
    }
    std::u32string current;
    for (char32_t cp : token) {
      if (is_bert_punctuation(cp)) {
        if (!current.empty()) split.push_back(std::move(current));
        current.clear();
        split.emplace_back(1, cp);
      } else {
        current.push_back(cp);
      }
    }
    if (!current.empty()) split.push_back(std::move(current));
  }
  // whitespace_tokenize(" ".join(split)): drops empty pieces (stripping can empty a token).
  std::vector<std::u32string> out;
  for (auto& t : split) {
    for (auto& piece : python_split(t)) out.push_back(std::move(piece));
  }
  return out;
}

std::optional<json> read_json_if_exists(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  try {
    return json::parse(read_text_file(path));
  } catch (const json::exception& e) {
    AD_THROW(IOError, "'{}' is not valid JSON: {}", path.string(), e.what());
  }
}

namespace {
std::optional<std::string> token_content(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string())
    return value["content"].get<std::string>();
  return std::nullopt;
}
}  // namespace

TokenizerFiles read_tokenizer_files(const fs::path& folder) {
  static const char* kKeys[] = {"bos_token", "eos_token", "unk_token", "pad_token",
                                "cls_token", "sep_token", "mask_token"};
  TokenizerFiles out;
  const fs::path config_path = folder / "tokenizer_config.json";
  out.config = read_json_if_exists(config_path);
  if (out.config) {
    const json& c = *out.config;
    AD_CHECK_IO(c.is_object(), "'{}' must hold a JSON object", config_path.string());
    for (const char* key : kKeys)
      if (c.contains(key))
        if (auto v = token_content(c[key])) out.special[key] = *v;
    if (c.contains("model_max_length") && c["model_max_length"].is_number_integer())
      out.model_max_length = c["model_max_length"].get<int64_t>();
    if (c.contains("clean_up_tokenization_spaces") && c["clean_up_tokenization_spaces"].is_boolean())
      out.clean_up_tokenization_spaces = c["clean_up_tokenization_spaces"].get<bool>();
    if (c.contains("added_tokens_decoder") && c["added_tokens_decoder"].is_object()) {
      for (const auto& [id, tok] : c["added_tokens_decoder"].items()) {
        auto content = token_content(tok);
        AD_CHECK_IO(content.has_value(), "'{}': added_tokens_decoder entry {} has no content", config_path.string(),
                    id);
        try {
          out.added_tokens[*content] = std::stoll(id);
        } catch (const std::exception&) {
          AD_THROW(IOError, "'{}': added_tokens_decoder key '{}' is not an id", config_path.string(), id);
        }
      }
    }
  }
  const fs::path map_path = folder / "special_tokens_map.json";
  if (auto m = read_json_if_exists(map_path)) {
    AD_CHECK_IO(m->is_object(), "'{}' must hold a JSON object", map_path.string());
    for (const char* key : kKeys)
      if (m->contains(key))
        if (auto v = token_content((*m)[key])) out.special[key] = *v;
  }
  return out;
}

std::string clean_up_tokenization(std::string text) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
      {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) {
    const std::string f = from, t = to;
    std::string out;
    size_t pos = 0;
    while (true) {
      size_t hit = text.find(f, pos);
      if (hit == std::string::npos) break;
      out.append(text, pos, hit - pos);
      out += t;
      pos = hit + f.size();
    }
    out.append(text, pos, std::string::npos);
    text = std::move(out);
  }
  return text;
}

std::string python_strip(const std::string& s) {
  std::u32string u = utf8_decode(s);
  size_t a = 0, b = u.size();
  while (a < b && is_python_space(u[a])) ++a;
  while (b > a && is_python_space(u[b - 1])) --b;
  return utf8_encode(std::u32string_view(u).substr(a, b - a));
}

}  // namespace autodistill::text
