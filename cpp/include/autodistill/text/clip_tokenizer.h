#pragma once
/// \file
/// CLIP's byte-level BPE tokenizer, matching Hugging Face's slow `CLIPTokenizer` as it runs
/// without ftfy: BasicTokenizer clean-up (control characters dropped, whitespace normalised,
/// spaces around CJK ideographs, NFC, lower-case), CLIP's pre-tokenisation regex, UTF-8 bytes
/// mapped to printable symbols, BPE with "</w>" on each word's last symbol, BOS/EOS.
/// Special tokens (BOS, EOS, UNK, PAD and added tokens) found verbatim in the text are split out
/// first and map straight to their ids, as in transformers: with OWL-ViT's pad token "!", every
/// "!" in the text becomes id 0.
///
/// Thread-safety: all methods are const and safe to call concurrently (the BPE cache is locked).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "autodistill/text/tokenizer_types.h"

namespace autodistill {

class CLIPTokenizer {
 public:
  /// Loads vocab.json and merges.txt, plus tokenizer_config.json / special_tokens_map.json when
  /// present (special tokens, model_max_length). `pad_token` overrides the files' pad token
  /// (OWL-ViT and OWLv2 use "!"). IOError naming the file on a missing or malformed file.
  static CLIPTokenizer from_folder(const std::filesystem::path& folder,
                                   std::optional<std::string> pad_token = std::nullopt);

  CLIPTokenizer(CLIPTokenizer&&) noexcept;
  CLIPTokenizer& operator=(CLIPTokenizer&&) noexcept;
  ~CLIPTokenizer();

  /// BPE tokens of `text` (UTF-8), without BOS/EOS: e.g. {"a</w>", "photo</w>"}.
  std::vector<std::string> tokenize(const std::string& text) const;
  /// Ids of `tokenize(text)` (unknown tokens map to the UNK id), without BOS/EOS.
  std::vector<int64_t> token_ids(const std::string& text) const;

  /// BOS + ids + EOS. With `truncation`, ids are cut so that the result has at most `max_length`
  /// entries and still ends with EOS; with `padding`, PAD ids (mask 0) fill it up to `max_length`.
  /// InvalidArgument if `max_length` < 2 while truncating.
  Encoding encode(const std::string& text, int64_t max_length = 77, bool padding = true,
                  bool truncation = true) const;
  /// `encode` for each text; kLongest pads to the longest result.
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, int64_t max_length = 77,
                                     Padding padding = Padding::kMaxLength, bool truncation = true) const;

  /// Ids back to text: byte symbols to UTF-8 (invalid sequences become U+FFFD), "</w>" to spaces,
  /// then transformers' clean-up of spaces before punctuation when the files ask for it.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const;

  int64_t bos_id() const;
  int64_t eos_id() const;
  int64_t pad_id() const;
  int64_t unk_id() const;
  int64_t vocab_size() const;
  /// model_max_length from tokenizer_config.json (77 when absent).
  int64_t model_max_length() const;
  /// Id of `token` (added tokens included); nullopt if unknown.
  std::optional<int64_t> token_to_id(const std::string& token) const;

 private:
  struct Impl;
  explicit CLIPTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace autodistill
