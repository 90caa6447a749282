#pragma once
// Prompts -> (input_ids, attention_mask) tensors for the CLIP text tower.

#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace autodistill {
class CLIPTokenizer;
}

namespace autodistill::clip_common {

/// Encodes `texts` with BOS/EOS, padded to `max_length` (pad_to_max) or to the longest text.
/// InvalidArgument naming the text and its token count when one needs more than `max_length`
/// tokens (the model's context). Returns int64 tensors (M, L).
std::pair<at::Tensor, at::Tensor> encode_texts(const CLIPTokenizer& tokenizer, const std::vector<std::string>& texts,
                                               int64_t max_length, bool pad_to_max, const std::string& model);

}  // namespace autodistill::clip_common
