// Precompiled for every library source: the heavy headers that most translation units need.
// LibTorch's tensor and module headers cost ~20 s per translation unit without this.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <Eigen/Core>
#include <fmt/format.h>
#include <map>
#include <string>
#include <vector>
