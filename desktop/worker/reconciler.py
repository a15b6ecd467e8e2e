"""The reconciler: the record of every GPU (owner, holds, power cap) turned into actions.

The controller pattern (style.md §11): the *desired* state is the holds in force, the
user's (user_holds.py) and the guards' (gpu_guards.py), plus the card's power cap; one
loop drives the *actual* state toward it through one actuator per kind of thing
(actuators.py): the job service's work on a GPU, a network's own agent, the card's power
limit. Nothing else pauses anything, and every view reads ``record()``, so no two views
can disagree and no resume can lift a hold it does not own: a user resume removes the
user's hold, and the work comes back only if no other hold (heat, a game, the schedule)
still covers the GPU.

Which network works on a GPU is the record's too: the owner (ownership.py: the user's
order, fallback when the owner stops, fails or has no work, and hand-back) is decided each
round; the arbiter weighs the owner's penalties (and those of a network whose job still
runs there), new jobs of other networks are turned away (``admission``), and agents that
own no GPU are paused (rig_steps.py).

The pure arbiter (desktop/guard/arbiter.py) still chooses, per network, the least costly
way to honour the holds (pause, stop, a lower power limit or a duty cycle); this module
turns its per-network orders into per-GPU steps, in a safe order (stop before lowering the
power limit, lowering before resuming), announces each as an event and carries it out.
The power limit's steps live in power_steps.py, the agents' and GPU-less jobs' in
rig_steps.py.

Thread model: ``reconcile`` runs on the control loop's thread and takes ``lock`` only to
decide; the calls run outside it (the job service may be busy with Docker). ``record``
and ``admission`` are read from the event loop and the job service, under the same lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from desktop.guard.arbiter import Action, Arbiter, user_decision
from desktop.model import Event, GuardAction, GuardDecision, Hold, NetworkPenalties
from desktop.worker import ownership
from desktop.worker.actuators import AgentControl, AgentDriver, CardActuator, JobActuator
from desktop.worker.gpu_guards import GpuGuards, hold_kind
from desktop.worker.power import PowerKeeper
from desktop.worker.power_steps import PowerSteps
from desktop.worker.rig_steps import RigSteps
from desktop.worker.user_holds import UserHolds, sentence
from desktop.worker.work_state import LOCAL, LOUD_HOLDS, WORK_OFF, GpuWork, NetState, Op

log = logging.getLogger(__name__)

DEFAULT_HANDOVER_S = 600.0


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
    busy: bool = False  # work runs on it: a job of ours, or its owner's agent is busy


@dataclass(frozen=True)
class Ranking:
    """The user's order of networks and the hand-over time (read from the settings)."""

    order: Callable[[], Sequence[str]] = lambda: ()
    handover_s: Callable[[], float] = lambda: DEFAULT_HANDOVER_S


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
        ranking: Ranking | None = None,
    ) -> None:
        self.guards, self.user, self.jobs = guards, user, jobs
        self.agents, self.power, self._lock = agents, power, lock
        self._publish, self.clock = publish, clock
        self.ranking = ranking or Ranking()
        self.arbiter = Arbiter()
        self.work = {index: GpuWork() for index in guards}
        self.power_steps = PowerSteps(
            guards, self.work, power, card, self.arbiter, lock, self.publish, self.error, clock
        )
        self.rig = RigSteps(agents, AgentDriver(agents, inline), jobs, user, self.work)

    # --- acting -----------------------------------------------------------------------

    def reconcile(self, gpu: int, now: float, stopping: Callable[[], bool]) -> None:
        """Decide for this GPU now and act (the job service and the supervisor are asked
        for the facts first, outside the lock: they may be busy for a moment)."""
        g = self.guards.get(gpu)
        if g is None:
            return
        enrolled = dict(_safe(self.agents.penalties, {}))
        running = {n: True for n, r in _safe(lambda: self.jobs.job_running(gpu), {}).items() if r}
        ranking = self.candidates()
        sources = self._job_sources(ranking)
        busy = _safe(self.agents.working, set())
        with self._lock:
            if stopping():
                return
            w = self.work[gpu]
            w.running, w.networks = running, set(enrolled)
            rules = {n: p.max_idle_gpu_util_pct for n, p in enrolled.items()}
            self.rig.idle_rule = {n for n, pct in rules.items() if pct is not None}
            g.looks.watch.busy_at(min((p for p in rules.values() if p is not None), default=None))
            # an agent busy with its own work holds its GPU; a job source's "busy" is about
            # its job somewhere, which ``running`` already says per GPU
            claimed = w.owner if w.owner in busy and w.owner not in sources else None
            working = next(iter(running), claimed)
            w.busy = working is not None
            owner = ownership.assign(
                w.claim, ranking, working, sources, self.ranking.handover_s(), now
            )
            pens = {n: enrolled.get(n, NetworkPenalties()) for n in running}
            if owner is not None and owner in enrolled:
                pens.setdefault(owner, enrolled[owner])
            if not pens:
                pens[LOCAL] = NetworkPenalties()
            ops = self._plan(g, w, pens, now)
            ops += self.rig.ops(lambda: ranking)
        self.run(ops)

    def reconcile_rig(self, stopping: Callable[[], bool]) -> None:
        """What no GPU decides: network agents and the jobs that use no GPU (a user pause
        on a worker without GPUs still pauses its networks)."""
        ranking = self.candidates()
        with self._lock:
            if stopping():
                return
            ops = self.rig.ops(lambda: ranking)
        self.run(ops)

    def candidates(self) -> list[str]:
        """The networks that may own a GPU now, best first (the user's order)."""
        able = _safe(self.agents.owners, [])
        return ownership.ranked(able, list(self.ranking.order()), able)

    def _job_sources(self, ranking: list[str]) -> set[str]:
        """The candidates whose jobs RigPilot's job service runs (not agents of their own)."""
        try:
            return {n for n in ranking if not self.agents.runs_own_agent(n)}
        except Exception:  # noqa: BLE001 - a failing query says "none"
            log.debug("asking which networks are job sources failed", exc_info=True)
            return set()

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
                    self.power_steps.failed(op, exc)
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

    def reapply_held_limits(self) -> None:
        """Set again the limits the previous run had set (held until the card stays cool)."""
        self.run(self.power_steps.reapply_held())

    def restore_power_limits(self) -> None:
        """Put back the user's own limit on every card RigPilot lowered (the worker stops)."""
        self.power_steps.restore_all()

    # --- reading the record -----------------------------------------------------------

    def record(self, gpu: int) -> GpuRecord | None:
        with self._lock:
            g, w = self.guards.get(gpu), self.work.get(gpu)
            if g is None or w is None:
                return None
            holds = self._holds(g, w, self.clock())
            st = g.thermal.state
            return GpuRecord(
                holds=tuple(holds),
                owner=next(iter(w.running), w.owner),
                work=w.applied,
                jobs_here=w.jobs_here,
                cap_w=self.power.applied(gpu),
                user_w=self.power.original(gpu),
                duty_cycle=st.duty_cycle if w.level == "duty_cycle" else None,
                lost=g.lost,
                paused_by=self._paused_by(holds, w),
                busy=w.busy,
            )

    def owner_of(self, gpu: int) -> str | None:
        """The GPU's owner, cheaply (energy accounting asks for every sample)."""
        w = self.work.get(gpu)
        return None if w is None else next(iter(w.running), w.owner)

    def admission(self, gpu: int | None, network: str = LOCAL) -> str | None:
        """Why a new job of ``network`` may not start on this GPU now (None: it may).

        ``None`` asks for a job that uses no GPU, which only the user's pause of all work
        holds back. Jobs run by hand ("local") go wherever no hold is; a network's job goes
        to a GPU it owns, one nobody owns, or one it takes back (ownership.may_start).
        """
        ranking = self.candidates() if network != LOCAL else []
        with self._lock:
            if gpu is None:
                whole = [h for h in self.user.all() if h.scope == "all"]
                return whole[0].reason if whole else None
            g, w = self.guards.get(gpu), self.work.get(gpu)
            if g is None or w is None:
                return None
            wide = [h for h in self._holds(g, w, self.clock()) if h.scope != "network"]
            if wide:
                return sentence(wide[0])
            if w.applied in WORK_OFF:
                return "RigPilot is holding this GPU's work back."
            working = next(iter(w.running), None)
            if network != LOCAL and not ownership.may_start(network, w.owner, working, ranking):
                return f"GPU {gpu} works for {working or w.owner}, ranked above {network}."
            return None

    # --- deciding (under the lock) ----------------------------------------------------

    def _decisions(self, g: GpuGuards, now: float) -> list[GuardDecision]:
        """The guards' verdicts plus the user's holds, as the arbiter weighs them."""
        index = g.info.index
        out = g.decisions()
        for hold in self.user.all():
            if hold.covers_gpu(index):
                out.append(user_decision(index, GuardAction.PAUSE, now, None, sentence(hold)))
            elif hold.scope == "network":
                said = sentence(hold)
                out.append(user_decision(index, GuardAction.PAUSE, now, hold.network, said))
        return out

    def _holds(self, g: GpuGuards, w: GpuWork, now: float) -> list[Hold]:
        """Every hold on this GPU: the guards' (with when each began) and the user's that
        cover it or a network that could work here."""
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
        ops += self.power_steps.ops(g, w, power_reason, now)
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
