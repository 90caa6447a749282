#pragma once
#include <catch2/catch.hpp>
#include <Eigen/Core>
#include <opencv2/core.hpp>
#include <string>
#include <vector>
