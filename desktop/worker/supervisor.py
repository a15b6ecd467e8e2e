"""The network supervisor: the worker's one handle on every network.

Why in the worker: a network's agent (the Nosana node container, the practice market) must
run while the GUI is closed, come back after a crash (with capped backoff), leave a status
history from which uptime is computed, and record what the network paid. The supervisor is
a façade over collaborators, each in its own module with its dependencies given here:

- ``NetworkTable`` (supervisor_table): the networks in ranking order and what is known of
  each; ``Operations`` (operations.py): long actions answering at once;
- ``Agents`` (supervisor_agents): drive each agent to running, paused or stopped, one
  action at a time; the emergency stop; crash restarts;
- ``Polls`` (supervisor_polls): each network's status on its own loop, bounded calls;
- ``NetworkMoney`` (supervisor_money): pay, energy, earnings net of electricity;
- ``Enrollments`` (supervisor_enroll): enroll, restore, remove;
- ``Views`` (supervisor_views): the summaries for the API.

It serves the worker's NetworksPort (``list_networks``, ``summary``, ``enroll``, ``act``),
the earnings (``earnings``, ``today``) and the reconciler's ``AgentControl`` (``owners``,
``runs_own_agent``, ``penalties``, ``pause_agent``, ``resume_agent``, ``stop_agent_now``;
blocking, from the reconciler's thread). It never decides that a network is paused: the
worker's record of holds does, through ``is_held``.

One clock: every timestamp is ``desktop.clock.now()`` (``now`` is injectable for tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec

from desktop.ipc.protocol import ApiError
from desktop.ipc.schema import Operation
from desktop.model import Event, ExitReason, JobState, Money, NetworkPenalties, NodeState
from desktop.money import valuation as net
from desktop.networks.backoff import Backoff
from desktop.networks.base import (
    EnrollmentError,
    JobSource,
    MonitorOnly,
    NetworkAdapter,
    NetworkError,
    OwnProcesses,
)
from desktop.networks.nulls import job_source
from desktop.networks.records import HostFacts
from desktop.networks.spec import NetworkSpec, wall_now
from desktop.secrets import SecretStore
from desktop.worker.operations import Operations
from desktop.worker.supervisor_agents import Agents, log
from desktop.worker.supervisor_enroll import Enrollments
from desktop.worker.supervisor_ledger import SupervisorLedger
from desktop.worker.supervisor_money import NetworkMoney
from desktop.worker.supervisor_polls import Polls
from desktop.worker.supervisor_table import AgentState, NetworkTable
from desktop.worker.supervisor_views import Views

CLOSE_TIMEOUT_S = 20.0
_API_STATUS = {"not_found": 404, "conflict": 409, "invalid_request": 422}


def never_held(network: str) -> bool:
    return False


def _restart_backoff() -> Backoff:
    return Backoff(base=5.0, cap=300.0)


class Supervisor:
    """Owns every network adapter of the worker (see the module docstring)."""

    def __init__(
        self,
        specs: Sequence[NetworkSpec],
        adapters: Mapping[str, NetworkAdapter],
        ledger: SupervisorLedger,
        secrets: SecretStore,
        emit: Callable[[Event], None],
        *,
        is_held: Callable[[str], bool] = never_held,
        money: NetworkMoney | None = None,
        tariff: Callable[[], net.Tariff] = net.Tariff,
        facts: Callable[[], HostFacts | None] = lambda: None,
        operations: Operations | None = None,
        now: Callable[[], float] = wall_now,
        poll_interval_s: float = 5.0,
        call_timeout_s: float = 10.0,
        restart_backoff: Callable[[], Backoff] = _restart_backoff,
    ) -> None:
        self.ledger, self.now = ledger, now
        self.table = NetworkTable(specs, adapters, emit, now, restart_backoff)
        self.operations = operations or Operations(emit, now)
        self.money = money or NetworkMoney(ledger, emit, tariff, now)
        self.agents = Agents(self.table, self.operations, is_held, now)
        self.enrollments = Enrollments(
            self.table,
            self.agents,
            self.operations,
            ledger,
            secrets,
            self.money.energy,
            facts,
            is_held,
            now,
        )
        self.polls = Polls(
            self.table,
            self.agents,
            self.money,
            ledger,
            self.enrollments.recheck,
            now,
            poll_interval_s,
            call_timeout_s,
        )
        self.views = Views(self.table, self.money, ledger, self.operations, is_held, facts, now)
        self._stop = asyncio.Event()

    # --- life ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Restore enrollments (saved fields plus keyring secrets) and start the agents."""
        await asyncio.to_thread(self.ledger.close_open_energy_periods)
        await self.enrollments.restore_all()

    async def run(self) -> None:
        """Poll every network, each on its own loop, until ``close``."""
        await self.polls.run(self._stop)

    async def poll_once(self) -> None:
        await self.polls.poll_once()

    async def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Stop every agent at once and together: no guard watches the GPU once the
        worker is gone."""
        self._stop.set()
        await asyncio.to_thread(self.money.energy.close_all, self.now())
        await asyncio.gather(
            *(asyncio.to_thread(self.agents.shut, n, timeout_s) for n in self.table.ids())
        )

    # --- the API (NetworksPort) -----------------------------------------------------------

    def summary(self) -> list[dict[str, Any]]:
        """The short form for ``GET /status`` (from memory, never blocks)."""
        return self.views.brief()

    async def list_networks(self) -> list[dict[str, Any]]:
        return await self.views.summaries()

    async def network_status(self, network: str) -> dict[str, Any]:
        try:
            return (await self.views.summaries([network]))[0]
        except NetworkError as exc:
            raise api_error(exc) from None

    async def enroll(self, network: str, credentials: Mapping[str, Any]) -> dict[str, Any]:
        """``{status, action_required, operation}``: enrolled, with the agent starting in
        ``operation`` (None when there is nothing to start)."""
        try:
            action, op = await self.enrollments.enroll(network, credentials)
        except NetworkError as exc:
            raise api_error(exc) from None
        self.polls.enrolled(network)
        return {
            "status": await self.network_status(network),
            "action_required": None if action is None else action.to_json(),
            "operation": None if op is None else msgspec.to_builtins(op),
        }

    async def act(self, network: str, action: str) -> dict[str, Any]:
        """``remove`` (an operation): ``{status, operation}``. Pausing a network is the
        user's hold (``POST /pause`` with scope "network"), not an action here."""
        if action != "remove":
            raise ApiError(
                "not_found",
                f"There is no network action {action!r}. Remove is one; to pause a network "
                f"use `rigpilot pause --network {network}` (POST /pause).",
                404,
            )
        try:
            op = self.remove(network)
        except NetworkError as exc:
            raise api_error(exc) from None
        return {"status": await self.network_status(network), "operation": msgspec.to_builtins(op)}

    def remove(self, network: str) -> Operation:
        return self.enrollments.remove(network)

    def operation(self, op_id: str) -> Operation:
        """``GET /operations/{id}``; UnknownOperation (not_found) when there is none."""
        return self.operations.get(op_id)

    def is_enrolled(self, network: str) -> bool:
        return self.table.get(network).rt.enrolled

    # --- money and jobs (the wiring's hooks) -------------------------------------------------

    async def earnings(self, days: int) -> dict[str, Any]:
        return await self.money.earnings(days)

    async def today(self) -> dict[str, Any] | None:
        return await self.money.today()

    def credit(self, network: str, job_id: str, money: Money, idem_key: str) -> bool:
        """Record pay (blocking, thread-safe; adapters call it); False when already there."""
        return self.money.credit(network, job_id, money, idem_key)

    def job_finished(
        self, network: str, job_id: str, state: JobState, exit_reason: ExitReason | None
    ) -> None:
        """The job service reports the end of a job a network handed it."""
        try:
            adapter = self.table.get(network).adapter
        except NetworkError:
            return  # a job run by hand ("local"), or of a network since unregistered
        job_source(adapter).job_finished(job_id, state, exit_reason)

    def record_energy(
        self,
        gpu_uuid: str,
        counter_j: float | None,
        power_w: float | None = None,
        owner: str | None = None,
    ) -> None:
        """Feed one GPU reading (blocking: call from a thread); see EnergyAccounting. The
        GPU's energy is charged to the network that owns it (the reconciler's record), if
        its agent is up: each network pays only for the GPUs it held, while it held them.
        The periods are stamped with the supervisor's clock, like the status history, so
        that uptime and the energy a network ran on can never be on two clocks."""
        charged = [owner] if owner is not None and owner in self.agents.running() else []
        self.money.record_energy(gpu_uuid, self.now(), counter_j, power_w, charged)

    # --- AgentControl (the reconciler's; blocking, from its thread) -----------------------------

    def owners(self) -> list[str]:
        """Networks able to own a GPU now, best first: enrolled and checked, no step left
        to the user, not being removed, not held by the user, not failing."""
        held = self.agents.is_held
        return [
            e.spec.id
            for e in self.table
            if e.rt.enrolled
            and e.rt.refused is None
            and e.rt.action is None
            and not e.rt.removing
            and e.rt.failing is None
            and not held(e.spec.id)
        ]

    def working(self) -> set[str]:
        """Networks last seen busy with work (a job of their own agent's)."""
        return {
            e.spec.id
            for e in self.table
            if e.rt.last is not None and e.rt.last.state is NodeState.BUSY
        }

    def runs_own_agent(self, network: str) -> bool:
        """Its work is not our job service's (an agent of its own, or only watched)."""
        return not isinstance(self.table.get(network).adapter, JobSource)

    def penalties(self) -> dict[str, NetworkPenalties]:
        """The enrolled networks' penalties, for the arbiter."""
        return {e.spec.id: e.adapter.penalties() for e in self.table if e.rt.enrolled}

    def pause_agent(self, network: str, reason: str) -> None:
        """Pause the agent (Pausable), else stop it gracefully; returns at once (the
        graceful part runs as an operation)."""
        if not self._controlled(network):
            return
        log.info("supervisor: pausing %s: %s", network, reason)
        self.agents.want(network, AgentState.PAUSED, reason)

    def resume_agent(self, network: str, reason: str) -> None:
        """Resume the agent, or start it again; returns at once."""
        if not self._controlled(network):
            return
        log.info("supervisor: resuming %s: %s", network, reason)
        self.agents.want(network, AgentState.RUNNING, reason)

    def stop_agent_now(self, network: str, reason: str) -> None:
        """An emergency: stop the agent at once, its job too (blocking, short)."""
        if self._controlled(network):
            self.agents.stop_now(network, reason)

    def agent_pids(self) -> set[int]:
        """Host pids of the enrolled networks' own processes (OwnProcesses): their use of
        the GPU is theirs, not a game's."""
        pids: set[int] = set()
        for entry in self.table:
            if entry.rt.enrolled and isinstance(entry.adapter, OwnProcesses):
                try:
                    pids |= entry.adapter.agent_pids()
                except Exception:  # noqa: BLE001 - an adapter's bug must not blind the guard
                    log.exception("supervisor: %s could not list its processes", entry.spec.id)
        return pids

    def _controlled(self, network: str) -> bool:
        entry = self.table.get(network)
        if isinstance(entry.adapter, MonitorOnly):
            log.info("supervisor: %s is only watched; nothing to pause or resume", network)
            return False
        return entry.rt.enrolled


def api_error(exc: NetworkError) -> ApiError:
    """The local API's error for a domain error (its ``code`` decides the HTTP status).
    Until the typed API maps domain errors itself (issue 13, item 4)."""
    field = exc.field if isinstance(exc, EnrollmentError) else None
    return ApiError(exc.code, str(exc), _API_STATUS.get(exc.code, 500), field)
