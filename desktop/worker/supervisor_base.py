"""The supervisor's shared state: constants, the ledger it needs, each network's runtime
record, and the plumbing (clock stamps, events, saving an enrollment) every part uses.

Why a base of its own: the supervisor is split by concern (money, agents, views, control;
see desktop/worker/supervisor.py) and each concern reads the same per-network runtime and
emits events the same way, from the loop or from a thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Protocol

from desktop import earnings as net
from desktop.ipc.protocol import ApiError
from desktop.model import Event, Money, NodeState, Severity
from desktop.networks.backoff import Backoff, RetryGate
from desktop.networks.base import ActionRequired, HostFacts, NetworkAdapter, StatusSnapshot
from desktop.networks.energy import EnergyAccounting
from desktop.secrets import SecretStore

# One logger for every part, named as before the split, so log filters see the same name.
log = logging.getLogger("desktop.worker.supervisor")


UP_STATES = frozenset({NodeState.IDLE, NodeState.BUSY, NodeState.BENCHMARKING, NodeState.STARTING})
CRASHED_STATES = frozenset({NodeState.OFFLINE, NodeState.ERROR})
STABLE_AFTER_S = 300.0  # an agent up this long has its restart backoff reset
UPTIME_WINDOW_S = 30 * 86400.0
MAX_DAYS = 3660  # "total" earnings: everything the ledger holds (its limit)
MAX_STATE_GAP_S = 120.0  # clock seconds between status observations (ledger gap: 300 s)
MIN_POLL_S = 0.1  # real seconds: the fastest the supervisor polls, however fast time runs


class SupervisorLedger(Protocol):
    """The part of desktop.ledger.Ledger the supervisor uses (same names and arguments)."""

    def record_earning(
        self,
        idem_key: str,
        network: str,
        kind: str,
        money: Money,
        ts: float,
        job_id: str | None = None,
        usd_rate: Decimal | None = None,
    ) -> bool: ...
    def enroll_network(
        self, network: str, ts: float | None = None, config: Mapping[str, Any] | None = None
    ) -> None: ...
    def set_network_paused(self, network: str, paused: bool) -> bool: ...
    def remove_network(self, network: str) -> bool: ...
    def enrollment(self, network: str) -> Any: ...
    def record_network_state(self, network: str, state: NodeState, ts: float) -> None: ...
    def uptime_pct(self, network: str, since: float, now: float | None = None) -> float | None: ...
    def earnings_by_day(self, days: int, tz: Any = None, now: float | None = None) -> list[Any]: ...
    def start_energy_period(
        self, gpu_uuid: str, network: str, ts: float, counter_j: float | None = None
    ) -> int: ...
    def energy_tick(
        self,
        period_id: int,
        ts: float,
        counter_j: float | None = None,
        power_w: float | None = None,
        *,
        close: bool = False,
    ) -> float: ...
    def end_energy_period(
        self,
        period_id: int,
        ts: float,
        counter_j: float | None = None,
        power_w: float | None = None,
    ) -> float: ...
    def close_open_energy_periods(self) -> int: ...


@dataclass
class NetworkRuntime:
    """What the supervisor knows of one network between polls (rebuilt at start)."""

    gate: RetryGate
    enrolled: bool = False
    paused: bool = False
    awaiting_action: bool = False
    config: dict[str, Any] | None = None
    started: bool = False
    up_since: float | None = None
    restarts: int = 0
    last: StatusSnapshot | None = None
    action: ActionRequired | None = None
    refused: str | None = None  # the saved enrollment no longer holds (why); enroll again

    @property
    def wanted(self) -> bool:
        return self.enrolled and not self.paused and not self.awaiting_action and not self.refused


class SupervisorBase:
    """State and plumbing of the supervisor (see desktop/worker/supervisor.py)."""

    def __init__(
        self,
        adapters: Mapping[str, NetworkAdapter],
        ledger: SupervisorLedger,
        secrets: SecretStore,
        on_event: Callable[[Event], None],
        clock: Callable[[], float] = time.time,
        poll_interval_s: float = 10.0,
        sync_interval_s: float = 300.0,
        tariff: Callable[[], net.Tariff] = net.Tariff,
        facts: Callable[[], HostFacts | None] = lambda: None,
        restart_backoff: Callable[[], Backoff] = lambda: Backoff(base=5.0, cap=300.0),
        max_state_gap_s: float = MAX_STATE_GAP_S,
    ) -> None:
        self.adapters: dict[str, NetworkAdapter] = dict(adapters)
        self.ledger, self.secrets, self.on_event = ledger, secrets, on_event
        self.clock, self.poll_interval_s = clock, poll_interval_s
        self.sync_interval_s, self.tariff, self.facts = sync_interval_s, tariff, facts
        self._restart_backoff = restart_backoff
        self.max_state_gap_s = max_state_gap_s
        self._rt: dict[str, NetworkRuntime] = {}
        self._clocked: set[str] = set()  # adapters given this clock (see runtime())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = asyncio.Event()
        self._last_sync = 0.0
        self.energy = EnergyAccounting(ledger)

    def runtime(self, network: str) -> NetworkRuntime:
        if network not in self._rt:
            self._rt[network] = NetworkRuntime(RetryGate(self._restart_backoff(), self.clock))
        if network not in self._clocked and network in self.adapters:
            self._clocked.add(network)
            use_clock = getattr(self.adapters[network], "use_clock", None)
            if callable(use_clock):  # an adapter that keeps its own time: the practice network
                use_clock(self.clock)
        return self._rt[network]

    def _seen(self, snapshot: StatusSnapshot) -> StatusSnapshot:
        """The snapshot stamped with the supervisor's clock (see the module doc)."""
        return replace(snapshot, as_of=self.clock())

    def adapter(self, network: str) -> NetworkAdapter:
        if network not in self.adapters:
            known = ", ".join(sorted(self.adapters))
            raise ApiError("not_found", f"There is no network {network!r}; known: {known}.", 404)
        return self.adapters[network]

    def _emit(
        self, kind: str, message: str, network: str, severity: Severity = Severity.INFO, **data: Any
    ) -> None:
        event = Event(self.clock(), kind, severity, message, network=network, data=data)
        loop = self._loop
        if loop is not None and loop.is_running() and not _on_loop(loop):
            loop.call_soon_threadsafe(self.on_event, event)
        else:
            self.on_event(event)

    async def _save(self, network: str) -> None:
        """Write the runtime's enrollment to the ledger (config holds no secret)."""
        rt = self.runtime(network)
        await asyncio.to_thread(self.ledger.enroll_network, network, self.clock(), rt.config)
        await asyncio.to_thread(self.ledger.set_network_paused, network, rt.paused)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
