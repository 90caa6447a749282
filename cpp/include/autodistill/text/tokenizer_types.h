#pragma once
/// \file
/// Value types shared by the tokenizers.

#include <cstdint>
#include <vector>

namespace autodistill {

/// How `encode_batch` pads: not at all (ragged), to the longest sequence, or to `max_length`.
enum class Padding { kNone, kLongest, kMaxLength };

/// One encoded text. `attention_mask[i]` is 1 for real tokens, 0 for padding;
/// `token_type_ids` is all zeros (single sequence) and empty for tokenizers without it.
struct Encoding {
  std::vector<int64_t> input_ids;
  std::vector<int64_t> attention_mask;
  std::vector<int64_t> token_type_ids;
};

}  // namespace autodistill
