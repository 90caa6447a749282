// core/: errors, device, threads, logging, interrupts, build_info.
#include <chrono>
#include <cstdio>
#include <thread>

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "autodistill/core/blas.h"
#include "autodistill/core/build_info.h"
#include "autodistill/core/device.h"
#include "autodistill/core/error.h"
#include "autodistill/core/interrupt.h"
#include "autodistill/core/logging.h"
#include "autodistill/core/threads.h"
#include "bindings.h"
#include "gil.h"

namespace autodistill::python {

void bind_core_errors(py::module_& m) {
  // Leaked on purpose: a static py::object would be released after the interpreter is gone.
  static PyObject* error_type =
      PyErr_NewExceptionWithDoc("autodistill_cpp.Error",
                                "Base of the errors raised by autodistill-cpp that are not ValueError, OSError "
                                "or KeyboardInterrupt.",
                                PyExc_RuntimeError, nullptr);
  if (!error_type) throw py::error_already_set();
  m.attr("Error") = py::handle(error_type);
  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const Interrupted& e) {
      PyErr_SetString(PyExc_KeyboardInterrupt, e.message().c_str());
    } catch (const InvalidArgument& e) {
      PyErr_SetString(PyExc_ValueError, e.message().c_str());
    } catch (const IOError& e) {
      PyErr_SetString(PyExc_OSError, e.message().c_str());
    } catch (const Error& e) {
      PyErr_SetString(error_type, e.message().c_str());
    }
  });
  // Lets the tests check the mapping of every kind without needing a failing operation for each.
  m.def(
      "_raise_error",
      [](int kind, const std::string& message) {
        detail::throw_error(kind, message, __FILE__, __LINE__);
      },
      py::arg("kind"), py::arg("message"));
}

namespace {

void install_log_sink(py::object callback) {
  if (callback.is_none()) {
    set_log_sink(nullptr);
    return;
  }
  auto fn = share_py_object(std::move(callback));
  set_log_sink([fn](LogLevel level, const std::string& message) {
    if (!python_alive()) {
      std::fprintf(stderr, "[autodistill] %s\n", message.c_str());
      return;
    }
    py::gil_scoped_acquire gil;
    try {
      (*fn)(static_cast<int>(level), message);
    } catch (py::error_already_set& e) {
      e.discard_as_unraisable("autodistill_cpp log sink");
    }
  });
}

// PyErr_CheckSignals runs Python's signal handlers, which CPython only does in the main thread: a
// call from a worker thread returns 0. Long C++ loops therefore see Ctrl-C when the thread that
// polls is the one Python called from (the main thread, GIL released).
bool python_interrupt_pending() {
  if (!python_alive()) return false;
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) {
    PyErr_Clear();
    return true;
  }
  return false;
}

}  // namespace

void bind_core(py::module_& m) {
  // OpenBLAS may have chosen generic kernels at load time (core/blas.h): fix that before any work.
  configure_blas();
  // ---- device
  m.def(
      "parse_device", [](const std::string& spec) { return parse_device(spec).str(); }, py::arg("device"),
      "Resolves a device string (\"auto\", \"cpu\", \"cuda\", \"cuda:N\") to \"cpu\" or \"cuda:N\".\n"
      "ValueError for an unknown string or a CUDA device that is not available.");
  m.def("cuda_available", &cuda_available, "True when LibTorch has CUDA and a GPU is visible.");
  m.def("cuda_device_count", &cuda_device_count, "Number of visible CUDA devices.");

  // ---- threads
  m.def("configure_threads", &configure_threads, py::arg("num_threads") = 0,
        "Sets LibTorch's and OpenCV's thread counts; 0 means AUTODISTILL_NUM_THREADS / OMP_NUM_THREADS or\n"
        "the CPUs available to this process. Returns the number used.");
  m.def("available_cpus", &available_cpus, "CPUs this process may run on (affinity-aware).");
  m.def("torch_num_threads", &torch_num_threads, "LibTorch's current intra-op thread count.");

  // ---- build info
  m.def("version", []() { return std::string(version()); });
  m.def("build_info", []() {
    const BuildInfo b = build_info();
    py::dict d;
    d["version"] = b.version;
    d["libtorch_version"] = b.libtorch_version;
    d["opencv_version"] = b.opencv_version;
    d["blas"] = b.blas;
    d["cuda_compiled"] = b.cuda_compiled;
    d["cuda_available"] = b.cuda_available;
    d["cuda_device_count"] = b.cuda_device_count;
    d["num_threads"] = b.num_threads;
    d["cxx11_abi"] = b.cxx11_abi;
    d["compiler"] = b.compiler;
    return d;
  });

  // ---- logging
  m.def(
      "set_log_level", [](const std::string& level) { set_log_level(parse_log_level(level)); }, py::arg("level"),
      "Minimum level of C++ messages: \"debug\", \"info\", \"warning\" (default), \"error\" or \"off\".");
  m.def("log_level", []() {
    switch (log_level()) {
      case LogLevel::Debug: return "debug";
      case LogLevel::Info: return "info";
      case LogLevel::Warning: return "warning";
      case LogLevel::Error: return "error";
      default: return "off";
    }
  });
  m.def("_set_log_sink", &install_log_sink, py::arg("callback"),
        "callback(level: int, message: str), called from any thread with the GIL held; None restores stderr.");
  m.def(
      "_log", [](int level, const std::string& message) { log_message(static_cast<LogLevel>(level), message); },
      py::arg("level"), py::arg("message"), "Sends a message through the C++ logger (for tests and tools).");
  m.def(
      "_log_from_native_thread",
      [](int level, const std::string& message) {
        py::gil_scoped_release release;
        std::thread t([&] { log_message(static_cast<LogLevel>(level), message); });
        t.join();
      },
      py::arg("level"), py::arg("message"), "Logs from a C++ std::thread (tests the sink's GIL handling).");

  // ---- interrupts
  m.def(
      "_set_interrupt_checking",
      [](bool enabled) { set_interrupt_checker(enabled ? InterruptChecker(&python_interrupt_pending) : nullptr); },
      py::arg("enabled"), "Lets Ctrl-C stop long C++ loops (KeyboardInterrupt). Installed at import.");
  m.def(
      "_interruptible_wait",
      [](double seconds) {
        py::gil_scoped_release release;
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < end) {
          throw_if_interrupted();
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      },
      py::arg("seconds"), "A C++ loop that polls for interrupts (tests Ctrl-C handling).");
}

}  // namespace autodistill::python
