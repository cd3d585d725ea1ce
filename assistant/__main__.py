"""``python -m assistant``."""

import contextlib
import logging
import os
import sys

from .cli import main

# One-shot look-ups whose process holds nothing the interpreter's teardown must close: their answer is printed and
# flushed, so they exit at once instead of spending 50 ms freeing the loaded tables object by object.
_QUICK_COMMANDS = frozenset({"ask", "show", "search"})


def _exit_now(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":  # worker processes of a build import this module under another name
    status = main()
    if len(sys.argv) > 1 and sys.argv[1] in _QUICK_COMMANDS:
        _exit_now(status)
    sys.exit(status)
