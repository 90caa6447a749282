#include "autodistill/core/interrupt.h"

#include <memory>
#include <mutex>

#include "autodistill/core/error.h"

namespace autodistill {
namespace {
std::mutex g_mutex;
std::shared_ptr<InterruptChecker> g_checker;
}  // namespace

void set_interrupt_checker(InterruptChecker checker) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_checker = checker ? std::make_shared<InterruptChecker>(std::move(checker)) : nullptr;
}

void throw_if_interrupted() {
  std::shared_ptr<InterruptChecker> checker;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    checker = g_checker;
  }
  if (checker && (*checker)()) AD_THROW(Interrupted, "interrupted");
}

}  // namespace autodistill
