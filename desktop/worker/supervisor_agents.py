"""The supervisor's agents: start what is enrolled, poll it, restart it when it crashes.

Why with capped backoff: a broken agent must not be restarted in a tight loop, and one that
stayed up ``STABLE_AFTER_S`` has its backoff reset. Adapters block, so every call goes
through ``asyncio.to_thread``; ``stop_now`` and ``start_again`` are the guard's blocking
emergency stop and its way back.
"""

from __future__ import annotations

import asyncio
import time

from desktop.model import NodeState, Severity
from desktop.networks.base import StatusSnapshot
from desktop.worker.supervisor_base import (
    CRASHED_STATES,
    MIN_POLL_S,
    STABLE_AFTER_S,
    UP_STATES,
    log,
)
from desktop.worker.supervisor_money import SupervisorMoney


class SupervisorAgents(SupervisorMoney):
    """Life cycle and polling of the network agents (part of the Supervisor)."""

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
