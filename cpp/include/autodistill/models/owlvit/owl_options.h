#pragma once
/// \file
/// Options shared by `OWLViT` and `OWLv2`.

#include <string>

namespace autodistill {

struct OwlOptions {
  /// Hugging Face checkpoint folder (required): config.json, model.safetensors,
  /// preprocessor_config.json (optional: upstream defaults), vocab.json, merges.txt.
  std::string weights;
  /// "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:N".
  std::string device = "auto";
  /// "float32", "bfloat16" (CPU or CUDA) or "float16" (CUDA only).
  std::string dtype = "float32";
  /// A patch is reported when sigmoid(max logit over the prompts) > box_threshold (upstream's
  /// post_process_object_detection threshold; the autodistill plugins use 0.1).
  float box_threshold = 0.1f;
  /// Per-class NMS IoU applied after thresholding; 1 turns NMS off.
  float nms_iou = 0.5f;
  /// Images per forward pass.
  int batch_size = 4;

  /// InvalidArgument naming the first bad field; `model` prefixes the message.
  void validate(const std::string& model) const;
};

}  // namespace autodistill
