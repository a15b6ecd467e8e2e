"""From the arbiter's actions to the steps that carry them out (used by guarding.py).

The arbiter decides per network and only says what changed; the worker acts per GPU
(one job per GPU), on the card's power limit and on network agents. The planner bridges
the two, under the guard loop's lock, into an ordered list of ``Op``s (an event to
announce, a call to make) that the loop runs outside its lock:

* announce stops and pauses, stop or pause the GPU's work, then change the power limit,
  then announce and carry out a resume (stop before lowering, lowering before resuming);
* the GPU follows the network whose job runs on it, or, when none runs, the least held
  network: a GPU is held only when every network must stay off it; a duty cycle is
  sliced into rests and runs here, and a rest is quiet (the job is frozen and thawed
  without a job event each minute: the arbiter's duty_cycle event, once, says why);
* the power limit on the card is the lowest of: the throttle's, the limit re-applied at
  start (while still needed) and the user's cap for work (while work runs);
* a network is paused (its agent, its offers) when its work must stop somewhere, or when
  the user paused that network, and resumed when neither holds any more; in an emergency
  its agent is stopped at once instead (a graceful pause can wait minutes for a job).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from desktop.guard.arbiter import Action, ActionKind, Arbiter
from desktop.model import Event, NetworkPenalties
from desktop.worker.guard_actions import GuardActions
from desktop.worker.guard_gpu import LOCAL, GpuGuards, NetState, Op
from desktop.worker.power import PowerKeeper

log = logging.getLogger(__name__)

_LEVEL_CALLS = {
    "run": "resume_gpu",
    "rest": "rest_gpu",
    "pause": "pause_gpu",
    "stop": "stop_gpu",
    "kill": "kill_gpu",
}
_LOUD_HOLDS = ("pause", "stop", "kill")  # held with a job event: a rest changes nothing


@dataclass
class Shared:
    """State across GPUs: the user's pauses and the networks the guard has paused (and,
    of those, the ones it stopped at once in an emergency)."""

    user: dict[tuple[str, Any], str] = field(default_factory=dict)
    nets_paused: set[str] = field(default_factory=set)
    nets_stopped: set[str] = field(default_factory=set)

    def set_user(
        self,
        wanted: Mapping[tuple[str, Any], str],
        acknowledge: set[int],
        gpus: Mapping[int, GpuGuards],
        now: float,
    ) -> None:
        """The user's pauses now; the GPUs in ``acknowledge`` had theirs lifted, which
        also acknowledges their emergency or stop for the day ("press Resume")."""
        self.user.clear()
        self.user.update(wanted)
        for index in acknowledge:
            g = gpus.get(index)
            if g is not None:
                g.thermal.acknowledge()
                g.thermal_decision = g.thermal_now(now)


class Planner:
    """The arbiter plus the bookkeeping that turns its actions into ``Op``s, and runs them
    (``evaluate``); ``publish`` receives every event, ``clock`` stamps the errors."""

    def __init__(
        self,
        actions: GuardActions,
        power: PowerKeeper,
        gpus: Mapping[int, GpuGuards],
        shared: Shared,
        lock: Any,
        publish: Callable[[Event], None],
        clock: Callable[[], float],
    ) -> None:
        self.actions, self.power, self.gpus, self.shared = actions, power, gpus, shared
        self.arbiter = Arbiter()
        self._lock = lock
        self._publish, self.clock = publish, clock

    def evaluate(self, g: GpuGuards, now: float, stopping: Callable[[], bool]) -> None:
        """Decide for this GPU now and act (outside the lock: the job service, asked for
        the facts first, may be busy with Docker for a moment)."""
        gpu = g.info.index
        pens = dict(safe(self.actions.penalties, {}))
        running = {n: bool(r) for n, r in safe(lambda: self.actions.job_running(gpu), {}).items()}
        for network in running:
            pens.setdefault(network, NetworkPenalties())
        if not pens:
            pens[LOCAL] = NetworkPenalties()
        with self._lock:
            if stopping():
                return
            g.jobs_here = any(running.values())
            ops = self.plan(g, pens, running, now)
        self.run(ops)

    def run(self, ops: list[Op]) -> None:
        """Announce and carry out ``ops`` in order; a failure is reported, the rest goes on."""
        for op in ops:
            if op.event is not None:
                self.publish(op.event)
            if op.call is None:
                continue
            try:
                op.call()
            except Exception as exc:  # noqa: BLE001 - one failed action must not stop the rest
                if op.gpu is None:
                    log.warning("guard: could not %s: %s", op.what, exc)
                    continue
                with self._lock:
                    self.failed(op, exc)
                self.error(op.gpu, f"could not {op.what}", exc)

    def publish(self, event: Event) -> None:
        try:
            self._publish(event)
        except Exception:  # noqa: BLE001 - a broken sink must not stop the guard
            log.exception("guard: publishing %s failed", event.kind)

    def error(self, g: GpuGuards, what: str, exc: BaseException) -> None:
        """A ``guard.error`` event: what failed, why, and the fix when the error has one."""
        log.warning("guard: GPU %s: %s: %s", g.info.index, what, exc)
        fix = str(getattr(exc, "fix", "") or "")
        message = f"RigPilot {what}: {exc}." + (f" {fix}" if fix else "")
        self.publish(g.error_event(message, self.clock()))

    def plan(
        self,
        g: GpuGuards,
        pens: Mapping[str, NetworkPenalties],
        running: Mapping[str, bool],
        now: float,
    ) -> list[Op]:
        """The steps for this GPU now (call under the loop's lock)."""
        gpu = g.info.index
        decisions = g.decisions(self.shared.user, now)
        early: list[Op] = []
        late: list[Op] = []
        power_reason = None
        for action in self.arbiter.decide(gpu, decisions, pens, running, now):
            if action.target == "network" and action.network is not None:
                g.nets[action.network] = NetState(
                    action.kind, action.duty_cycle, action.reason, action.source
                )
                step = Op(action.kind, None, event=_event(action, gpu, now))
                (late if action.kind in ("run", "duty_cycle") else early).append(step)
            else:
                power_reason = (action.reason, action.source)
        for network in [n for n in g.nets if n not in pens]:
            del g.nets[network]
        level = self._level_ops(g, running, pens, now)
        resuming = g.applied == "run"
        ops = early + ([] if resuming else level)
        ops += self._power_ops(g, power_reason, now)
        ops += late + (level if resuming else [])
        return ops + self._network_ops()

    def power_op(
        self, g: GpuGuards, watts: float | None, reason: str, source: str, now: float
    ) -> Op:
        """Set ``watts`` on the card, or (None) put the user's own limit back."""
        gpu = g.info.index
        kind: ActionKind = "set_power_limit" if watts is not None else "restore_power_limit"
        original = self.power.original(gpu)
        shown = watts if watts is not None else original
        event = Action("gpu", None, kind, shown, reason, None, source).to_event(gpu, now)

        def call() -> None:
            if watts is not None:
                self.actions.set_power_limit(gpu, watts)
            elif original is not None:
                self.actions.restore_power_limit(gpu, original)
            with self._lock:
                self.power.record(gpu, watts)
                g.power_failed_w = None

        what = (
            f"set the power limit of GPU {gpu} to {watts:.0f} W"
            if watts is not None
            else f"put back the power limit of GPU {gpu}"
        )
        return Op(what, call, g, power=watts, event=event)

    def failed(self, op: Op, exc: BaseException) -> None:
        """After a failed power call (under the lock): no retry of that value, and a
        refusal for want of rights switches the GPU to duty-cycling."""
        g = op.gpu
        if g is None or op.power is None:
            return
        g.power_failed_w = op.power
        if g.lost_power_privilege(exc, self.power.original(g.info.index)):
            self.arbiter.forget(g.info.index)

    # --- internals --------------------------------------------------------------------

    def _level_ops(
        self, g: GpuGuards, running: Mapping[str, bool], pens: Mapping[str, Any], now: float
    ) -> list[Op]:
        owners = [n for n, r in running.items() if r]
        state = min(
            (g.nets.get(n, NetState()) for n in (owners or list(pens))),
            key=lambda s: s.severity,
        )
        wanted, reason = g.next_job_state(state, now)
        if wanted == g.applied or (wanted == "rest" and g.applied in _LOUD_HOLDS):
            return []  # (a hold announced with a job event ends with one, at the next run)
        gpu = g.info.index
        ops = []
        if g.applied == "rest":  # out of a rest as quietly as it began, then the new state
            wake = self.actions.wake_gpu
            ops.append(Op(f"end the rest of the work on GPU {gpu}", lambda: wake(gpu, reason), g))
        g.applied = wanted
        if wanted == "run" and ops:
            return ops
        method: Callable[[int, str], object] = getattr(self.actions, _LEVEL_CALLS[wanted])
        return [*ops, Op(f"{wanted} the work on GPU {gpu}", lambda: method(gpu, reason), g)]

    def _power_ops(
        self, g: GpuGuards, arbiter_reason: tuple[str, str] | None, now: float
    ) -> list[Op]:
        gpu = g.info.index
        arbiter_w = self.arbiter.applied_power_limit(gpu)
        held = self.power.held(gpu)
        if held is not None and g.hold_done(arbiter_w, held, now):
            self.power.release(gpu)
            held = None
        cap = g.ceiling_w if g.work_runs and g.ceiling_w != self.power.original(gpu) else None
        wanted = min((w for w in (arbiter_w, held, cap) if w is not None), default=None)
        if wanted == self.power.applied(gpu):
            return []
        if wanted is not None and (wanted == g.power_failed_w or not g.can_set_power_limit):
            return []
        if arbiter_reason is not None:
            reason, source = arbiter_reason
        elif wanted is not None and wanted == cap:
            reason, source = f"Your cap for work of {cap:.0f} W applies while work runs.", "user"
        elif wanted is not None:
            reason, source = f"The {wanted:.0f} W limit stays until the GPU stays cool.", "thermal"
        else:
            reason = "The GPU no longer needs a lower power limit: your own limit is back."
            source = "thermal"
        return [self.power_op(g, wanted, reason, source, now)]

    def _network_ops(self) -> list[Op]:
        want: dict[str, str] = {}
        urgent: dict[str, str] = {}  # an emergency: stop the agent at once
        seen: set[str] = set()
        for g in self.gpus.values():
            for network, state in g.nets.items():
                seen.add(network)
                if state.kind in ("stop", "kill") and network != LOCAL:
                    want.setdefault(network, state.reason)
                    if state.kind == "kill":
                        urgent.setdefault(network, state.reason)
        for scope, target in self.shared.user:
            if scope == "network" and target in seen:
                want.setdefault(str(target), f"You paused {target}.")
        ops = []
        shared = self.shared
        for network in sorted(seen | shared.nets_paused):
            paused = network in shared.nets_paused
            if network in urgent and network not in shared.nets_stopped:
                shared.nets_paused.add(network)
                shared.nets_stopped.add(network)
                call = _bind(self.actions.stop_network_now, network, urgent[network])
                ops.append(Op(f"stop {network} at once", call))
            elif network in want and not paused:
                shared.nets_paused.add(network)
                call = _bind(self.actions.pause_network, network, want[network])
                ops.append(Op(f"pause {network}", call))
            elif network not in want and paused:
                shared.nets_paused.discard(network)
                shared.nets_stopped.discard(network)
                why = "Nothing holds this network's work back any more."
                ops.append(
                    Op(f"resume {network}", _bind(self.actions.resume_network, network, why))
                )
        return ops


def _event(action: Action, gpu: int, now: float) -> Event:
    event = action.to_event(gpu, now)
    return replace(event, network=None) if action.network == LOCAL else event


def _bind(fn: Callable[[str, str], object], a: str, b: str) -> Callable[[], object]:
    return lambda: fn(a, b)


def safe(fn: Callable[[], Any], default: Any) -> Any:
    """``fn()``, or ``default`` when it fails (a probe or query that fails saw nothing)."""
    try:
        return fn()
    except Exception:  # noqa: BLE001 - a probe or query that fails says "nothing seen"
        log.debug("guard: a probe failed", exc_info=True)
        return default
