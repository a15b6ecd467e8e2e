"""The one way onto the worker's event loop from another thread.

Why one: the worker's state that the API reads (the event bus, the in-memory telemetry)
is only touched on the event loop, while samples, guard actions, job endings and network
agents happen on threads. Every hand-over goes through ``LoopBridge.call``, which runs the
callable at once when already on the loop and hands it over otherwise, so no part decides
for itself how to cross (Electrum's CallbackManager keeps the same promise).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class LoopBridge:
    """Runs callables on one asyncio loop, from any thread."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop to run on (call from that loop's thread)."""
        self._loop, self._thread = loop, threading.get_ident()

    @property
    def bound(self) -> bool:
        return self._loop is not None and not self._loop.is_closed()

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """``fn(*args)`` on the loop: now when on the loop's thread (or before any loop is
        bound, as in tests and start-up), else at the loop's next turn; dropped with a log
        line once the loop has closed."""
        loop = self._loop
        if loop is None or threading.get_ident() == self._thread:
            fn(*args)
            return
        if loop.is_closed():
            log.debug("dropped a call after the loop closed: %s", fn)
            return
        with contextlib.suppress(RuntimeError):  # closed between the check and the call
            loop.call_soon_threadsafe(fn, *args)
