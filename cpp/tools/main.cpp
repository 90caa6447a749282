#include <string>
#include <vector>

#include "cli.h"

int main(int argc, char** argv) { return autodistill::cli::run(std::vector<std::string>(argv, argv + argc)); }
