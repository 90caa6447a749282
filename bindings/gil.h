#pragma once
/// \file
/// Holding Python objects in C++ state that may outlive a call, be copied to worker threads, or be
/// destroyed after the interpreter has shut down (static registries, the log sink).

#include <pybind11/pybind11.h>

#include <memory>

namespace autodistill::python {

namespace py = pybind11;

/// True while Python code may run (not yet finalizing).
inline bool python_alive() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsInitialized() && !Py_IsFinalizing();
#else
  return Py_IsInitialized() && !_Py_IsFinalizing();
#endif
}

/// A shared owner of `obj` whose last release takes the GIL (from any thread) to drop the reference,
/// and leaks it instead when the interpreter is gone (a decref then would crash).
inline std::shared_ptr<py::object> share_py_object(py::object obj) {
  return std::shared_ptr<py::object>(new py::object(std::move(obj)), [](py::object* p) {
    if (!python_alive()) return;  // deliberately leaked
    py::gil_scoped_acquire gil;
    delete p;
  });
}

}  // namespace autodistill::python
