#pragma once
// Pieces shared by the CLIP and BERT tokenizers that mirror Hugging Face's slow (Python)
// tokenizers: the added-token split done by PreTrainedTokenizer.tokenize, BasicTokenizer's
// clean-up, Python's str.split(), and reading special tokens from the tokenizer files.

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace autodistill::text {

/// A piece of the input: an added (special) token, or text between them.
struct TextPiece {
  std::string text;
  bool is_added = false;
};

/// Splits `text` on exact, case-sensitive occurrences of `added` tokens, leftmost first and
/// longest at a position (as transformers' Trie.split). Empty text pieces are dropped.
std::vector<TextPiece> split_added_tokens(const std::string& text, const std::vector<std::string>& added);

/// Python str.split() on a code-point string.
std::vector<std::u32string> python_split(const std::u32string& s);

struct BasicTokenizerOptions {
  bool do_lower_case = true;
  /// nullopt: follow do_lower_case (as transformers' strip_accents=None).
  std::optional<bool> strip_accents;
  bool tokenize_chinese_chars = true;
  bool split_on_punctuation = true;
  /// Whitespace tokens left untouched (neither lower-cased nor split).
  std::set<std::u32string> never_split;
};

/// transformers' BasicTokenizer.tokenize.
std::vector<std::u32string> basic_tokenize(const std::u32string& text, const BasicTokenizerOptions& options);

bool is_chinese_char(char32_t cp);
/// BERT's punctuation: ASCII 33-47, 58-64, 91-96, 123-126 or a P* category.
bool is_bert_punctuation(char32_t cp);

/// Reads a JSON file; nullopt if absent; IOError naming the file if malformed.
std::optional<nlohmann::json> read_json_if_exists(const std::filesystem::path& path);

/// Special token strings and settings from tokenizer_config.json overlaid by special_tokens_map.json
/// (the order transformers applies them). A token may be a string or {"content": ...}.
struct TokenizerFiles {
  std::map<std::string, std::string> special;      // "bos_token" -> "<|startoftext|>", ...
  std::map<std::string, int64_t> added_tokens;     // added_tokens_decoder content -> id
  std::optional<int64_t> model_max_length;
  std::optional<bool> clean_up_tokenization_spaces;
  std::optional<nlohmann::json> config;            // tokenizer_config.json as read
};
TokenizerFiles read_tokenizer_files(const std::filesystem::path& folder);

/// transformers' clean_up_tokenization (" ." -> "." and friends).
std::string clean_up_tokenization(std::string text);

/// Strips Python whitespace from both ends of a UTF-8 string.
std::string python_strip(const std::string& s);

}  // namespace autodistill::text
