"""The reconciler: the record of every GPU (owner, holds, power cap) turned into actions.

The controller pattern (style.md §11): the *desired* state is the holds in force, the
user's (user_holds.py) and the guards' (gpu_guards.py), plus the card's power cap; one
loop drives the *actual* state toward it through one actuator per kind of thing
(actuators.py): the job service's work on a GPU, a network's own agent, the card's power
limit. Nothing else pauses anything, and every view reads ``record()``, so no two views
can disagree and no resume can lift a hold it does not own: a user resume removes the
user's hold, and the work comes back only if no other hold (heat, a game, the schedule)
still covers the GPU.

The pure arbiter (desktop/guard/arbiter.py) still chooses, per network, the least costly
way to honour the holds (pause, stop, a lower power limit or a duty cycle); this module
turns its per-network orders into per-GPU steps, in a safe order (stop before lowering the
power limit, lowering before resuming), announces each as an event and carries it out.

Thread model: ``reconcile`` runs on the control loop's thread and takes ``lock`` only to
decide; the calls run outside it (the job service may be busy with Docker). ``record``
and ``admission`` are read from the event loop and the job service, under the same lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from desktop.guard.arbiter import Action, ActionKind, Arbiter, user_decision
from desktop.model import Event, GuardAction, GuardDecision, Hold, NetworkPenalties
from desktop.worker.actuators import AgentControl, AgentDriver, CardActuator, JobActuator
from desktop.worker.gpu_guards import GpuGuards, hold_kind
from desktop.worker.power import PowerKeeper
from desktop.worker.user_holds import UserHolds
from desktop.worker.work_state import LOCAL, LOUD_HOLDS, WORK_OFF, GpuWork, NetState, Op

log = logging.getLogger(__name__)

_AGENT_RANK = {"run": 0, "pause": 1, "stop": 2}
# A network with an idle-GPU rule (io.net) blocks a GPU that others use while it waits for
# work: a game or another program on the GPU stops its agent at once; a graceful stop
# would leave it up, watching the other program's use, until its job ended.
_IDLE_RULE_NOTE = (
    " This network penalises a GPU that other programs use, so it was stopped at once."
)


@dataclass(frozen=True)
class GpuRecord:
    """A snapshot of one GPU's record, for every view (status, tray, CLI, metrics)."""

    holds: tuple[Hold, ...]  # in force, the deciding one first
    owner: str | None
    work: str  # run, rest, pause, stop or kill
    jobs_here: bool
    cap_w: float | None  # the limit RigPilot holds the card at (None: the user's own)
    user_w: float | None
    duty_cycle: float | None
    lost: bool
    paused_by: Hold | None  # the hold that keeps the GPU's work off, if one does


class Reconciler:
    """Drives every GPU's work toward its record (see the module docstring)."""

    def __init__(
        self,
        guards: Mapping[int, GpuGuards],
        user: UserHolds,
        jobs: JobActuator,
        card: CardActuator,
        agents: AgentControl,
        power: PowerKeeper,
        lock: Any,
        publish: Callable[[Event], None],
        clock: Callable[[], float],
        *,
        inline: bool = False,
    ) -> None:
        self.guards, self.user, self.jobs, self.card = guards, user, jobs, card
        self.agents, self.power, self._lock = agents, power, lock
        self._publish, self.clock = publish, clock
        self.driver = AgentDriver(agents, inline)
        self.arbiter = Arbiter()
        self.work = {index: GpuWork() for index in guards}
        self._agents_applied: dict[str, str] = {}  # network → run, pause or stop
        self._idle_rule: set[str] = set()  # networks that block a GPU others use (io.net)
        self._cpu_frozen = False

    # --- acting -----------------------------------------------------------------------

    def reconcile(self, gpu: int, now: float, stopping: Callable[[], bool]) -> None:
        """Decide for this GPU now and act (the job service is asked for the facts first,
        outside the lock, since it may be busy with Docker for a moment)."""
        g = self.guards.get(gpu)
        if g is None:
            return
        pens = dict(_safe(self.agents.penalties, {}))
        running = {n: True for n, r in _safe(lambda: self.jobs.job_running(gpu), {}).items() if r}
        for network in running:
            pens.setdefault(network, NetworkPenalties())
        if not pens:
            pens[LOCAL] = NetworkPenalties()
        with self._lock:
            if stopping():
                return
            w = self.work[gpu]
            w.running, w.networks = running, set(pens) - {LOCAL}
            rules = {n: p.max_idle_gpu_util_pct for n, p in pens.items()}
            self._idle_rule = {n for n, pct in rules.items() if pct is not None}
            g.looks.watch.busy_at(min((p for p in rules.values() if p is not None), default=None))
            ops = self._plan(g, w, pens, now)
            ops += self._rig_ops()
        self.run(ops)

    def reconcile_rig(self, stopping: Callable[[], bool]) -> None:
        """What no GPU decides: network agents and the jobs that use no GPU (a user pause
        on a worker without GPUs still pauses its networks)."""
        with self._lock:
            if stopping():
                return
            ops = self._rig_ops()
        self.run(ops)

    def acknowledge(self, gpus: list[int], now: float) -> None:
        """The user resumed these GPUs: an emergency or a stop for the day waits for the
        card to cool from now on (it never restarts hot work at once)."""
        with self._lock:
            for index in gpus:
                if index in self.guards:
                    self.guards[index].acknowledge(now)

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
                    log.warning("could not %s: %s", op.what, exc)
                    continue
                with self._lock:
                    self._failed(op, exc)
                self.error(op.gpu, f"could not {op.what}", exc)

    def publish(self, event: Event) -> None:
        try:
            self._publish(event)
        except Exception:  # noqa: BLE001 - a broken sink must not stop the reconciler
            log.exception("publishing %s failed", event.kind)

    def error(self, gpu: int, what: str, exc: BaseException) -> None:
        """A ``guard.error`` event: what failed, why, and the fix when the error has one."""
        log.warning("GPU %s: %s: %s", gpu, what, exc)
        fix = str(getattr(exc, "fix", "") or "")
        message = f"RigPilot {what}: {exc}." + (f" {fix}" if fix else "")
        self.publish(self.guards[gpu].error_event(message, self.clock()))

    # --- power limits across restarts -------------------------------------------------

    def reapply_held_limits(self) -> None:
        """Set again the limits the previous run had set (held until the card stays cool)."""
        now = self.clock()
        for gpu, watts in self.power.holds().items():
            g = self.guards.get(gpu)
            if g is None or not g.can_set_power_limit:
                self.power.release(gpu)
                continue
            reason = (
                f"Re-applied the {watts:.0f} W power limit RigPilot had set before it stopped "
                "(limits do not survive a restart); it is lifted once the GPU stays cool."
            )
            self.run([self._power_op(gpu, watts, reason, "thermal", now)])

    def restore_power_limits(self) -> None:
        """Put back the user's own limit on every card RigPilot lowered (the worker stops)."""
        now = self.clock()
        for gpu, original in self.power.lowered().items():
            if gpu not in self.guards or original is None:
                continue
            try:
                self.card.restore_power_limit(gpu, original)
            except Exception as exc:  # noqa: BLE001 - report it, restore the other cards
                self.error(gpu, f"could not put back the power limit of {original:.0f} W", exc)
                continue
            self.power.record_restored_for_stop(gpu)
            reason = (
                f"RigPilot's worker is stopping: your own power limit of {original:.0f} W is back."
            )
            event = Action("gpu", None, "restore_power_limit", original, reason, None, "thermal")
            self.publish(event.to_event(gpu, now))

    # --- reading the record -----------------------------------------------------------

    def record(self, gpu: int) -> GpuRecord | None:
        with self._lock:
            g, w = self.guards.get(gpu), self.work.get(gpu)
            if g is None or w is None:
                return None
            now = self.clock()
            holds = self._holds(g, w, now)
            st = g.thermal.state
            duty = st.duty_cycle if w.level == "duty_cycle" else None
            return GpuRecord(
                holds=tuple(holds),
                owner=self._owner(w),
                work=w.applied,
                jobs_here=w.jobs_here,
                cap_w=self.power.applied(gpu),
                user_w=self.power.original(gpu),
                duty_cycle=duty,
                lost=g.lost,
                paused_by=self._paused_by(holds, w),
            )

    def admission(self, gpu: int | None) -> str | None:
        """Why a new job may not start on this GPU now (None: it may). ``None`` asks for a
        job that uses no GPU, which only the user's pause of all work holds back."""
        with self._lock:
            if gpu is None:
                whole = [h for h in self.user.all() if h.scope == "all"]
                return whole[0].reason if whole else None
            g, w = self.guards.get(gpu), self.work.get(gpu)
            if g is None or w is None:
                return None
            wide = [h for h in self._holds(g, w, self.clock()) if h.scope != "network"]
            if wide:
                return wide[0].reason
            if w.applied in WORK_OFF:
                return "RigPilot is holding this GPU's work back."
            return None

    def hold_sources(self, gpu: int) -> set[str]:
        """For tests and the API: the kinds of hold on a GPU now."""
        record = self.record(gpu)
        return set() if record is None else {h.kind.value for h in record.holds}

    # --- deciding (under the lock) ----------------------------------------------------

    def _decisions(self, g: GpuGuards, now: float) -> list[GuardDecision]:
        """The guards' verdicts plus the user's holds, as the arbiter weighs them."""
        index = g.info.index
        out = g.decisions()
        for hold in self.user.all():
            if hold.covers_gpu(index):
                out.append(user_decision(index, GuardAction.PAUSE, now, None, hold.reason))
            elif hold.scope == "network":
                out.append(user_decision(index, GuardAction.PAUSE, now, hold.network, hold.reason))
        return out

    def _holds(self, g: GpuGuards, w: GpuWork, now: float) -> list[Hold]:
        """Every hold on this GPU: the guards' (with when each began) and the user's that
        cover it or a network that has work here."""
        holds = []
        seen = set()
        for d in g.decisions():
            kind = hold_kind(d)
            if kind is None:
                continue
            key = (kind, d.action.value)
            seen.add(key)
            holds.append(Hold(kind, d.action, d.reason, w.hold_since(key, now), gpu=g.info.index))
        for key in [k for k in w.since if k not in seen]:
            del w.since[key]
        networks = w.networks | set(w.running)
        for hold in self.user.all():
            if hold.covers_gpu(g.info.index) or (
                hold.scope == "network" and hold.network in networks
            ):
                holds.append(hold)
        return sorted(holds, key=lambda h: h.severity, reverse=True)

    def _paused_by(self, holds: list[Hold], w: GpuWork) -> Hold | None:
        """The hold that keeps all of this GPU's work off (a network's own pause does only
        when every network that could use the GPU is paused)."""
        wide = [h for h in holds if h.scope != "network"]
        if wide and (w.applied in WORK_OFF or not w.jobs_here):
            return wide[0]
        networks = sorted(w.networks)
        mine = [h for h in holds if h.scope == "network"]
        if mine and networks and all(self.user.network_held(n) for n in networks):
            return mine[0]
        return None

    def _owner(self, w: GpuWork) -> str | None:
        working = [n for n, r in w.running.items() if r]
        if working:
            return working[0]
        owners = [n for n in _safe(self.agents.owners, []) if not self.user.network_held(n)]
        return owners[0] if owners else None

    def _plan(
        self, g: GpuGuards, w: GpuWork, pens: Mapping[str, NetworkPenalties], now: float
    ) -> list[Op]:
        gpu = g.info.index
        early: list[Op] = []
        late: list[Op] = []
        power_reason = None
        for action in self.arbiter.decide(gpu, self._decisions(g, now), pens, w.running, now):
            if action.target == "network" and action.network is not None:
                w.nets[action.network] = NetState(
                    action.kind, action.duty_cycle, action.reason, action.source
                )
                step = Op(action.kind, None, event=_event(action, gpu, now))
                (late if action.kind in ("run", "duty_cycle") else early).append(step)
            else:
                power_reason = (action.reason, action.source)
        for network in [n for n in w.nets if n not in pens]:
            del w.nets[network]
        level = self._level_ops(g, w, pens, now)
        resuming = w.applied == "run"
        ops = early + ([] if resuming else level)
        ops += self._power_ops(g, w, power_reason, now)
        return ops + late + (level if resuming else [])

    def _level_ops(
        self, g: GpuGuards, w: GpuWork, pens: Mapping[str, NetworkPenalties], now: float
    ) -> list[Op]:
        """The GPU follows the network whose job runs on it, or, when none runs, the least
        held network: a GPU is held only when every network must stay off it."""
        owners = [n for n, r in w.running.items() if r]
        state = min(
            (w.nets.get(n, NetState()) for n in (owners or list(pens))),
            key=lambda s: s.severity,
        )
        wanted, reason = w.next_level(state, g.thermal.policy.duty_period_s, now)
        if wanted == w.applied or (wanted == "rest" and w.applied in LOUD_HOLDS):
            return []  # (a hold announced with a job event ends with one, at the next run)
        gpu, jobs, ops = g.info.index, self.jobs, []
        if w.applied == "rest":  # out of a rest as quietly as it began, then the new state
            ops.append(
                Op(
                    f"end the rest of the work on GPU {gpu}",
                    lambda: jobs.thaw(gpu, reason, quiet=True),
                    gpu,
                )
            )
        w.applied = wanted
        if wanted == "run" and ops:
            return ops
        calls: dict[str, Callable[[], object]] = {
            "run": lambda: jobs.thaw(gpu, reason),
            "rest": lambda: jobs.freeze(gpu, reason, quiet=True),
            "pause": lambda: jobs.freeze(gpu, reason),
            "stop": lambda: jobs.stop(gpu, reason),
            "kill": lambda: jobs.stop(gpu, reason, at_once=True),
        }
        return [*ops, Op(f"{wanted} the work on GPU {gpu}", calls[wanted], gpu)]

    def _power_ops(
        self, g: GpuGuards, w: GpuWork, arbiter_reason: tuple[str, str] | None, now: float
    ) -> list[Op]:
        """The card's limit is the lowest of: the throttle's, the limit re-applied at start
        (while still needed) and the user's cap for work (while work runs)."""
        gpu = g.info.index
        arbiter_w = self.arbiter.applied_power_limit(gpu)
        held = self.power.held(gpu)
        if held is not None and g.hold_done(arbiter_w, held, w.applied in WORK_OFF[:3], now):
            self.power.release(gpu)
            held = None
        cap = g.ceiling_w if w.work_runs and g.ceiling_w != self.power.original(gpu) else None
        wanted = min((x for x in (arbiter_w, held, cap) if x is not None), default=None)
        if wanted == self.power.applied(gpu):
            return []
        if wanted is not None and (wanted == w.power_failed_w or not g.can_set_power_limit):
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
        return [self._power_op(gpu, wanted, reason, source, now)]

    def _power_op(self, gpu: int, watts: float | None, reason: str, source: str, now: float) -> Op:
        """Set ``watts`` on the card, or (None) put the user's own limit back."""
        kind: ActionKind = "set_power_limit" if watts is not None else "restore_power_limit"
        original = self.power.original(gpu)
        shown = watts if watts is not None else original
        event = Action("gpu", None, kind, shown, reason, None, source).to_event(gpu, now)

        def call() -> None:
            if watts is not None:
                self.card.set_power_limit(gpu, watts)
            elif original is not None:
                self.card.restore_power_limit(gpu, original)
            with self._lock:
                self.power.record(gpu, watts)
                self.work[gpu].power_failed_w = None

        what = (
            f"set the power limit of GPU {gpu} to {watts:.0f} W"
            if watts is not None
            else f"put back the power limit of GPU {gpu}"
        )
        return Op(what, call, gpu, power=watts, event=event)

    def _failed(self, op: Op, exc: BaseException) -> None:
        """After a failed power call (under the lock): no retry of that value, and a
        refusal for want of rights switches the GPU to duty-cycling."""
        if op.gpu is None or op.power is None:
            return
        self.work[op.gpu].power_failed_w = op.power
        if self.guards[op.gpu].lost_power_privilege(exc):
            self.arbiter.forget(op.gpu)
            self.work[op.gpu].power_failed_w = None

    def _rig_ops(self) -> list[Op]:
        """Network agents and GPU-less jobs toward what the holds ask (under the lock).

        An agent is paused when the user paused its network, when the user paused all
        work and it runs its own agent (our job service's work is frozen per GPU instead),
        or when a guard stops its work on a GPU; an emergency stops it at once.
        """
        want: dict[str, tuple[str, str]] = {}
        for w in self.work.values():
            for network, state in w.nets.items():
                if network == LOCAL or state.kind not in ("stop", "kill"):
                    continue
                level, reason = "stop" if state.kind == "kill" else "pause", state.reason
                if level == "pause" and state.source == "activity" and network in self._idle_rule:
                    level, reason = "stop", reason + _IDLE_RULE_NOTE
                if _AGENT_RANK[level] > _AGENT_RANK[want.get(network, ("run", ""))[0]]:
                    want[network] = (level, reason)
        whole = None
        for hold in self.user.all():
            if hold.scope == "network" and hold.network is not None:
                want.setdefault(hold.network, ("pause", hold.reason))
            elif hold.scope == "all":
                whole = hold
        if whole is not None:
            for network in self._own_agents():
                want.setdefault(network, ("pause", whole.reason))
        ops = [
            op
            for network in sorted(set(want) | set(self._agents_applied))
            if (op := self._agent_op(network, want.get(network))) is not None
        ]
        return ops + self._cpu_ops(whole)

    def _own_agents(self) -> list[str]:
        """Enrolled networks whose work runs in their own agent (not our job service)."""
        try:
            return [n for n in self.agents.penalties() if self.agents.runs_own_agent(n)]
        except Exception:  # noqa: BLE001 - a failing query says "none"
            log.debug("listing the agents failed", exc_info=True)
            return []

    def _agent_op(self, network: str, wanted: tuple[str, str] | None) -> Op | None:
        applied = self._agents_applied.get(network, "run")
        level, reason = wanted or ("run", "Nothing holds this network's work back any more.")
        if level == applied or (level == "pause" and applied == "stop"):
            return None  # a stopped agent stays stopped until nothing holds it
        self._agents_applied[network] = level
        if level == "run":
            del self._agents_applied[network]
            return Op(f"resume {network}", lambda: self.driver.resume(network, reason))
        if level == "stop":
            return Op(f"stop {network} at once", lambda: self.driver.stop_now(network, reason))
        return Op(f"pause {network}", lambda: self.driver.pause(network, reason))

    def _cpu_ops(self, whole: Hold | None) -> list[Op]:
        if (whole is not None) == self._cpu_frozen:
            return []
        self._cpu_frozen = whole is not None
        jobs = self.jobs
        if whole is not None:
            reason = whole.reason
            return [Op("pause the jobs that use no GPU", lambda: jobs.freeze(None, reason))]
        return [Op("resume the jobs that use no GPU", lambda: jobs.thaw(None, "resumed by you"))]


def _event(action: Action, gpu: int, now: float) -> Event:
    event = action.to_event(gpu, now)
    return replace(event, network=None) if action.network == LOCAL else event


def _safe(fn: Callable[[], Any], default: Any) -> Any:
    """``fn()``, or ``default`` when it fails (a query that fails saw nothing)."""
    try:
        return fn()
    except Exception:  # noqa: BLE001 - a failing query says "nothing seen"
        log.debug("a query failed", exc_info=True)
        return default
