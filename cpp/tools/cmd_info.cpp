// `autodistill-cpp info`: what the library was built against and what it runs on.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "autodistill/core/build_info.h"
#include "commands.h"

namespace autodistill::cli {

SubcommandRunner add_info_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("info", "Print the build: versions, BLAS, threads, CUDA");
  return [cmd]() -> int {
    if (!cmd->parsed()) return -1;
    const BuildInfo b = build_info();
    std::printf("autodistill-cpp %s\nLibTorch        %s\nOpenCV          %s\nBLAS            %s\n", b.version.c_str(),
                b.libtorch_version.c_str(), b.opencv_version.c_str(), b.blas.c_str());
    std::printf("threads         %d\nCUDA compiled   %s\nCUDA available  %s (%d device(s))\ncompiler        %s\n",
                b.num_threads, b.cuda_compiled ? "yes" : "no", b.cuda_available ? "yes" : "no", b.cuda_device_count,
                b.compiler.c_str());
    return 0;
  };
}

}  // namespace autodistill::cli
