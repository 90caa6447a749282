#include "autodistill/models/options.h"

#include <vector>

namespace autodistill {
namespace {
std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}
}  // namespace

OptionReader::OptionReader(const nlohmann::ordered_json& options, std::string model_name)
    : options_(options.is_null() ? nlohmann::ordered_json::object() : options), model_name_(std::move(model_name)) {
  AD_CHECK(options_.is_object(), "{}: options must be a JSON object, got {}", model_name_, options_.dump());
}

CaptionOntology OptionReader::ontology() {
  known_.insert("ontology");
  auto it = options_.find("ontology");
  AD_CHECK(it != options_.end() && !it->is_null(), "{}: the 'ontology' option is required, e.g. {{\"person\": \"person\"}}",
           model_name_);
  return CaptionOntology::from_json(it->dump(), model_name_ + " ontology");
}

void OptionReader::finish() const {
  std::vector<std::string> unknown;
  for (const auto& [key, value] : options_.items())
    if (!known_.count(key)) unknown.push_back(key);
  if (!unknown.empty()) {
    std::vector<std::string> accepted(known_.begin(), known_.end());
    AD_THROW(InvalidArgument, "{}: unknown option(s) {}; accepted options: {}", model_name_, join(unknown),
             join(accepted));
  }
}

}  // namespace autodistill
