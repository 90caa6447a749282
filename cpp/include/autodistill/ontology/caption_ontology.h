#pragma once
/// \file
/// `CaptionOntology`: text prompts sent to a base model, each mapped to a class name of the dataset.
/// Several prompts may map to one class ("car" and "truck" -> "vehicle"). Class ids are the order in
/// which class names first appear, so {"person": "human", "car": "vehicle", "man": "human"} gives
/// classes ["human", "vehicle"] and prompt class ids [0, 1, 0]. Immutable after construction.

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace autodistill {

class CaptionOntology {
 public:
  using PromptClassPairs = std::vector<std::pair<std::string, std::string>>;

  /// (prompt, class) pairs in order. Throws InvalidArgument when empty, when a prompt or class is
  /// empty/blank, or when a prompt appears twice.
  explicit CaptionOntology(PromptClassPairs prompt_to_class);
  /// `CaptionOntology({{"person", "person"}, {"car", "vehicle"}})`.
  CaptionOntology(std::initializer_list<std::pair<std::string, std::string>> prompt_to_class)
      : CaptionOntology(PromptClassPairs(prompt_to_class)) {}

  /// Parses JSON text: an object {"prompt": "class", ...} (key order kept), or a list of
  /// ["prompt", "class"] pairs, or a list of {"prompt": ..., "class": ...} objects.
  /// Malformed input is InvalidArgument naming what is wrong (and where, with `source`).
  static CaptionOntology from_json(const std::string& json_text, const std::string& source = "ontology");
  /// Reads a JSON file (IOError if unreadable; InvalidArgument naming the file if malformed).
  static CaptionOntology load(const std::filesystem::path& path);
  /// `{"prompt": "class", ...}` with the prompts in order.
  std::string to_json(int indent = 2) const;
  /// Writes to_json() atomically (temporary file + rename).
  void save(const std::filesystem::path& path) const;

  const std::vector<std::string>& prompts() const noexcept { return prompts_; }
  /// Distinct class names in order of first appearance; index = class id.
  const std::vector<std::string>& classes() const noexcept { return classes_; }
  /// (prompt, class) pairs in order.
  PromptClassPairs prompt_to_class() const;
  /// (class, [prompts...]) in class id order.
  std::vector<std::pair<std::string, std::vector<std::string>>> class_to_prompts() const;
  /// Class id of the prompt at `prompt_index` (0 <= prompt_index < prompts().size()).
  int64_t prompt_class_id(size_t prompt_index) const;
  /// Class ids of every prompt, in prompt order.
  const std::vector<int64_t>& prompt_class_ids() const noexcept { return prompt_class_ids_; }
  /// Class name for a prompt; InvalidArgument if the prompt is not in the ontology.
  const std::string& class_for_prompt(const std::string& prompt) const;
  /// Class id for a class name, or -1.
  int64_t class_id(const std::string& class_name) const;

  size_t size() const noexcept { return prompts_.size(); }
  bool operator==(const CaptionOntology& other) const {
    return prompts_ == other.prompts_ && prompt_class_ids_ == other.prompt_class_ids_ &&
           classes_ == other.classes_;
  }
  bool operator!=(const CaptionOntology& other) const { return !(*this == other); }

 private:
  std::vector<std::string> prompts_;
  std::vector<std::string> classes_;
  std::vector<int64_t> prompt_class_ids_;
};

}  // namespace autodistill
