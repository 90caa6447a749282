#pragma once
/// \file
/// Reading a model's JSON options: typed getters with defaults, and a final check that rejects
/// keys the model does not know (a typo such as "confidense" must not be silently ignored).

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/ontology/caption_ontology.h"

namespace autodistill {

class OptionReader {
 public:
  /// `options` must be a JSON object (or null for "all defaults").
  OptionReader(const nlohmann::ordered_json& options, std::string model_name);

  /// The value under `key` converted to T, or `fallback` when absent or null.
  template <typename T>
  T get(const std::string& key, T fallback) {
    known_.insert(key);
    auto it = options_.find(key);
    if (it == options_.end() || it->is_null()) return fallback;
    try {
      return it->template get<T>();
    } catch (const nlohmann::json::exception&) {
      AD_THROW(InvalidArgument, "{}: option '{}' has the wrong type (got {})", model_name_, key,
               it->dump());
    }
  }

  /// The "ontology" option; InvalidArgument if absent or malformed.
  CaptionOntology ontology();

  /// InvalidArgument listing unknown keys and the accepted ones.
  void finish() const;

 private:
  nlohmann::ordered_json options_;
  std::string model_name_;
  std::set<std::string> known_;
};

}  // namespace autodistill
