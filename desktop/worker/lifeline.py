"""``rigpilot worker --lifeline``: the worker lives as long as the app that started it.

The demo app starts its own worker and must not leave it behind, even when the app is
killed (SIGKILL, a crash, logout): then no "quit" code runs. So the app hands the worker
the read end of a pipe as its stdin and keeps the write end; the worker reads it on a
thread, and end of file means the app is gone, whatever way it went: the kernel closes
a dead process's pipes. A pid to watch could be reused by another process; a pipe cannot.
It works the same on Windows (an anonymous pipe handle as stdin).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import BinaryIO

log = logging.getLogger(__name__)


def watch(stream: BinaryIO, on_gone: Callable[[], object]) -> threading.Thread:
    """Call ``on_gone`` (once, from a daemon thread) when ``stream`` reaches end of file.

    Whatever the app writes is ignored: only the end matters.
    """

    def read_until_closed() -> None:
        try:
            while stream.read(4096):
                pass
        except (OSError, ValueError):  # a closed or broken pipe ends the same way
            pass
        log.info("the app that owns this worker is gone: stopping")
        on_gone()

    thread = threading.Thread(target=read_until_closed, name="rp-lifeline", daemon=True)
    thread.start()
    return thread
