"""The app's live connection to the worker: typed API calls off the GUI thread.

- events: a long poll (``GET /events?since=<seq>&wait=20``) on its own thread, so an event
  reaches the window as soon as the worker publishes it;
- telemetry: ``GET /telemetry?gpu=N&since=<ts>`` each second, only while a chart is on screen
  (hidden in the tray the app must cost almost nothing);
- status every 2 s, every 4 s while hidden in the tray (its tooltip needs it; an event
  refreshes it at once anyway), networks every 10 s.

Status and telemetry both feed one ``Snapshot`` (desktop/views/snapshot.py): the header, the
cards and the tray render from it, so they never show two different readings at once.
``switch`` points the link at another rig's worker (the rig list): every answer still on its
way from the previous one is dropped (each call carries the link's generation).
All public signals are emitted on the GUI thread and carry typed objects. A failed call
marks the worker lost; the next successful status marks it connected again.

Signals:
    sample_received(int, list[TelemetryPoint]): new points (oldest first) for one GPU.
    event_received(Event): one new event.
    events_loaded(list[Event]): the recent history, once after connecting (no notices).
    status_changed(StatusAnswer): a fresh ``GET /status`` answer.
    snapshot_changed(): the snapshot changed (a status or a newer reading): re-render.
    networks_changed(list[NetworkRecord]): a fresh ``GET /networks`` list.
    worker_connected(): the API answers (again).
    worker_lost(str): the API stopped answering; the text says why.
    switched(): the link now talks to another worker (views forget what they hold).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from desktop import clock
from desktop.ipc import endpoints
from desktop.ipc.endpoints import Caller, Endpoint
from desktop.ipc.schema import Answer, StatusAnswer
from desktop.ipc.schema_data import (
    EventsAnswer,
    EventsQuery,
    TelemetryAnswer,
    TelemetryQuery,
    TelemetryRange,
)
from desktop.ipc.schema_networks import NetworkRecord, NetworksAnswer
from desktop.model import Event
from desktop.ui import tasks
from desktop.views.snapshot import Snapshot

log = logging.getLogger(__name__)

LONG_POLL_S = 20
TICK_MS = 1000
STATUS_EVERY = 2
STATUS_EVERY_HIDDEN = 4
NETWORKS_EVERY = 10
HISTORY_LIMIT = 500
Q = TypeVar("Q")
A = TypeVar("A", bound=Answer)


ApiClient = Caller  # what the link needs of ``desktop.ipc.client.WorkerClient``
ClientFactory = Callable[[], ApiClient]


class _Carrier(QObject):
    """Carries results from the long-poll thread to the GUI thread (queued connection)."""

    events = Signal(int, bool, object)
    failed = Signal(int, str)


class WorkerLink(QObject):
    sample_received = Signal(int, object)
    event_received = Signal(object)
    events_loaded = Signal(object)
    status_changed = Signal(object)
    snapshot_changed = Signal()
    networks_changed = Signal(object)
    worker_connected = Signal()
    worker_lost = Signal(str)
    switched = Signal()

    def __init__(self, client_factory: ClientFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory = client_factory
        self._client: ApiClient | None = None
        self.snapshot = Snapshot()
        self.networks: list[NetworkRecord] = []
        self.connected = False
        self.lost_reason = ""  # why the last call failed, while not connected
        self._generation = 0
        self._live = False  # the window says when a chart is on screen
        self._shown = False  # and when it is on screen at all
        self._ticks = 0
        self._in_flight: set[str] = set()
        self._last_ts: dict[int, float] = {}
        self._started_at = 0.0
        self.history_loaded = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._carrier = _Carrier()
        self._carrier.events.connect(self._on_events, Qt.ConnectionType.QueuedConnection)
        self._carrier.failed.connect(self._on_failure_of, Qt.ConnectionType.QueuedConnection)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_tick)

    @property
    def status(self) -> StatusAnswer | None:
        """The last status (the snapshot's)."""
        return self.snapshot.status

    # --- lifecycle -----------------------------------------------------------------

    def start(self, client: ApiClient | None = None) -> None:
        """Begin polling (with ``client``, or one from the factory)."""
        self._client = client or self._factory()
        self._started_at = clock.now()
        self._stop.clear()
        self._timer.start()
        self.refresh_status()
        self.refresh_networks()
        if self._thread is None or not self._thread.is_alive():
            generation = self._generation
            self._thread = threading.Thread(
                target=self._events_loop, args=(generation,), name="rp-events", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop polling; the long poll thread ends at its next answer (it is a daemon)."""
        self._stop.set()
        self._timer.stop()

    def switch(self, client_factory: ClientFactory) -> None:
        """Talk to another worker from now on (another rig); forget the previous one's data.

        The previous long poll ends at its next answer (its generation is over)."""
        self.stop()
        self._generation += 1
        self._factory = client_factory
        _close(self._client)  # calls still on their way fail, and are dropped as stale
        self._client = None
        self._thread = None
        self.snapshot = Snapshot()
        self.networks = []
        self.connected = False
        self.lost_reason = ""
        self.history_loaded = False
        self._in_flight.clear()
        self._last_ts.clear()
        self.snapshot_changed.emit()
        self.start()
        self.switched.emit()

    def set_live(self, live: bool) -> None:
        """Poll telemetry only while a chart is visible; catch up with ``since`` afterwards."""
        self._live = live
        if live and self._client is not None:
            self._poll_telemetry()

    def set_shown(self, shown: bool) -> None:
        """The window is on screen (status every 2 s) or hidden in the tray (every 4 s)."""
        self._shown = shown

    @property
    def gpu_indexes(self) -> list[int]:
        status = self.snapshot.status
        return [g.index for g in status.gpus] if status is not None else []

    # --- one-shot calls ------------------------------------------------------------

    def call(
        self,
        endpoint: Endpoint[Q, A],
        request: Q | None = None,
        on_done: Callable[[A], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        """Make one typed API call in the background; callbacks run on the GUI thread."""
        client = self._client
        if client is None:
            if on_error is not None:
                on_error(RuntimeError("not connected to the worker yet"))
            return
        generation = self._generation

        def done(answer: A) -> None:
            if generation == self._generation and on_done is not None:
                on_done(answer)

        def failed(exc: Exception) -> None:
            if generation == self._generation and on_error is not None:
                on_error(exc)

        tasks.run_in_background(lambda: client.call(endpoint, request), done, failed)

    def refresh_status(self) -> None:
        self._once("status", endpoints.STATUS, None, self._on_status)

    def refresh_networks(self) -> None:
        self._once("networks", endpoints.NETWORKS, None, self._on_networks, quiet=True)

    def _once(
        self,
        key: str,
        endpoint: Endpoint[Q, A],
        request: Q | None,
        on_done: Callable[[A], None],
        quiet: bool = False,
    ) -> None:
        """A call that is skipped while the previous one of the same key is still running."""
        if key in self._in_flight or self._client is None:
            return
        self._in_flight.add(key)

        def done(result: A) -> None:
            self._in_flight.discard(key)
            on_done(result)

        def failed(exc: Exception) -> None:
            self._in_flight.discard(key)
            if quiet and _is_api_error(exc):
                return  # e.g. 503 unavailable: the view shows its empty state
            self._on_failure(_describe(exc))

        self.call(endpoint, request, on_done=done, on_error=failed)

    # --- periodic polling ----------------------------------------------------------

    def _on_tick(self) -> None:
        self._ticks += 1
        every = STATUS_EVERY if self._shown else STATUS_EVERY_HIDDEN
        if self._ticks % every == 0 or not self.connected:
            self.refresh_status()
        if self._ticks % NETWORKS_EVERY == 0 and self.connected:
            self.refresh_networks()
        if self._live and self.connected:
            self._poll_telemetry()

    def _poll_telemetry(self) -> None:
        for gpu in self.gpu_indexes:
            since = self._last_ts.get(gpu)
            if since is None:
                query = TelemetryQuery(gpu=gpu, range=TelemetryRange.MINUTES_10)
            else:
                query = TelemetryQuery(gpu=gpu, since=since)
            self._once(f"telemetry-{gpu}", endpoints.TELEMETRY, query, self._telemetry_done(gpu))

    def _telemetry_done(self, gpu: int) -> Callable[[TelemetryAnswer], None]:
        return lambda answer: self._on_telemetry(gpu, answer)

    def _on_telemetry(self, gpu: int, answer: TelemetryAnswer) -> None:
        last = self._last_ts.get(gpu, float("-inf"))
        points = sorted((p for p in answer.points if p.ts > last), key=lambda p: p.ts)
        if not points:
            return
        self._last_ts[gpu] = points[-1].ts
        self.sample_received.emit(gpu, points)
        if self.snapshot.add_points(points):
            self.snapshot_changed.emit()

    def _on_status(self, status: StatusAnswer) -> None:
        previous = self.snapshot.status
        if previous is not None and previous.pid != status.pid:
            self._last_ts.clear()  # a new worker: start the live buffers over
        self.snapshot.set_status(status)
        if not self.connected:
            self.connected = True
            self.worker_connected.emit()
        self.status_changed.emit(status)
        self.snapshot_changed.emit()

    def _on_networks(self, answer: NetworksAnswer) -> None:
        self.networks = list(answer.networks)
        self.networks_changed.emit(self.networks)

    def _on_failure(self, why: str) -> None:
        self.lost_reason = why
        if self.connected:
            self.connected = False
            log.info("worker lost: %s", why)
            self.worker_lost.emit(why)
            self.snapshot_changed.emit()

    # --- events long poll (own thread) -----------------------------------------------

    def _current(self, generation: int) -> bool:
        return generation == self._generation and not self._stop.is_set()

    def _events_loop(self, generation: int) -> None:
        client = self._factory()
        try:
            self._poll_events(generation, client)
        finally:
            _close(client)  # its connection is not left to the garbage collector

    def _poll_events(self, generation: int, client: ApiClient) -> None:
        since = 0
        first = True
        backoff = 1.0
        while self._current(generation):
            try:
                if first:
                    query = EventsQuery(since=0, limit=HISTORY_LIMIT)
                else:
                    query = EventsQuery(since=since, wait=LONG_POLL_S)
                answer: EventsAnswer = client.call(endpoints.EVENTS, query)
            except Exception as exc:  # the worker is gone or restarting: retry calmly
                if self._current(generation):
                    self._carrier.failed.emit(generation, _describe(exc))
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                try:
                    fresh = self._factory()
                except Exception:
                    continue
                _close(client)
                client = fresh
                continue
            backoff = 1.0
            if answer.last_seq < since:  # the worker restarted and its numbering with it
                since, first = 0, True
                continue
            since = max([since, answer.last_seq, *(e.seq for e in answer.events)])
            if not self._current(generation):
                break
            self._carrier.events.emit(generation, first, list(answer.events))
            first = False

    def _on_failure_of(self, generation: int, why: str) -> None:
        if generation == self._generation:
            self._on_failure(why)

    def _on_events(self, generation: int, history: bool, events: list[Event]) -> None:
        if generation != self._generation:
            return
        if history:
            self.history_loaded = True
            self.events_loaded.emit(events)
            # What happened since this link started is news, not history (a pause, a guard
            # trip in the first moments): the views react to it like to any live event.
            events = [e for e in events if e.ts >= self._started_at]
        for event in events:
            self.event_received.emit(event)
        if events:
            self.refresh_status()  # the strip shows the guard's action right away


def _is_api_error(exc: Exception) -> bool:
    from desktop.ipc.client import ApiError  # imported late: httpx is not needed to paint

    return isinstance(exc, ApiError)


def _close(client: object) -> None:
    closer = getattr(client, "close", None)
    if callable(closer):
        try:
            closer()
        except Exception:  # closing must never break a switch or a stop
            log.debug("closing a worker client failed", exc_info=True)


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def noop(_value: Any) -> None:
    """An ``on_error`` that ignores the failure (the view keeps what it shows)."""
