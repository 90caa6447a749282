#pragma once
/// \file
/// BERT's WordPiece tokenizer, matching Hugging Face's slow `BertTokenizer` (used by Grounding
/// DINO): special tokens split out, per-code-point lower-casing, BasicTokenizer clean-up
/// (control characters dropped, whitespace normalised, CJK ideographs split out, NFC, accents
/// stripped with NFD when lower-casing, punctuation split), then greedy longest-match-first
/// WordPiece with "##" continuations and [UNK] for unknown or over-long words.
///
/// Thread-safety: all methods are const and safe to call concurrently.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "autodistill/text/tokenizer_types.h"

namespace autodistill {

class BertTokenizer {
 public:
  /// Loads vocab.txt, plus tokenizer_config.json / special_tokens_map.json when present
  /// (do_lower_case, strip_accents, tokenize_chinese_chars, special tokens, model_max_length).
  static BertTokenizer from_folder(const std::filesystem::path& folder);

  BertTokenizer(BertTokenizer&&) noexcept;
  BertTokenizer& operator=(BertTokenizer&&) noexcept;
  ~BertTokenizer();

  /// The words WordPiece receives (special tokens in the text are not listed).
  std::vector<std::string> pre_tokenize(const std::string& text) const;
  /// Word pieces, special tokens kept: e.g. {"the", "so", "##fa"}.
  std::vector<std::string> tokenize(const std::string& text) const;

  /// [CLS] + ids + [SEP]; truncation cuts ids so that at most `max_length` entries remain
  /// (max_length <= 0 means model_max_length); padding appends [PAD] (mask 0) up to max_length.
  Encoding encode(const std::string& text, int64_t max_length = 0, bool padding = false, bool truncation = true) const;
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, int64_t max_length = 0,
                                     Padding padding = Padding::kLongest, bool truncation = true) const;

  /// " ".join(tokens) with " ##" removed, then transformers' clean-up of spaces before punctuation.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const;

  int64_t cls_id() const;
  int64_t sep_id() const;
  int64_t pad_id() const;
  int64_t unk_id() const;
  int64_t mask_id() const;
  int64_t vocab_size() const;
  int64_t model_max_length() const;
  std::optional<int64_t> token_to_id(const std::string& token) const;

 private:
  struct Impl;
  explicit BertTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace autodistill
