"""A small tqdm-like progress bar for long C++ calls (``BaseModel.label``).

The C++ pipeline calls a :class:`ProgressBar` with a state dict (``task``, ``done``, ``total``,
``rate``, ``eta_s``, ``detail``, ``finished``) a few times per second. In a terminal it rewrites one
line with ``\\r``; in a notebook (when IPython is importable and a kernel is running) it updates a
display handle; elsewhere (CI, pipes) it prints only the final line.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, Optional, TextIO

__all__ = ["ProgressBar", "format_duration", "format_bar"]


def format_duration(seconds: float) -> str:
    """'00:14', '1:02:03'; '?' for negative values."""
    if seconds is None or seconds < 0:
        return "?"
    s = int(seconds + 0.5)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def format_bar(state: Dict[str, Any], width: int = 25) -> str:
    """One line: 'labelling  42% |##########          | 420/1000 [00:10<00:14, 41.2 it/s] detail'."""
    done, total = int(state.get("done", 0)), int(state.get("total", 0))
    rate = float(state.get("rate", 0.0))
    head = f"{state.get('task', '')}"
    if total > 0:
        frac = min(1.0, done / total)
        filled = int(frac * width)
        head += f" {int(frac * 100):3d}% |{'#' * filled}{' ' * (width - filled)}| {done}/{total}"
    else:
        head += f" {done}"
    line = f"{head} [{format_duration(state.get('elapsed_s', 0.0))}<{format_duration(state.get('eta_s', -1))}, {rate:.1f} it/s]"
    if state.get("detail"):
        line += f" {state['detail']}"
    return line


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython  # type: ignore
    except Exception:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


class ProgressBar:
    """Callable progress reporter: ``model.label(..., progress=ProgressBar())`` (the default)."""

    def __init__(self, stream: Optional[TextIO] = None, mode: Optional[str] = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if mode is None:
            if _in_notebook():
                mode = "notebook"
            elif hasattr(self.stream, "isatty") and self.stream.isatty() and not os.environ.get("CI"):
                mode = "terminal"
            else:
                mode = "final"
        self.mode = mode
        self._handle: Any = None
        self._last_len = 0
        self.last_state: Optional[Dict[str, Any]] = None

    def __call__(self, state: Dict[str, Any]) -> None:
        self.last_state = dict(state)
        line = format_bar(state)
        if self.mode == "notebook":
            from IPython.display import display  # type: ignore

            if self._handle is None:
                self._handle = display(line, display_id=True)
            else:
                self._handle.update(line)
        elif self.mode == "terminal":
            pad = max(0, self._last_len - len(line))
            self.stream.write("\r" + line + " " * pad + ("\n" if state.get("finished") else ""))
            self.stream.flush()
            self._last_len = len(line)
        elif state.get("finished"):
            self.stream.write(line + "\n")
            self.stream.flush()
