#pragma once
/// \file
/// The `progress=` argument of long calls (label, train): True -> autodistill_cpp.progress.ProgressBar(),
/// a callable receiving a dict, or False/None. The reporter calls back from worker threads, taking the GIL.

#include <memory>

#include "autodistill/core/progress.h"
#include "gil.h"

namespace autodistill::python {

inline py::dict progress_state_dict(const ProgressState& st) {
  py::dict d;
  d["task"] = st.task;
  d["done"] = st.done;
  d["total"] = st.total;
  d["elapsed_s"] = st.elapsed_s;
  d["rate"] = st.rate;
  d["eta_s"] = st.eta_s;
  d["detail"] = st.detail;
  d["finished"] = st.finished;
  return d;
}

/// nullptr for False/None. Call with the GIL held.
inline std::unique_ptr<ProgressReporter> make_progress_reporter(const py::object& progress) {
  if (progress.is_none() || (py::isinstance<py::bool_>(progress) && !progress.cast<bool>())) return nullptr;
  py::object callback = progress;
  if (py::isinstance<py::bool_>(progress))
    callback = py::module_::import("autodistill_cpp.progress").attr("ProgressBar")();
  auto fn = share_py_object(callback);
  return std::make_unique<CallbackProgress>([fn](const ProgressState& st) {
    py::gil_scoped_acquire gil;
    (*fn)(progress_state_dict(st));
  });
}

}  // namespace autodistill::python
