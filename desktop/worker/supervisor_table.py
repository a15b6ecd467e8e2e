"""The supervisor's table: every registered network, its adapter, and what the worker
knows of it between polls.

Why a table of its own: the supervisor's collaborators (agents, polls, money, views; see
desktop/worker/supervisor.py) each read the same per-network record, from the event loop,
from operation threads and from the reconciler's thread. The table holds the records and
the one way to emit a network event; it decides nothing.

A record never says whether the *user* paused a network: that is the worker's record of
holds (``is_held``). ``target`` is what the reconciler last asked of the agent, ``agent``
what the supervisor last did to it; the agents collaborator drives the second towards the
first.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop.ipc.schema import Operation
from desktop.model import Event, NodeState, Severity
from desktop.networks.backoff import Backoff, RetryGate
from desktop.networks.base import NetworkAdapter, UnknownNetwork
from desktop.networks.records import ActionRequired, Reputation, StatusSnapshot
from desktop.networks.spec import NetworkSpec

UP_STATES = frozenset({NodeState.IDLE, NodeState.BUSY, NodeState.BENCHMARKING, NodeState.STARTING})
CRASHED_STATES = frozenset({NodeState.OFFLINE, NodeState.ERROR})


class AgentState(enum.StrEnum):
    """Where an agent is, or is wanted: RigPilot's side of it, not the network's word."""

    STOPPED = "stopped"
    RUNNING = "running"
    PAUSED = "paused"


@dataclass
class NetworkRuntime:
    """What the supervisor knows of one network (rebuilt from the ledger at start).

    Attributes:
        gate: the restart backoff of a crashing agent.
        enrolled: the ledger has the enrollment.
        config: the enrollment as saved (plain fields, names of keyring fields).
        action: the user's step still to take before the agent can start.
        refused: why a saved enrollment no longer holds (enroll again to fix it).
        removing: a removal is under way; nothing starts it again.
        target: what the reconciler (or enrollment, or a crash) last asked of the agent.
        agent: what the supervisor last did to the agent.
        pause_reason: why the agent is paused or stopped, in words.
        graceful: whether the next stop waits for the running job (not after an emergency).
        failing: why the agent is failing (it crashed or would not start), None when fine.
        last: the last status seen (stamped with the worker's clock).
        reputation: the last reputation read (refreshed with the slow details).
        details_ts: when the slow details (reputation, earnings sync) were last read.
        polling: an adapter call of this network is still out (no second one starts).
        driving: the operation driving the agent now, if any.
    """

    gate: RetryGate
    enrolled: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    action: ActionRequired | None = None
    refused: str | None = None
    removing: bool = False
    target: AgentState = AgentState.STOPPED
    agent: AgentState = AgentState.STOPPED
    pause_reason: str = ""
    graceful: bool = True
    up_since: float | None = None
    restarts: int = 0
    failing: str | None = None
    last: StatusSnapshot | None = None
    reputation: Reputation | None = None
    details_ts: float = float("-inf")
    polling: bool = False
    driving: Operation | None = None
    mutex: threading.Lock = field(default_factory=threading.Lock, repr=False)
    lane: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def forget(self) -> None:
        """Back to "not enrolled" (after a removal); the history stays in the ledger."""
        self.enrolled, self.config, self.action, self.refused = False, {}, None, None
        self.target = self.agent = AgentState.STOPPED
        self.pause_reason, self.graceful, self.failing = "", True, None
        self.up_since, self.restarts, self.last, self.reputation = None, 0, None, None
        self.details_ts = float("-inf")
        self.gate.succeeded()


def next_state(rt: NetworkRuntime) -> AgentState | None:
    """The agent's next state on its way to the target; None when it is there (a stopped
    agent is as paused as it gets)."""
    if rt.agent is rt.target or (rt.target is AgentState.PAUSED and rt.agent is AgentState.STOPPED):
        return None
    return rt.target


OPERATION_VERBS = {
    "start": "Starting",
    "restart": "Restarting",
    "resume": "Resuming",
    "pause": "Pausing",
    "stop": "Stopping",
}


def operation_kind(agent: AgentState, target: AgentState, restart: bool) -> str:
    """The word for what driving ``agent`` to ``target`` is (an operation's ``kind``)."""
    if restart:
        return "restart"
    if target is AgentState.RUNNING:
        return "resume" if agent is AgentState.PAUSED else "start"
    return "pause" if target is AgentState.PAUSED else "stop"


class NetworkEntry:
    """One network in the table: its spec, its adapter and what the worker knows of it.

    The adapter is looked up at each use, not at start: the registry's adapters are built
    the first time they are asked for (desktop/networks/registry.py, ``LazyAdapters``), so
    code that only needs a network's id or name reads ``spec``.
    """

    __slots__ = ("_adapters", "rt", "spec")

    def __init__(
        self, spec: NetworkSpec, adapters: Mapping[str, NetworkAdapter], rt: NetworkRuntime
    ) -> None:
        self.spec, self._adapters, self.rt = spec, adapters, rt

    @property
    def adapter(self) -> NetworkAdapter:
        return self._adapters[self.spec.id]


class NetworkTable:
    """Every registered network in ranking order (the registry's), and event emission."""

    def __init__(
        self,
        specs: Sequence[NetworkSpec],
        adapters: Mapping[str, NetworkAdapter],
        emit: Callable[[Event], None],
        now: Callable[[], float],
        restart_backoff: Callable[[], Backoff],
    ) -> None:
        self.emit_event, self.now = emit, now
        self._entries = {
            spec.id: NetworkEntry(spec, adapters, NetworkRuntime(RetryGate(restart_backoff(), now)))
            for spec in specs
        }

    def get(self, network: str) -> NetworkEntry:
        entry = self._entries.get(network)
        if entry is None:
            known = ", ".join(self._entries) or "none"
            raise UnknownNetwork(f"There is no network {network!r}; known: {known}.")
        return entry

    def __iter__(self) -> Iterator[NetworkEntry]:
        return iter(list(self._entries.values()))

    def ids(self) -> list[str]:
        return list(self._entries)

    def emit(
        self, kind: str, message: str, network: str, severity: Severity = Severity.INFO, **data: Any
    ) -> None:
        """Publish a network event (``emit`` is safe from any thread)."""
        self.emit_event(Event(self.now(), kind, severity, message, network=network, data=data))
