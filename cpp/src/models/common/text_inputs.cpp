#include "text_inputs.h"

#include <algorithm>
#include <cstring>

#include "autodistill/core/error.h"
#include "autodistill/text/clip_tokenizer.h"

namespace autodistill::clip_common {

std::pair<at::Tensor, at::Tensor> encode_texts(const CLIPTokenizer& tokenizer, const std::vector<std::string>& texts,
                                               int64_t max_length, bool pad_to_max, const std::string& model) {
  AD_CHECK(!texts.empty(), "{}: no texts to encode", model);
  std::vector<Encoding> enc;
  enc.reserve(texts.size());
  int64_t longest = 0;
  for (const std::string& t : texts) {
    Encoding e = tokenizer.encode(t, max_length, /*padding=*/false, /*truncation=*/false);
    AD_CHECK(int64_t(e.input_ids.size()) <= max_length,
             "{}: the prompt '{}' is {} tokens long with BOS/EOS, more than the model's context of {} tokens; "
             "shorten it",
             model, t, e.input_ids.size(), max_length);
    longest = std::max<int64_t>(longest, int64_t(e.input_ids.size()));
    enc.push_back(std::move(e));
  }
  const int64_t len = pad_to_max ? max_length : longest;
  const int64_t m = int64_t(texts.size());
  at::Tensor ids = at::full({m, len}, tokenizer.pad_id(), at::kLong);
  at::Tensor mask = at::zeros({m, len}, at::kLong);
  for (int64_t i = 0; i < m; ++i) {
    const auto& e = enc[size_t(i)];
    const int64_t n = int64_t(e.input_ids.size());
    std::memcpy(ids[i].data_ptr<int64_t>(), e.input_ids.data(), sizeof(int64_t) * size_t(n));
    mask[i].narrow(0, 0, n).fill_(1);
  }
  return {ids, mask};
}

}  // namespace autodistill::clip_common
