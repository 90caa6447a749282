// models/clip/: CLIP as a Python class, with embeddings for curation and the raw forward pass.
#include "torch_numpy.h"

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "autodistill/core/image.h"
#include "autodistill/models/clip/clip_torch.h"
#include "bindings.h"
#include "numpy_mat.h"

namespace autodistill::python {
namespace {

py::array matrix_to_numpy(const EmbeddingMatrix& m) {
  py::array_t<float> out({py::ssize_t(m.rows()), py::ssize_t(m.cols())});
  if (m.size()) std::memcpy(out.mutable_data(), m.data(), sizeof(float) * size_t(m.size()));
  return std::move(out);
}

std::vector<cv::Mat> images_arg(const py::iterable& images, std::vector<py::object>& keep) {
  std::vector<cv::Mat> out;
  for (py::handle h : images) {
    if (py::isinstance<py::str>(h) || py::hasattr(h, "__fspath__")) {
      out.push_back(load_image(h.cast<std::filesystem::path>()));
      continue;
    }
    ImageView v = image_from_numpy(h);
    keep.push_back(v.owner);
    out.push_back(v.mat);
  }
  return out;
}

}  // namespace

void bind_models_clip(py::module_& m) {
  auto cls = bind_registered_model<CLIP, ClassificationBaseModel>(
      m, "CLIP", "clip",
      "CLIP zero-shot classifier (Hugging Face CLIPModel checkpoint folder), a ClassificationBaseModel and a\n"
      "BaseModel: classify() gives every class the probability of its prompts; predict() returns one\n"
      "whole-image detection with the most likely class. embed_image / embed_text give\n"
      "L2-normalised embeddings; forward_raw runs the model on Hugging Face-named arrays.");
  def_from_pretrained<CLIP>(cls, "clip");
  cls.def(
      "forward_raw",
      [](CLIP& self, const py::dict& inputs) {
        return forward_raw_py(self, inputs, [](CLIP& mdl, const TensorMap& in) { return forward_raw(mdl, in); });
      },
      py::arg("inputs"),
      "{'pixel_values': (B,3,S,S) float, 'input_ids': (M,L) int, 'attention_mask': (M,L) int} -> outputs named as\n"
      "transformers' CLIPModel (image_embeds, text_embeds, logits_per_image, logits_per_text, text_last_hidden_state,\n"
      "text_pooler_output, vision_last_hidden_state, vision_pooler_output), float32.");
  cls.def(
      "embed_image",
      [](CLIP& self, const py::iterable& images) {
        std::vector<py::object> keep;
        const std::vector<cv::Mat> mats = images_arg(images, keep);
        EmbeddingMatrix e;
        {
          py::gil_scoped_release release;
          e = self.embed_image(mats);
        }
        return matrix_to_numpy(e);
      },
      py::arg("images"), "Images (BGR uint8 arrays or paths) -> (N, D) float32 L2-normalised embeddings.");
  cls.def(
      "embed_text",
      [](CLIP& self, const std::vector<std::string>& texts) {
        EmbeddingMatrix e;
        {
          py::gil_scoped_release release;
          e = self.embed_text(texts);
        }
        return matrix_to_numpy(e);
      },
      py::arg("texts"), "Texts -> (M, D) float32 L2-normalised embeddings.");
}

}  // namespace autodistill::python
