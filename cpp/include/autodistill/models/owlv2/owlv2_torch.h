#pragma once
/// \file
/// LibTorch access to `OWLv2`: see owlvit/owlvit_torch.h, which declares both models' functions.
#include "autodistill/models/owlvit/owlvit_torch.h"
