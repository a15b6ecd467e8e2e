"""The supervisor's agents: drive each network's agent to what is wanted of it, one action
at a time, and start a crashed one again with capped backoff.

Why a target and a driver: the reconciler (the lead's), enrollment and crash recovery all
say what they want of an agent (running, paused, stopped); the slow part (a Nosana pause is
a graceful stop: up to two minutes for the job, one more for the node to leave the market)
runs on an operation thread that moves the agent a step at a time until it is where the
latest wish says. Wishes never queue up: a pause followed by a resume while the pause still
waits for its job ends with the agent running. Only an emergency skips the line:
``stop_now`` stops the agent on the caller's thread, at once.

The pause of a network that cannot pause is its graceful stop, and its resume a start
(desktop/networks/nulls.py); a network with nothing to control is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from desktop.ipc.schema import Operation
from desktop.model import NodeState, Severity
from desktop.networks.base import Controllable, MonitorOnly, NetworkError, Pausable
from desktop.networks.nulls import control, pausing
from desktop.networks.records import StatusSnapshot
from desktop.worker.operations import Operations, Progress
from desktop.worker.supervisor_table import (
    CRASHED_STATES,
    OPERATION_VERBS,
    UP_STATES,
    AgentState,
    NetworkEntry,
    NetworkTable,
    next_state,
    operation_kind,
)

log = logging.getLogger("desktop.worker.supervisor")

STABLE_AFTER_S = 300.0  # an agent up this long has its restart backoff reset
GRACEFUL_WAIT_S = 120.0  # a graceful stop waits this long for the running job


class Agents:
    """Start, pause, resume and stop agents; restart crashed ones (module docstring)."""

    def __init__(
        self,
        table: NetworkTable,
        operations: Operations,
        is_held: Callable[[str], bool],
        now: Callable[[], float],
    ) -> None:
        self.table, self.operations, self.is_held, self.now = table, operations, is_held, now

    # --- wishes ------------------------------------------------------------------------------

    def want(
        self, network: str, target: AgentState, reason: str = "", *, restart: bool = False
    ) -> Operation | None:
        """Ask for the agent to be ``target``; the operation that gets it there (an
        operation already driving it now takes the new wish along), None when it is there
        already or cannot be (not enrolled, awaiting the user's step, being removed)."""
        entry = self.table.get(network)
        rt, name = entry.rt, entry.spec.display_name
        with rt.mutex:
            if rt.removing or (
                target is AgentState.RUNNING
                and (not rt.enrolled or rt.refused is not None or rt.action is not None)
            ):
                return None
            rt.target, rt.graceful = target, True
            rt.pause_reason = "" if target is AgentState.RUNNING else reason
            if rt.driving is not None:
                return rt.driving
            if not isinstance(entry.adapter, Controllable | Pausable):
                rt.agent = target  # no agent of ours: nothing to drive
            if next_state(rt) is None:
                return None
            kind = operation_kind(rt.agent, target, restart)
            rt.driving = self.operations.start(
                kind,
                network,
                f"{OPERATION_VERBS[kind]} {name}",
                lambda p: self.drive(network, p, restart),
            )
            return rt.driving

    def drive(self, network: str, progress: Progress, restart: bool = False) -> str:
        """Move the agent step by step until it is where it is wanted (blocking; holds the
        network's lane, so one driver at a time). Returns what was done, in words."""
        entry = self.table.get(network)
        rt, done = entry.rt, list[str]()
        with rt.lane:
            try:
                while True:
                    with rt.mutex:
                        step = next_state(rt)
                        if step is None:
                            rt.driving = None
                            return "; ".join(done) or f"{entry.spec.display_name} is {rt.agent}"
                        was, graceful = rt.agent, rt.graceful
                    done.append(self._move(entry, was, step, graceful, progress, restart))
            except BaseException:
                with rt.mutex:
                    rt.driving = None
                raise

    def _move(
        self,
        entry: NetworkEntry,
        was: AgentState,
        to: AgentState,
        graceful: bool,
        progress: Progress,
        restart: bool,
    ) -> str:
        adapter, rt = entry.adapter, entry.rt
        name, network = adapter.display_name, adapter.id
        if to is AgentState.RUNNING and was is AgentState.PAUSED:
            pausing(adapter).resume()
            return self._now_is(entry, AgentState.RUNNING, "network.resumed", f"{name} resumed")
        if to is AgentState.RUNNING:
            return self._start(entry, restart)
        if to is AgentState.PAUSED:
            how = "" if isinstance(adapter, Pausable) else " (it cannot pause: stopped)"
            if not isinstance(adapter, Pausable) and isinstance(adapter, Controllable):
                self._say_wait(entry, progress)
            pausing(adapter).pause()
            reason = f": {rt.pause_reason}" if rt.pause_reason else ""
            return self._now_is(entry, to, "network.paused", f"{name} paused{how}{reason}")
        if graceful and isinstance(adapter, Controllable):
            self._say_wait(entry, progress)
        control(adapter).stop(graceful, GRACEFUL_WAIT_S if graceful else 0.0)
        log.info("supervisor: %s stopped (graceful: %s)", network, graceful)
        return self._now_is(entry, AgentState.STOPPED, "network.stopped", f"{name} stopped")

    @staticmethod
    def _say_wait(entry: NetworkEntry, progress: Progress) -> None:
        """A graceful stop waits for the running job: say so while it does."""
        last = entry.rt.last
        if last is not None and last.state is NodeState.BUSY:
            progress(
                f"Waiting up to {GRACEFUL_WAIT_S / 60:.0f} min for the job running on "
                f"{entry.spec.display_name} to end, then stopping it"
            )

    def _start(self, entry: NetworkEntry, restart: bool) -> str:
        adapter, rt = entry.adapter, entry.rt
        name = adapter.display_name
        try:
            control(adapter).start()
        except Exception as exc:
            delay = rt.gate.failed()
            with rt.mutex:  # wanted running: the poll sees it down and tries again, later
                rt.agent, rt.up_since, rt.failing = AgentState.RUNNING, None, str(exc)
            message = f"{name} could not start: {exc}; next try in {delay:.0f} s"
            self.table.emit("network.start_failed", message, adapter.id, Severity.ERROR)
            raise NetworkError(message) from None
        if restart:
            rt.gate.failed()  # arm the next delay: a crash loop is not restarted in a hurry
        with rt.mutex:
            rt.up_since = self.now()
        if restart:
            return self._now_is(
                entry,
                AgentState.RUNNING,
                "network.restarted",
                f"{name} was restarted after a crash",
                Severity.WARNING,
                restarts=rt.restarts,
            )
        return self._now_is(entry, AgentState.RUNNING, "network.started", f"{name} started")

    def _now_is(
        self,
        entry: NetworkEntry,
        state: AgentState,
        kind: str,
        message: str,
        severity: Severity = Severity.INFO,
        **data: object,
    ) -> str:
        with entry.rt.mutex:
            entry.rt.agent = state
        self.table.emit(kind, message, entry.spec.id, severity, **data)
        return message

    # --- emergencies and the end ---------------------------------------------------------------

    def stop_now(self, network: str, reason: str) -> bool:
        """Stop the agent at once, without waiting for its job (blocking: a guard's
        emergency). It stays stopped until wanted running again. False when there was
        nothing to stop or the stop failed."""
        entry = self.table.get(network)
        adapter, rt = entry.adapter, entry.rt
        with rt.mutex:
            if not rt.enrolled or not isinstance(adapter, Controllable):
                return False
            was = rt.agent
            rt.target, rt.agent, rt.graceful = AgentState.STOPPED, AgentState.STOPPED, False
            rt.pause_reason, rt.up_since = reason, None
            if was is AgentState.STOPPED and rt.driving is None:
                return False
        try:
            adapter.stop(False, 0.0)
        except Exception as exc:
            with rt.mutex:
                rt.agent = was  # still running, as far as we know: close() tries again
            self.table.emit(
                "network.error", f"{adapter.display_name}: {exc}", network, Severity.ERROR
            )
            return False
        note = f": {reason}" if reason else ""
        self.table.emit(
            "network.stopped",
            f"{adapter.display_name} was stopped at once{note}",
            network,
            Severity.WARNING,
        )
        return True

    def shut(self, network: str, timeout_s: float) -> None:
        """The worker is stopping: stop the agent within ``timeout_s`` (blocking)."""
        entry = self.table.get(network)
        rt = entry.rt
        with rt.mutex:
            was = rt.agent
            rt.target, rt.agent, rt.graceful = AgentState.STOPPED, AgentState.STOPPED, False
            if was is AgentState.STOPPED and rt.driving is None:
                return
        try:
            control(entry.adapter).stop(False, timeout_s)
        except Exception as exc:
            log.warning("supervisor: stopping %s failed: %s", network, exc)

    # --- after each status poll -----------------------------------------------------------------

    def observed(self, entry: NetworkEntry, snapshot: StatusSnapshot, asked: float) -> None:
        """Learn from a status: a stable agent resets its backoff; one that should be up
        and is not counts as failing, and a crashed agent is started again when its
        backoff allows, unless the user holds the network. A status asked for before the
        agent's latest start (``asked``) says nothing about that start: a poll that raced
        the worker's start-up once read "offline" and restarted a healthy agent, with a
        "restarted after a crash" event at boot."""
        adapter, rt = entry.adapter, entry.rt
        if snapshot.state in UP_STATES:
            rt.failing = None
            stable = rt.up_since is not None and self.now() - rt.up_since >= STABLE_AFTER_S
            if stable:
                rt.gate.succeeded()
            return
        wanted_up = isinstance(adapter, MonitorOnly) or (
            rt.target is AgentState.RUNNING and rt.agent is AgentState.RUNNING
        )
        if snapshot.state not in CRASHED_STATES or not wanted_up:
            return
        if rt.up_since is not None and asked < rt.up_since:
            return
        rt.failing = snapshot.message or f"{adapter.display_name} is {snapshot.state}"
        rt.up_since = None
        if (
            not isinstance(adapter, Controllable)
            or rt.driving is not None
            or rt.removing
            or not rt.gate.ready()
            or self.is_held(adapter.id)
        ):
            return
        with rt.mutex:
            rt.agent, rt.restarts = AgentState.STOPPED, rt.restarts + 1
        log.warning(
            "supervisor: %s is %s (%s); restarting", adapter.id, snapshot.state, snapshot.message
        )
        self.want(adapter.id, AgentState.RUNNING, restart=True)

    def running(self) -> list[str]:
        """Networks whose agent runs and was last seen up (their GPU time is theirs)."""
        return [
            e.spec.id
            for e in self.table
            if e.rt.agent is AgentState.RUNNING
            and e.rt.last is not None
            and e.rt.last.state in UP_STATES
        ]
