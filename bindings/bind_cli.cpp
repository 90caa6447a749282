// cpp/tools/: the autodistill-cpp command line, callable from Python (autodistill_cpp.cli).
#include <cstdio>

#include <pybind11/stl.h>

#include "bindings.h"
#include "cli.h"

namespace autodistill::python {

void bind_cli(py::module_& m) {
  m.def(
      "cli_main",
      [](const std::vector<std::string>& argv) {
        int code = 0;
        {
          py::gil_scoped_release release;
          code = cli::run(argv);
          std::fflush(stdout);  // the C++ side prints with stdio; Python's sys.stdout is separate
          std::fflush(stderr);
        }
        return code;
      },
      py::arg("argv"), "Runs the command line (argv[0] is the program name); returns the exit code.");
}

}  // namespace autodistill::python
