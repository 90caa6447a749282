"""The ``autodistill-cpp`` command line from Python: ``python -m autodistill_cpp.cli ...``.

Same program as the C++ executable (cpp/tools): the arguments go to ``autodistill::cli::run``.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from . import _core


def run(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line with ``argv`` (default: ``sys.argv[1:]``) and returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    sys.stdout.flush()
    sys.stderr.flush()
    return _core.cli_main(["autodistill-cpp", *args])


def main() -> None:
    """Entry point of the ``autodistill-cpp`` console script."""
    sys.exit(run())


if __name__ == "__main__":
    main()
