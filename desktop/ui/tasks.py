"""Run a blocking call (an API request) on a QThreadPool and get its result on the GUI thread.

Widgets may only be touched from the GUI thread, and the API can take a while (a long poll,
a worker starting up), so every call goes through ``run_in_background``: the function runs
on a pool thread, and ``on_done`` / ``on_error`` are invoked later by the GUI event loop.
The signal carrier is created on the GUI thread and connected with a queued connection,
which is what guarantees the callbacks' thread whatever PySide6 does with plain callables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

log = logging.getLogger(__name__)

_pool: QThreadPool | None = None
# Carriers stay referenced until their result is delivered, or Python would collect them.
_in_flight: set[_Carrier] = set()


def pool() -> QThreadPool:
    """The app's pool for API calls: a few threads, idle ones expire quickly (low RSS)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(4)
        _pool.setExpiryTimeout(10_000)
    return _pool


class _Carrier(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], carrier: _Carrier) -> None:
        super().__init__()
        self._fn = fn
        self._carrier = carrier
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # delivered to on_error on the GUI thread
            self._deliver(self._carrier.failed, exc)
        else:
            self._deliver(self._carrier.done, result)

    @staticmethod
    def _deliver(signal: Any, value: Any) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the app is exiting and its objects are gone: nobody waits
            pass


def run_in_background(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
    owner: QObject | None = None,
) -> None:
    """Call ``fn()`` on a pool thread, then ``on_done(result)`` or ``on_error(exc)`` on the GUI.

    Must be called from the GUI thread. Without ``on_error`` a failure is only logged. With
    ``owner`` the result is dropped once the owner is gone (a page closed during a slow
    call, such as a doctor run): its carrier is the owner's child and goes with it.
    """
    carrier = _Carrier(owner)
    _in_flight.add(carrier)

    def finish_ok(result: Any) -> None:
        _in_flight.discard(carrier)
        if on_done is not None:
            on_done(result)

    def finish_err(exc: Any) -> None:
        _in_flight.discard(carrier)
        if on_error is not None:
            on_error(exc)
        else:
            log.warning("background call failed: %s", exc)

    carrier.done.connect(finish_ok, Qt.ConnectionType.QueuedConnection)
    carrier.failed.connect(finish_err, Qt.ConnectionType.QueuedConnection)
    pool().start(_Task(fn, carrier))


def wait_all(timeout_ms: int = 3000) -> bool:
    """Wait for the pool's running calls (at quit and in tests); True when all finished."""
    return bool(pool().waitForDone(timeout_ms))
