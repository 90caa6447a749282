#pragma once
// Registry plumbing shared by OWLViT and OWLv2 (same options, same JSON keys).

#include <functional>
#include <memory>
#include <string>

#include "autodistill/models/owlvit/owl_options.h"
#include "autodistill/models/registry.h"

namespace autodistill::owl_detail {

using OwlFactory = std::function<std::shared_ptr<BaseModel>(CaptionOntology, OwlOptions)>;
ModelInfo make_owl_info(const std::string& name, const std::string& description, OwlFactory factory);

}  // namespace autodistill::owl_detail
