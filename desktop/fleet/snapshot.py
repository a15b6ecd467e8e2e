"""One snapshot of the rig for a scrape or an alert check, gathered on the worker's loop.

Why the typed answers and nothing else: the status answer is built from the reconciler's
record (desktop/worker/status_view.py), the networks and earnings answers from the
supervisor and the ledger, so the metrics say exactly what ``rigpilot status``, the app and
the tray say, and nothing here recomputes a GPU's state, holds or owner. The guard counter
is the one figure of the exporter's own: it counts ``guard.*`` events as they pass.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from desktop.errors import Unavailable
from desktop.ipc.schema import StatusAnswer
from desktop.ipc.schema_data import EarningsAnswer
from desktop.ipc.schema_networks import NetworkRecord, NetworksAnswer
from desktop.model import Event

log = logging.getLogger(__name__)

JobCounts = dict[tuple[str, str], int]  # (network, job state) → jobs in the ledger


@dataclass(frozen=True)
class RigSnapshot:
    """What one scrape exports.

    Attributes:
        networks: every network in full ([] when the worker has no network layer).
        earnings: all the ledger holds, per day and network (None without earnings).
        jobs: jobs of RigPilot's job service by network and state.
        guard_actions: guard events since the worker started, by (gpu, action).
    """

    status: StatusAnswer
    networks: list[NetworkRecord] = field(default_factory=list)
    earnings: EarningsAnswer | None = None
    jobs: JobCounts = field(default_factory=dict)
    guard_actions: dict[tuple[str, str], int] = field(default_factory=dict)
    host: str = ""


@dataclass
class RigReaders:
    """Where the snapshot's parts come from (the worker's own answers; wiring fills it).

    ``status`` and ``networks`` are the API's own methods; a missing part (a worker
    without networks) answers ``Unavailable`` or is None and is left out.
    """

    status: Callable[[], Awaitable[StatusAnswer]]
    networks: Callable[[], Awaitable[NetworksAnswer]] | None = None
    earnings: Callable[[], Awaitable[EarningsAnswer]] | None = None
    jobs: Callable[[], Awaitable[JobCounts]] | None = None


class GuardCounter:
    """Counts ``guard.*`` events of a GPU by (gpu, action); fed by the event bus on the
    loop, read by scrapes on the exporter's thread. (A guard event of no GPU, a refused
    setting, is no action on a card and is not counted.)"""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def on_event(self, event: Event) -> None:
        if not event.kind.startswith("guard.") or event.gpu_index is None:
            return
        key = (str(event.gpu_index), event.kind.removeprefix("guard."))
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1

    def counts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)


async def gather(readers: RigReaders, guard: GuardCounter) -> RigSnapshot:
    """The snapshot now (call it on the worker's loop)."""
    status = await readers.status()
    networks: list[NetworkRecord] = []
    earnings = None
    jobs: JobCounts = {}
    try:
        if readers.networks is not None:
            networks = list((await readers.networks()).networks)
        if readers.earnings is not None:
            earnings = await readers.earnings()
    except Unavailable as exc:
        log.debug("metrics: %s", exc)
    if readers.jobs is not None:
        jobs = await readers.jobs()
    return RigSnapshot(status, networks, earnings, jobs, guard.counts(), host_name())


def host_name() -> str:
    """This computer's name, for the rig's label and the alerts' titles."""
    return socket.gethostname() or "rig"
