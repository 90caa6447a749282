import logging
import sys

import pytest

import autodistill_cpp as ad
from autodistill_cpp import _core


@pytest.fixture
def cpp_level():
    before = ad.log_level()
    yield ad.set_log_level
    ad.set_log_level(before)


def records(caplog):
    return [(r.name, r.levelno, r.getMessage()) for r in caplog.records if r.name == "autodistill_cpp"]


def test_cpp_messages_reach_python_logging(caplog, cpp_level):
    cpp_level("info")
    with caplog.at_level(logging.DEBUG, logger="autodistill_cpp"):
        _core._log(logging.INFO, "hello from C++")
        _core._log(logging.WARNING, "careful")
        _core._log(logging.DEBUG, "below the C++ level: dropped in C++")
    assert records(caplog) == [("autodistill_cpp", logging.INFO, "hello from C++"),
                               ("autodistill_cpp", logging.WARNING, "careful")]


def test_level_filter_and_names(caplog, cpp_level):
    cpp_level("error")
    assert ad.log_level() == "error"
    with caplog.at_level(logging.DEBUG, logger="autodistill_cpp"):
        _core._log(logging.WARNING, "filtered")
        _core._log(logging.ERROR, "kept")
    assert [m for _, _, m in records(caplog)] == ["kept"]
    cpp_level("WARN")
    assert ad.log_level() == "warning"


def test_messages_from_a_native_thread(caplog, cpp_level):
    cpp_level("debug")
    with caplog.at_level(logging.DEBUG, logger="autodistill_cpp"):
        _core._log_from_native_thread(logging.INFO, "from a std::thread")
    assert records(caplog) == [("autodistill_cpp", logging.INFO, "from a std::thread")]


def test_sink_can_be_replaced(cpp_level):
    got = []
    cpp_level("info")
    _core._set_log_sink(lambda level, message: got.append((level, message)))
    try:
        _core._log(logging.INFO, "custom")
    finally:
        _core._set_log_sink(ad._log_sink)
    assert got == [(logging.INFO, "custom")]


def test_sink_exceptions_do_not_escape_into_cpp(cpp_level, monkeypatch):
    def bad_sink(level, message):
        raise RuntimeError("sink failed")

    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(str(u.exc_value)))
    cpp_level("info")
    _core._set_log_sink(bad_sink)
    try:
        _core._log(logging.INFO, "x")  # reported as unraisable, not raised
    finally:
        _core._set_log_sink(ad._log_sink)
    assert unraisable == ["sink failed"]
