// models/owlvit/ and models/owlv2/: OWL-ViT and OWLv2 as Python classes with the raw forward pass.
#include "torch_numpy.h"

#include "autodistill/models/owlvit/owlvit_torch.h"
#include "bindings.h"

namespace autodistill::python {
namespace {

template <typename Model>
void bind_owl(py::module_& m, const char* python_name, const char* registry_name, const char* doc) {
  auto cls = bind_registered_model<Model>(m, python_name, registry_name, doc);
  def_from_pretrained<Model>(cls, registry_name);
  cls.def(
      "forward_raw",
      [](Model& self, const py::dict& inputs) {
        return forward_raw_py(self, inputs, [](Model& mdl, const TensorMap& in) { return forward_raw(mdl, in); });
      },
      py::arg("inputs"),
      "{'pixel_values': (B,3,S,S) float, 'input_ids': (B*Q,L) int, 'attention_mask': (B*Q,L) int} -> outputs named\n"
      "as transformers' detection model (logits, pred_boxes, text_embeds, image_embeds, class_embeds,\n"
      "text_last_hidden_state, text_pooler_output, vision_last_hidden_state[, objectness_logits]), float32.");
}

}  // namespace

void bind_models_owl(py::module_& m) {
  bind_owl<OWLViT>(m, "OWLViT", "owlvit",
                   "OWL-ViT (v1) open-vocabulary detector from a Hugging Face OwlViTForObjectDetection folder.");
  bind_owl<OWLv2>(m, "OWLv2", "owlv2",
                  "OWLv2 open-vocabulary detector from a Hugging Face Owlv2ForObjectDetection folder; boxes are\n"
                  "mapped back through the pad-to-square pre-processing.");
}

}  // namespace autodistill::python
