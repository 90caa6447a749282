#include "autodistill/ontology/caption_ontology.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "autodistill/core/error.h"
#include "autodistill/io/file_io.h"

namespace autodistill {
namespace {
using ojson = nlohmann::ordered_json;

bool is_blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

std::string entry_string(const ojson& v, const std::string& what, const std::string& where) {
  AD_CHECK(v.is_string(), "{}: {} must be a string, got {}", where, what, v.dump());
  return v.get<std::string>();
}
}  // namespace

CaptionOntology::CaptionOntology(PromptClassPairs pairs) {
  AD_CHECK(!pairs.empty(), "ontology is empty: give at least one prompt -> class pair, e.g. {{\"person\": \"person\"}}");
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto& [prompt, cls] = pairs[i];
    AD_CHECK(!is_blank(prompt), "ontology entry {}: the prompt is empty", i);
    AD_CHECK(!is_blank(cls), "ontology entry {} ('{}'): the class name is empty", i, prompt);
    AD_CHECK(seen.insert(prompt).second, "ontology: prompt '{}' appears more than once", prompt);
    auto it = std::find(classes_.begin(), classes_.end(), cls);
    if (it == classes_.end()) {
      prompt_class_ids_.push_back(static_cast<int64_t>(classes_.size()));
      classes_.push_back(cls);
    } else {
      prompt_class_ids_.push_back(static_cast<int64_t>(it - classes_.begin()));
    }
    prompts_.push_back(prompt);
  }
}

CaptionOntology CaptionOntology::from_json(const std::string& text, const std::string& source) {
  ojson j;
  try {
    j = ojson::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    AD_THROW(InvalidArgument, "{}: not valid JSON ({})", source, e.what());
  }
  PromptClassPairs pairs;
  if (j.is_object()) {
    for (const auto& [prompt, cls] : j.items())
      pairs.emplace_back(prompt, entry_string(cls, fmt::format("the class of prompt '{}'", prompt), source));
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) {
      const ojson& e = j[i];
      if (e.is_array()) {
        AD_CHECK(e.size() == 2, "{}: entry {} must be [prompt, class], got {}", source, i, e.dump());
        pairs.emplace_back(entry_string(e[0], fmt::format("entry {} prompt", i), source),
                           entry_string(e[1], fmt::format("entry {} class", i), source));
      } else if (e.is_object()) {
        AD_CHECK(e.contains("prompt") && e.contains("class"),
                 "{}: entry {} must have \"prompt\" and \"class\", got {}", source, i, e.dump());
        pairs.emplace_back(entry_string(e["prompt"], fmt::format("entry {} prompt", i), source),
                           entry_string(e["class"], fmt::format("entry {} class", i), source));
      } else {
        AD_THROW(InvalidArgument, "{}: entry {} must be [prompt, class] or {{\"prompt\":..., \"class\":...}}, got {}",
                 source, i, e.dump());
      }
    }
  } else {
    AD_THROW(InvalidArgument, "{}: expected an object {{\"prompt\": \"class\"}} or a list of pairs, got {}", source,
             j.dump());
  }
  try {
    return CaptionOntology(std::move(pairs));
  } catch (const InvalidArgument& e) {
    AD_THROW(InvalidArgument, "{}: {}", source, e.message());
  }
}

CaptionOntology CaptionOntology::load(const std::filesystem::path& path) {
  return from_json(read_text_file(path), path.string());
}

std::string CaptionOntology::to_json(int indent) const {
  ojson j = ojson::object();
  for (size_t i = 0; i < prompts_.size(); ++i) j[prompts_[i]] = classes_[static_cast<size_t>(prompt_class_ids_[i])];
  return j.dump(indent);
}

void CaptionOntology::save(const std::filesystem::path& path) const { write_file_atomic(path, to_json() + "\n"); }

CaptionOntology::PromptClassPairs CaptionOntology::prompt_to_class() const {
  PromptClassPairs out;
  for (size_t i = 0; i < prompts_.size(); ++i)
    out.emplace_back(prompts_[i], classes_[static_cast<size_t>(prompt_class_ids_[i])]);
  return out;
}

std::vector<std::pair<std::string, std::vector<std::string>>> CaptionOntology::class_to_prompts() const {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& c : classes_) out.emplace_back(c, std::vector<std::string>{});
  for (size_t i = 0; i < prompts_.size(); ++i) out[static_cast<size_t>(prompt_class_ids_[i])].second.push_back(prompts_[i]);
  return out;
}

int64_t CaptionOntology::prompt_class_id(size_t prompt_index) const {
  AD_CHECK(prompt_index < prompts_.size(), "prompt index {} out of range for {} prompts", prompt_index, prompts_.size());
  return prompt_class_ids_[prompt_index];
}

const std::string& CaptionOntology::class_for_prompt(const std::string& prompt) const {
  auto it = std::find(prompts_.begin(), prompts_.end(), prompt);
  AD_CHECK(it != prompts_.end(), "prompt '{}' is not in the ontology", prompt);
  return classes_[static_cast<size_t>(prompt_class_ids_[static_cast<size_t>(it - prompts_.begin())])];
}

int64_t CaptionOntology::class_id(const std::string& class_name) const {
  auto it = std::find(classes_.begin(), classes_.end(), class_name);
  return it == classes_.end() ? -1 : static_cast<int64_t>(it - classes_.begin());
}

}  // namespace autodistill
