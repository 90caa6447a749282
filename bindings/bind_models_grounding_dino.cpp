// models/grounding_dino/: Grounding DINO as a Python class with the raw forward pass.
#include "torch_numpy.h"

#include <pybind11/stl.h>

#include "autodistill/models/grounding_dino/grounding_dino_torch.h"
#include "bindings.h"

namespace autodistill::python {

void bind_models_grounding_dino(py::module_& m) {
  auto cls = bind_registered_model<GroundingDINO>(
      m, "GroundingDINO", "grounding_dino",
      "Grounding DINO open-set detector from a Hugging Face GroundingDinoForObjectDetection folder; the whole\n"
      "ontology is one caption ('a . b . c .'), split into chunks when longer than max_text_len.");
  def_from_pretrained<GroundingDINO>(cls, "grounding_dino");
  cls.def(
      "forward_raw",
      [](GroundingDINO& self, const py::dict& inputs, bool debug) {
        return forward_raw_py(self, inputs, [debug](GroundingDINO& mdl, const TensorMap& in) { return forward_raw(mdl, in, debug); });
      },
      py::arg("inputs"), py::arg("debug") = false,
      "{'pixel_values': (B,3,H,W) float, 'input_ids': (B,L) int[, 'pixel_mask': (B,H,W), 'attention_mask', 'token_type_ids']}\n"
      "-> transformers' output names (logits, pred_boxes, last_hidden_state, init_reference_points, intermediate_*,\n"
      "encoder_last_hidden_state_vision/_text, enc_outputs_class, enc_outputs_coord_logits, encoder_text_hidden_states.i,\n"
      "decoder_hidden_states.i), float32; debug=True adds the debug.* intermediates.");
  cls.def("captions", [](GroundingDINO& self) { return self.captions(); },
          "The caption(s) one predict() runs: the ontology's prompts joined with ' . '.");
}

}  // namespace autodistill::python
