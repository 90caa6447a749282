#pragma once
/// \file
/// Loading a safetensors checkpoint into a model's parameters with every name and shape checked.
/// A mismatch is one IOError listing ALL missing, unexpected and misshapen tensors.

#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "autodistill/io/safetensors.h"

namespace torch::nn {
class Module;
}

namespace autodistill {

struct WeightsLoadOptions {
  /// Prefix rewrites applied to each file tensor name before matching, first match wins:
  /// {"text_model.", "text."} maps "text_model.x.weight" to "text.x.weight". An empty `to`
  /// strips the prefix.
  std::vector<std::pair<std::string, std::string>> renames;
  /// File tensors (after renames) starting with one of these prefixes are ignored instead of
  /// being reported as unexpected (e.g. "text_model.embeddings.position_ids").
  std::vector<std::string> ignore_unexpected;
  /// Model tensors starting with one of these prefixes may be absent from the file.
  std::vector<std::string> allow_missing;
  /// Convert the file's dtype to the parameter's (otherwise a dtype mismatch is an error).
  bool convert_dtype = true;
};

/// What `load_state_dict` did.
struct WeightsLoadReport {
  std::vector<std::string> loaded;             ///< model names, in the order given
  std::vector<std::string> ignored;            ///< file names skipped via ignore_unexpected
  std::vector<std::string> allowed_missing;    ///< model names left untouched via allow_missing
};

/// Copies each file tensor into the model tensor of the same (renamed) name, under no-grad.
/// `params` are handles (e.g. from Module::named_parameters): copying into them updates the
/// module. Shapes must match exactly. IOError naming the file and listing every problem:
/// "missing: a [3, 4]", "unexpected: b [2]", "misshapen: c expected [3] got [4]".
WeightsLoadReport load_state_dict(const std::vector<std::pair<std::string, at::Tensor>>& params,
                                  const SafetensorsFile& file, const WeightsLoadOptions& options = {});

/// The same for a module: its named parameters and buffers (recursively, names joined by '.').
WeightsLoadReport load_state_dict(torch::nn::Module& module, const SafetensorsFile& file,
                                  const WeightsLoadOptions& options = {});

}  // namespace autodistill
