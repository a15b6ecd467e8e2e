"""The network supervisor: enrolled networks run, crashed agents come back, history is kept.

Why in the worker: a network agent (the Nosana node container, the demo marketplace) must
run while the GUI is closed, be restarted when it crashes (with capped backoff, so a broken
agent is not restarted in a tight loop), and leave a status history from which uptime is
computed. The supervisor is asyncio; adapters and the ledger block, so they are called
through ``asyncio.to_thread``. Secrets go to the keyring (SecretStore) and only their field
names reach the ledger. It serves the worker's NetworksPort and EarningsPort
(desktop/worker/ports.py): ``list_networks``, ``summary``, ``enroll``, ``act``,
``earnings``, ``today`` and ``close``.

One clock: every network timestamp the supervisor records (status history, snapshots,
events, enrollments, pay, energy periods) is ``clock()``, the simulated clock in demo and
simulated modes, because uptime compares status rows with "now" and energy periods with
the samples' own (simulated) times. Adapters' own stamps are replaced by the time the
supervisor saw them, and an adapter that simulates time (the practice network, through
``use_clock``) is given this clock when the supervisor first meets it. When simulated
time runs fast, polls come closer in real time so that two status observations are never
more than ``max_state_gap_s`` simulated seconds apart (the ledger treats a longer gap as
time the network was not seen up).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Protocol

from desktop import earnings as net
from desktop.ipc.protocol import ApiError
from desktop.model import Event, ExitReason, JobState, Money, NetworkPenalties, NodeState, Severity
from desktop.networks.backoff import Backoff, RetryGate
from desktop.networks.base import (
    ActionRequired,
    EnrollmentError,
    HostFacts,
    NetworkAdapter,
    StatusSnapshot,
    split_credentials,
)
from desktop.networks.energy import EnergyAccounting
from desktop.networks.summary import network_summary
from desktop.secrets import KeyringUnavailable, SecretStore

log = logging.getLogger(__name__)

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


class Supervisor:
    """Owns every network adapter of the worker (see module docstring)."""

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

    # --- life cycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Restore enrollments (saved fields plus keyring secrets) and start the wanted ones."""
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self.ledger.close_open_energy_periods)
        for network, adapter in self.adapters.items():
            rt = self.runtime(network)
            record = await asyncio.to_thread(self.ledger.enrollment, network)
            if record is None:
                continue
            rt.enrolled, rt.paused, rt.config = True, bool(record.paused), dict(record.config)
            rt.awaiting_action = bool(rt.config.get("awaiting_action"))
            creds = dict(rt.config.get("fields") or {})
            for name in rt.config.get("keyring_fields") or []:
                value = await asyncio.to_thread(self.secrets.get, network, name)
                if value is not None:
                    creds[name] = value
            try:
                rt.action = await asyncio.to_thread(adapter.enroll, creds)
            except Exception as exc:  # e.g. the practice image is no longer allowed
                rt.refused = str(exc)  # not polled, not started: its status says why
                rt.last = StatusSnapshot(NodeState.ERROR, "", self.clock(), message=str(exc))
                self._emit(
                    "network.error", f"{adapter.display_name}: {exc}", network, Severity.ERROR
                )
                continue
            if rt.awaiting_action and rt.action is None:  # the user's step is done now
                rt.awaiting_action = False
                rt.config["awaiting_action"] = False
                await self._save(network)
            if rt.wanted:
                await self._start_network(network, restart=False)

    async def run(self) -> None:
        """Poll every poll_interval_s (sooner when time runs fast) until close()."""
        real, seen = time.monotonic(), self.clock()
        while not self._stop.is_set():
            await self.poll_once()
            wait = self.poll_wait(self.clock() - seen, time.monotonic() - real)
            real, seen = time.monotonic(), self.clock()
            try:
                await asyncio.wait_for(self._stop.wait(), wait)
            except TimeoutError:
                pass

    def poll_wait(self, clock_s: float, real_s: float) -> float:
        """Real seconds to the next poll: ``poll_interval_s``, or less when the clock ran
        faster than real time (``clock_s`` over ``real_s``) so observations stay within
        ``max_state_gap_s`` clock seconds of each other."""
        rate = clock_s / real_s if real_s > 0 and clock_s > 0 else 1.0
        if rate * self.poll_interval_s <= self.max_state_gap_s:
            return self.poll_interval_s
        return max(MIN_POLL_S, self.max_state_gap_s / rate)

    async def close(self, timeout_s: float = 20.0) -> None:
        """Stop every running network: no guard watches the GPU once the worker is gone."""
        self._stop.set()
        await asyncio.to_thread(self.energy.close_all, self.clock())
        for network, adapter in self.adapters.items():
            if self.runtime(network).started:
                try:
                    await asyncio.to_thread(adapter.stop, False, timeout_s)
                except Exception as exc:
                    log.warning("supervisor: stopping %s failed: %s", network, exc)
                self.runtime(network).started = False

    def stop_now(self, network: str, reason: str = "") -> bool:
        """Stop a running agent at once, without waiting for its job (a guard emergency).

        Blocking: call it from a thread. The agent counts as stopped from the start, so the
        poll does not restart it as crashed; ``start_again`` brings it back once the guard
        lets go. False when it was not running or could not be stopped.
        """
        adapter, rt = self.adapters.get(network), self._rt.get(network)
        if adapter is None or rt is None or not rt.started:
            return False
        rt.started, rt.up_since = False, None
        try:
            adapter.stop(False, 0.0)
        except Exception as exc:
            rt.started = True  # still running, as far as we know: close() tries again
            self._emit("network.error", f"{adapter.display_name}: {exc}", network, Severity.ERROR)
            return False
        note = f": {reason}" if reason else ""
        self._emit(
            "network.stopped",
            f"{adapter.display_name} was stopped at once{note}",
            network,
            Severity.WARNING,
        )
        return True

    def start_again(self, network: str) -> bool:
        """Start an agent ``stop_now`` stopped, if it is still wanted (blocking, a thread)."""
        adapter, rt = self.adapters.get(network), self._rt.get(network)
        if adapter is None or rt is None or rt.started or not rt.wanted:
            return False
        try:
            adapter.start()
        except Exception as exc:
            rt.started, rt.up_since = True, None  # the poll restarts it, with backoff
            self._emit(
                "network.start_failed",
                f"{adapter.display_name} could not start: {exc}",
                network,
                Severity.ERROR,
            )
            return False
        rt.started, rt.up_since = True, self.clock()
        self._emit("network.started", f"{adapter.display_name} started", network)
        return True

    async def _start_network(self, network: str, restart: bool) -> bool:
        adapter, rt = self.adapters[network], self.runtime(network)
        try:
            await asyncio.to_thread(adapter.start)
        except Exception as exc:
            delay = rt.gate.failed()
            self._emit(
                "network.start_failed",
                f"{adapter.display_name} could not start: {exc}; next try in {delay:.0f} s",
                network,
                Severity.ERROR,
            )
            return False
        rt.started, rt.up_since = True, self.clock()
        if restart:
            self._emit(
                "network.restarted",
                f"{adapter.display_name} was restarted after a crash",
                network,
                Severity.WARNING,
                restarts=rt.restarts,
            )
        else:
            self._emit("network.started", f"{adapter.display_name} started", network)
        return True

    # --- polling -------------------------------------------------------------------

    async def poll_once(self) -> None:
        for network in list(self.adapters):
            rt = self.runtime(network)
            if rt.enrolled and not rt.refused:
                await self._poll_network(network)
        if self.clock() - self._last_sync >= self.sync_interval_s:
            self._last_sync = self.clock()
            await self.sync_earnings()

    async def _poll_network(self, network: str) -> None:
        adapter, rt = self.adapters[network], self.runtime(network)
        try:
            snapshot = self._seen(await asyncio.to_thread(adapter.status))
        except Exception as exc:  # an adapter must not take the supervisor down
            snapshot = StatusSnapshot(
                NodeState.UNKNOWN, "", self.clock(), message=f"status failed: {exc}"
            )
        changed = rt.last is None or rt.last.state != snapshot.state
        rt.last = snapshot
        await asyncio.to_thread(
            self.ledger.record_network_state, network, snapshot.state, snapshot.as_of
        )
        if changed:
            detail = f" ({snapshot.message})" if snapshot.message else ""
            self._emit(
                "network.state",
                f"{adapter.display_name}: {snapshot.state}{detail}",
                network,
                state=str(snapshot.state),
                native_state=snapshot.native_state,
            )
        now = self.clock()
        if snapshot.state in CRASHED_STATES and rt.wanted and rt.started:
            rt.up_since = None
            if rt.gate.ready():
                rt.restarts += 1
                log.warning(
                    "supervisor: %s is %s (%s); restarting",
                    network,
                    snapshot.state,
                    snapshot.message,
                )
                if await self._start_network(network, restart=True):
                    rt.gate.not_before = now + rt.gate.backoff.next_delay()
        elif (
            snapshot.state in UP_STATES
            and rt.up_since is not None
            and now - rt.up_since >= STABLE_AFTER_S
        ):
            rt.gate.succeeded()

    def running_networks(self) -> list[str]:
        return [
            n
            for n, rt in self._rt.items()
            if rt.started and rt.last is not None and rt.last.state in UP_STATES
        ]

    def record_energy(
        self, gpu_uuid: str, ts: float, counter_j: float | None, power_w: float | None = None
    ) -> None:
        """Feed one GPU reading (blocking: call from a thread); see EnergyAccounting."""
        self.energy.observe(gpu_uuid, ts, counter_j, power_w, self.running_networks())

    # --- enrollment and control (NetworksPort) -------------------------------------------

    async def enroll(self, network: str, credentials: Mapping[str, Any]) -> dict[str, Any]:
        """Validate, keep secrets in the keyring, enroll, record; start when nothing is left
        for the user to do. Answers ``{status, action_required}``; ApiError when refused."""
        adapter, rt = self.adapter(network), self.runtime(network)
        try:
            secret, plain = split_credentials(adapter, credentials, self.facts())
            if secret:
                await asyncio.to_thread(self.secrets.check)
                for name, value in secret.items():
                    await asyncio.to_thread(self.secrets.set, network, name, value)
            action = await asyncio.to_thread(adapter.enroll, {**plain, **secret})
        except (EnrollmentError, KeyringUnavailable) as exc:
            raise ApiError("invalid_request", str(exc), 422, getattr(exc, "field", None)) from None
        if rt.refused is not None:
            rt.refused, rt.last = None, None  # its ERROR snapshot told the old story
        rt.enrolled, rt.paused, rt.action = True, False, action
        rt.awaiting_action = action is not None
        rt.config = {
            "fields": plain,
            "keyring_fields": sorted(secret),
            "awaiting_action": rt.awaiting_action,
        }
        await self._save(network)
        self._emit("network.enrolled", f"{adapter.display_name} enrolled", network)
        if rt.wanted and not rt.started:
            await self._start_network(network, restart=False)
        return {
            "status": await self.network_status(network),
            "action_required": None if action is None else action.to_json(),
        }

    async def act(self, network: str, action: str) -> dict[str, Any]:
        adapter, rt = self.adapter(network), self.runtime(network)
        if not rt.enrolled:
            raise ApiError(
                "conflict",
                f"{adapter.display_name} is not enrolled; enroll it "
                f"first (rigpilot enroll {network}).",
                409,
            )
        if action == "pause":
            rt.paused = True
            await self._save(network)
            ok = await asyncio.to_thread(adapter.pause)
            note = "" if ok else " (it cannot pause; it was stopped)"
            self._emit("network.paused", f"{adapter.display_name} paused{note}", network)
        elif action == "resume":
            rt.paused, rt.awaiting_action, rt.action = False, False, None
            rt.config = {**(rt.config or {}), "awaiting_action": False}
            await self._save(network)
            if rt.started:
                await asyncio.to_thread(adapter.resume)
                self._emit("network.resumed", f"{adapter.display_name} resumed", network)
            else:
                rt.gate.succeeded()
                await self._start_network(network, restart=False)
        elif action == "remove":
            await self._remove(network)
        else:
            raise ApiError("not_found", f"There is no network action {action!r}.", 404)
        return {"status": await self.network_status(network)}

    async def _remove(self, network: str) -> None:
        """Stop the network, forget its enrollment and its keyring secrets (not its history)."""
        adapter, rt = self.adapters[network], self.runtime(network)
        await asyncio.to_thread(self.energy.close_network, network, self.clock())
        await asyncio.to_thread(adapter.stop, True, 120.0)
        remover = getattr(adapter, "remove", None)
        if callable(remover):
            await asyncio.to_thread(remover)
        for name in (rt.config or {}).get("keyring_fields") or []:
            await asyncio.to_thread(self.secrets.delete, network, name)
        await asyncio.to_thread(self.ledger.remove_network, network)
        self._rt.pop(network, None)
        self._emit("network.removed", f"{adapter.display_name} removed", network)

    def penalties(self) -> dict[str, NetworkPenalties]:
        """Per network, for the arbiter: what pausing or throttling costs there."""
        return {network: adapter.penalties() for network, adapter in self.adapters.items()}

    # --- money -----------------------------------------------------------------------

    def credit(self, network: str, job_id: str, money: Money, idem_key: str) -> bool:
        """Record pay (blocking, thread-safe; adapters call it); False when already there."""
        new = self.ledger.record_earning(idem_key, network, "job", money, self.clock(), job_id)
        if new:
            usd = f" (${money.usd:.4f})" if money.usd is not None else ""
            self._emit(
                "network.earned",
                f"{network}: +{money.amount} {money.unit}{usd} for job {job_id}",
                network,
                job_id=job_id,
                amount=str(money.amount),
                unit=money.unit,
                usd=None if money.usd is None else str(money.usd),
            )
        return new

    def job_finished(
        self, network: str, job_id: str, state: JobState, exit_reason: ExitReason | None
    ) -> None:
        """The job runner reports the end of a network's job (the demo pays through this)."""
        hook = getattr(self.adapters.get(network), "job_finished", None)
        if callable(hook):
            hook(job_id, state, exit_reason)

    async def sync_earnings(self) -> int:
        """Record finished, paid jobs the networks report (idempotent); returns new rows."""
        added = 0
        for network, adapter in self.adapters.items():
            if not self.runtime(network).started:
                continue
            try:
                jobs = await asyncio.to_thread(adapter.jobs, self.clock() - 7 * 86400)
            except Exception as exc:
                log.info("supervisor: %s jobs unavailable: %s", network, exc)
                continue
            for job in jobs:
                if job.earned is not None:
                    added += await asyncio.to_thread(
                        self.ledger.record_earning,
                        f"{network}:{job.job_id}:pay",
                        network,
                        "job",
                        job.earned,
                        job.ended_ts or self.clock(),
                        job.job_id,
                    )
        return added

    async def earnings(self, days: int) -> dict[str, Any]:
        """``GET /earnings``: gross, electricity and net per day and network."""
        await asyncio.to_thread(self.energy.tick_all, self.clock())
        rows = await asyncio.to_thread(self.ledger.earnings_by_day, days, None, self.clock())
        return net.net_report([net.DayUsage.from_ledger(r) for r in rows], self.tariff())

    async def today(self) -> dict[str, Any] | None:
        return (await self.earnings(1))["totals"]

    # --- views -----------------------------------------------------------------------

    def summary(self) -> list[dict[str, Any]]:
        """The short form for ``GET /status`` (from memory, never blocks)."""
        out = []
        for network, adapter in self.adapters.items():
            rt, last = self.runtime(network), self.runtime(network).last
            out.append(
                {
                    "network": network,
                    "display_name": adapter.display_name,
                    "state": str(last.state)
                    if last
                    else str(NodeState.NOT_ENROLLED if not rt.enrolled else NodeState.OFFLINE),
                    "enrolled": rt.enrolled,
                    "paused": rt.paused,
                    "message": last.message if last else "",
                }
            )
        return out

    async def list_networks(self) -> list[dict[str, Any]]:
        return await self.summaries()

    async def network_status(self, network: str) -> dict[str, Any]:
        return (await self.summaries([network]))[0]

    async def summaries(self, networks: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """One dict per network for ``GET /networks`` (see docs/api.md)."""
        today = (await self.earnings(1))["totals"]["networks"]
        total = (await self.earnings(MAX_DAYS))["totals"]["networks"]
        out = []
        for network in list(networks or self.adapters):
            adapter, rt = self.adapter(network), self.runtime(network)
            snapshot = rt.last if rt.enrolled and rt.last is not None else None
            if snapshot is None:
                snapshot = self._seen(await asyncio.to_thread(adapter.status))
            try:
                reputation = await asyncio.to_thread(adapter.reputation)
            except Exception as exc:
                log.info("supervisor: %s reputation unavailable: %s", network, exc)
                reputation = None
            now = self.clock()
            uptime = await asyncio.to_thread(
                self.ledger.uptime_pct, network, now - UPTIME_WINDOW_S, now
            )
            facts = self.facts()
            checks = [] if facts is None else adapter.check_requirements(facts)
            record = {"enrolled": rt.enrolled, "running": rt.enrolled and not rt.paused}
            money = {"earnings_today": today.get(network), "earnings_total": total.get(network)}
            out.append(
                network_summary(
                    adapter, snapshot, record, rt.action, checks, reputation, uptime, money
                )
            )
        return out


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
