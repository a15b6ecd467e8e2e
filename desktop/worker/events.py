"""The worker's event bus: numbered events in memory, for the API's long poll.

Everything that happens (a pause, a guard trip, a sensor failure, a job ending) becomes an
``Event`` with an increasing ``seq``. Clients poll ``GET /events?since=<seq>&wait=20`` and
get an answer the moment something newer exists. History is bounded (the ledger keeps the
durable copy once it is wired, through ``sink``), so a slow client sees a gap, not a
growing worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from desktop.model import Event
from desktop.worker.loop_bridge import LoopBridge

log = logging.getLogger(__name__)
DEFAULT_HISTORY = 5000
Sink = Callable[[Event], None]


class EventBus:
    """Numbers, keeps and hands out events. Publish on the worker's event loop.

    Attributes:
        last_seq: the seq of the newest event (0 before the first).
        sink: optional callable given every published event (the ledger, later); its
            failures are logged and never reach the publisher.
    """

    def __init__(
        self,
        history: int = DEFAULT_HISTORY,
        sink: Sink | None = None,
        bridge: LoopBridge | None = None,
    ) -> None:
        self._events: deque[Event] = deque(maxlen=history)
        self._changed = asyncio.Event()
        self._closed = False
        self.bridge = bridge or LoopBridge()
        self._lock = threading.Lock()
        self.last_seq = 0
        self._last_ts = float("-inf")
        self.sink = sink

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Remember the loop so that any thread can ``emit``."""
        self.bridge.bind(loop)

    def publish(self, event: Event) -> Event:
        """Number and store ``event``, wake the waiting pollers, return the numbered event.

        Events are stamped where they happen, on several threads, so one that took a few
        milliseconds to reach the loop could carry an earlier time than the event before
        it; its time is moved up to that event's, so that seq order and time order agree
        and a list sorted by time never interleaves.
        """
        with self._lock:
            self.last_seq += 1
            ts = max(event.ts, self._last_ts)
            self._last_ts = ts
            numbered = dataclasses.replace(event, seq=self.last_seq, ts=ts)
            self._events.append(numbered)
        if self.sink is not None:
            try:
                self.sink(numbered)
            except Exception:
                log.exception("the event sink failed on %s", numbered.kind)
        # Wake every current waiter, then re-arm for the next event.
        self._changed.set()
        self._changed = asyncio.Event()
        return numbered

    def emit(self, event: Event) -> None:
        """Publish from any thread (the guard's, a job's, a network agent's): on the loop."""
        self.bridge.call(self.publish, event)

    def since(self, seq: int, limit: int = 500) -> list[Event]:
        """Events with ``seq`` greater than ``seq``, oldest first, at most ``limit``.

        A ``seq`` beyond ``last_seq`` comes from a client of an earlier worker run (seq
        starts again at 1 after a restart): it gets the history from the start.
        """
        if seq > self.last_seq:
            seq = 0
        with self._lock:
            if not self._events or seq >= self.last_seq:
                return []
            first = self._events[0].seq
            skip = max(0, seq - first + 1)
            picked = [self._events[i] for i in range(skip, len(self._events))]
        return picked[:limit]

    async def wait_since(self, seq: int, timeout: float, limit: int = 500) -> list[Event]:
        """Like ``since`` but waits up to ``timeout`` s for a newer event (a long poll)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.since(seq, limit)
            remaining = deadline - time.monotonic()
            if found or remaining <= 0 or self._closed:
                return found
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                return self.since(seq, limit)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Release every long poll at once (the worker is stopping)."""
        self._closed = True
        self._changed.set()
