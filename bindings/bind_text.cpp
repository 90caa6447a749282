// Python bindings for text/: the CLIP BPE and BERT WordPiece tokenizers.
#include "bindings.h"
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "autodistill/core/error.h"
#include "autodistill/text/bert_tokenizer.h"
#include "autodistill/text/clip_tokenizer.h"

namespace py = pybind11;

namespace autodistill::python {
namespace {

Padding parse_padding(const py::object& padding) {
  if (padding.is_none()) return Padding::kNone;
  if (py::isinstance<py::bool_>(padding)) return padding.cast<bool>() ? Padding::kLongest : Padding::kNone;
  const std::string p = padding.cast<std::string>();
  if (p == "max_length") return Padding::kMaxLength;
  if (p == "longest") return Padding::kLongest;
  if (p == "do_not_pad") return Padding::kNone;
  AD_THROW(InvalidArgument, "padding must be 'max_length', 'longest', 'do_not_pad', True or False; got '{}'", p);
}

py::array_t<int64_t> vector_to_numpy(const std::vector<int64_t>& v) {
  py::array_t<int64_t> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

// Stacks encodings into a (B, L) array; they must share one length (pad to get there).
py::array_t<int64_t> stack(const std::vector<Encoding>& batch, std::vector<int64_t> Encoding::*field) {
  const size_t length = batch.empty() ? 0 : (batch.front().*field).size();
  for (const auto& e : batch)
    AD_CHECK((e.*field).size() == length,
             "encode_batch: sequences have different lengths ({} vs {}); use padding='longest' or 'max_length'",
             (e.*field).size(), length);
  py::array_t<int64_t> out({static_cast<py::ssize_t>(batch.size()), static_cast<py::ssize_t>(length)});
  int64_t* dst = out.mutable_data();
  for (const auto& e : batch) dst = std::copy((e.*field).begin(), (e.*field).end(), dst);
  return out;
}

}  // namespace

void bind_text(py::module_& m) {
  py::class_<CLIPTokenizer>(m, "CLIPTokenizer",
                            "CLIP byte-level BPE tokenizer, identical to transformers' slow CLIPTokenizer without ftfy.")
      .def(py::init([](const std::filesystem::path& folder, std::optional<std::string> pad_token) {
             return CLIPTokenizer::from_folder(folder, std::move(pad_token));
           }),
           py::arg("folder"), py::arg("pad_token") = py::none(),
           "Loads vocab.json + merges.txt (+ tokenizer_config.json, special_tokens_map.json) from `folder`.\n"
           "OWL-ViT / OWLv2 use pad_token='!'.")
      .def(
          "encode",
          [](const CLIPTokenizer& t, const std::string& text, int64_t max_length, const py::object& padding,
             bool truncation) {
            const Padding p = parse_padding(padding);
            Encoding e;
            {
              py::gil_scoped_release release;
              e = t.encode(text, max_length, p == Padding::kMaxLength, truncation);
            }
            return py::make_tuple(vector_to_numpy(e.input_ids), vector_to_numpy(e.attention_mask));
          },
          py::arg("text"), py::arg("max_length") = 77, py::arg("padding") = "max_length", py::arg("truncation") = true,
          "-> (input_ids, attention_mask), int64 arrays of shape (L,).")
      .def(
          "encode_batch",
          [](const CLIPTokenizer& t, const std::vector<std::string>& texts, int64_t max_length,
             const py::object& padding, bool truncation) {
            const Padding p = parse_padding(padding);
            std::vector<Encoding> batch;
            {
              py::gil_scoped_release release;
              batch = t.encode_batch(texts, max_length, p, truncation);
            }
            return py::make_tuple(stack(batch, &Encoding::input_ids), stack(batch, &Encoding::attention_mask));
          },
          py::arg("texts"), py::arg("max_length") = 77, py::arg("padding") = "max_length", py::arg("truncation") = true,
          "-> (input_ids, attention_mask), int64 arrays of shape (B, L).")
      .def("tokenize", &CLIPTokenizer::tokenize, py::arg("text"))
      .def("decode", &CLIPTokenizer::decode, py::arg("ids"), py::arg("skip_special_tokens") = false)
      .def_property_readonly("bos_token_id", &CLIPTokenizer::bos_id)
      .def_property_readonly("eos_token_id", &CLIPTokenizer::eos_id)
      .def_property_readonly("pad_token_id", &CLIPTokenizer::pad_id)
      .def_property_readonly("unk_token_id", &CLIPTokenizer::unk_id)
      .def_property_readonly("vocab_size", &CLIPTokenizer::vocab_size)
      .def_property_readonly("model_max_length", &CLIPTokenizer::model_max_length);

  py::class_<BertTokenizer>(m, "BertTokenizer",
                            "BERT WordPiece tokenizer, identical to transformers' slow BertTokenizer.")
      .def(py::init([](const std::filesystem::path& folder) { return BertTokenizer::from_folder(folder); }),
           py::arg("folder"), "Loads vocab.txt (+ tokenizer_config.json, special_tokens_map.json) from `folder`.")
      .def(
          "encode",
          [](const BertTokenizer& t, const py::object& text, std::optional<int64_t> max_length,
             const py::object& padding, bool truncation) {
            const Padding p = parse_padding(padding);
            const bool batched = !py::isinstance<py::str>(text);
            std::vector<std::string> texts =
                batched ? text.cast<std::vector<std::string>>() : std::vector<std::string>{text.cast<std::string>()};
            std::vector<Encoding> batch;
            {
              py::gil_scoped_release release;
              batch = t.encode_batch(texts, max_length.value_or(0), p, truncation);
            }
            py::dict out;
            if (batched) {
              out["input_ids"] = stack(batch, &Encoding::input_ids);
              out["token_type_ids"] = stack(batch, &Encoding::token_type_ids);
              out["attention_mask"] = stack(batch, &Encoding::attention_mask);
            } else {
              out["input_ids"] = vector_to_numpy(batch[0].input_ids);
              out["token_type_ids"] = vector_to_numpy(batch[0].token_type_ids);
              out["attention_mask"] = vector_to_numpy(batch[0].attention_mask);
            }
            return out;
          },
          py::arg("text"), py::arg("max_length") = py::none(), py::arg("padding") = "longest",
          py::arg("truncation") = true,
          "text: a str -> arrays (L,); a list of str -> arrays (B, L).\n"
          "-> {'input_ids', 'token_type_ids', 'attention_mask'} as int64 numpy arrays.")
      .def("tokenize", &BertTokenizer::tokenize, py::arg("text"))
      .def("decode", &BertTokenizer::decode, py::arg("ids"), py::arg("skip_special_tokens") = false)
      .def_property_readonly("cls_token_id", &BertTokenizer::cls_id)
      .def_property_readonly("sep_token_id", &BertTokenizer::sep_id)
      .def_property_readonly("pad_token_id", &BertTokenizer::pad_id)
      .def_property_readonly("vocab_size", &BertTokenizer::vocab_size);
}

}  // namespace autodistill::python
