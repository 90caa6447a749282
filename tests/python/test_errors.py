import os
import signal
import threading

import pytest

import autodistill_cpp as ad
from autodistill_cpp import _core

KIND_ERROR, KIND_INVALID_ARGUMENT, KIND_IO, KIND_INTERRUPTED = 0, 1, 2, 3


@pytest.mark.parametrize("kind, python_type", [
    (KIND_ERROR, ad.Error), (KIND_INVALID_ARGUMENT, ValueError), (KIND_IO, OSError),
    (KIND_INTERRUPTED, KeyboardInterrupt),
])
def test_cpp_errors_map_to_python_types(kind, python_type):
    with pytest.raises(python_type) as e:
        _core._raise_error(kind, "what went wrong")
    assert str(e.value) == "what went wrong"  # the message without the C++ source location


def test_error_class():
    assert issubclass(ad.Error, RuntimeError) and ad.Error is _core.Error
    assert ad.Error.__module__ == "autodistill_cpp" and ad.Error.__name__ == "Error"
    assert not issubclass(ValueError, ad.Error)
    with pytest.raises(RuntimeError):
        _core._raise_error(KIND_ERROR, "x")


def test_real_errors():
    with pytest.raises(ValueError, match="tpu"):
        ad.parse_device("tpu")
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        ad.set_log_level("loud")
    with pytest.raises(OSError, match="no/such/file.png"):
        ad.load_image("no/such/file.png")


def test_device_helpers():
    assert ad.parse_device("cpu") == "cpu"
    assert ad.parse_device("auto") == ("cuda:0" if ad.cuda_available() else "cpu")
    assert ad.cuda_device_count() >= (1 if ad.cuda_available() else 0)
    if not ad.cuda_available():
        with pytest.raises(ValueError):
            ad.parse_device("cuda")


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals need the main thread")
def test_ctrl_c_interrupts_a_cpp_loop():
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            _core._interruptible_wait(30.0)  # returns long before 30 s only if the interrupt works
    finally:
        timer.cancel()


def test_wait_without_interrupt_completes():
    _core._interruptible_wait(0.01)
