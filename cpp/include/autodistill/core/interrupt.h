#pragma once
/// \file
/// Cooperative cancellation for long loops (labelling, training). Loops call
/// `throw_if_interrupted()` between units of work; Python installs a checker that polls for
/// Ctrl-C, a C++ application may install its own.

#include <functional>

namespace autodistill {

/// Returns true when the current long operation should stop. Called from worker threads too.
using InterruptChecker = std::function<bool()>;

/// Replaces the checker (an empty function disables checking).
void set_interrupt_checker(InterruptChecker checker);

/// Throws `Interrupted` when the checker says so.
void throw_if_interrupted();

}  // namespace autodistill
