"""The arbiter: merges the guards' decisions for one GPU into actions, network by network.

Safety first, then cost. The most severe decision wins (so an EMERGENCY or a thermal PAUSE
can never be outvoted), and among equally severe ones thermal speaks first, then the user,
then the activity and schedule guards. What changes per network is *how* a decision is
carried out, since networks punish differently (``NetworkPenalties``):

* EMERGENCY → ``kill``; STOP / STOP_FOR_DAY → ``stop``; PAUSE → ``pause``, or ``stop`` on a
  network that cannot pause.
* A schedule PAUSE on a network where pausing voids the running job's pay waits until the
  job ends (electricity at peak price costs less than a forfeited job). Heat, games and the
  user never wait.
* THROTTLE (from heat, below the pause limit): lower the GPU power limit, except where the
  network penalises power limits (Salad marks such PCs degraded) and short pauses are
  free, then duty-cycle instead. If short pauses would void a running job's pay, or the
  network cannot pause, the power limit is used even where penalised (a degraded mark costs
  less than a lost job); with neither available, work goes on and the pause limit still
  protects the card. The power limit is one per GPU: once set, networks that would have
  duty-cycled just run, since the GPU is already cooler.
* The lowered power limit is held only while our work runs: when all of it is paused or
  stopped (e.g. for a game) the user's own limit is restored, so we never slow their games.
  An emergency keeps it low; it is restored when the user acknowledges or the worker stops.

``decide`` returns only changes (edge-triggered), in a safe order (stop before lowering,
lowering before resuming), so the worker turns each action into one event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from desktop.model import (
    ACTION_SEVERITY,
    Event,
    GuardAction,
    GuardDecision,
    NetworkPenalties,
    Severity,
)

ActionTarget = Literal["gpu", "network"]
ActionKind = Literal[
    "run", "set_power_limit", "restore_power_limit", "duty_cycle", "pause", "stop", "kill"
]

_SOURCE_RANK = {"thermal": 0, "user": 1, "activity": 2, "schedule": 3}
_ORDER = {
    "kill": 0,
    "stop": 1,
    "pause": 2,
    "restore_power_limit": 3,
    "set_power_limit": 3,
    "duty_cycle": 4,
    "run": 5,
}


@dataclass(frozen=True)
class Action:
    """One thing the worker must do, with the reason it becomes an event with.

    ``target`` "gpu" acts on the card (power limit, ``network`` None); "network" on one
    network's work on this GPU. ``restore_power_limit`` carries no watts: the worker puts
    back the limit it saved before the app changed anything.
    """

    target: ActionTarget
    network: str | None
    kind: ActionKind
    power_limit_w: float | None
    reason: str
    duty_cycle: float | None = None  # fraction of time allowed to run, for "duty_cycle"
    source: str = "arbiter"  # the guard whose decision led here

    def to_event(self, gpu_index: int, ts: float) -> Event:
        """The ledger/API event for this action (``guard.pause``, ``guard.kill`` ...)."""
        if self.kind == "kill":
            severity = Severity.CRITICAL
        elif self.kind in ("stop", "pause") and self.source == "thermal":
            severity = Severity.WARNING
        else:
            severity = Severity.INFO
        data = {
            "target": self.target,
            "action": self.kind,
            "source": self.source,
            "power_limit_w": self.power_limit_w,
            "duty_cycle": self.duty_cycle,
        }
        return Event(
            ts=ts,
            kind=f"guard.{self.kind}",
            severity=severity,
            message=self.reason,
            gpu_index=gpu_index,
            network=self.network,
            data=data,
        )


def user_decision(
    gpu_index: int,
    action: GuardAction,
    now: float,
    network: str | None = None,
    reason: str = "",
) -> GuardDecision:
    """The user's own pause/stop as a guard decision (``source`` "user" or "user:<network>")."""
    if not reason:
        what = "GPU work" if network is None else f"work for {network}"
        reason = f"You paused {what}." if action is GuardAction.PAUSE else f"You stopped {what}."
    source = "user" if network is None else f"user:{network}"
    return GuardDecision(gpu_index=gpu_index, action=action, reason=reason, source=source, ts=now)


@dataclass(frozen=True)
class _Choice:
    """One guard's or network's wish for a GPU, before the arbiter picks the strongest."""

    kind: ActionKind
    reason: str
    source: str
    duty: float | None = None
    power_limit_w: float | None = None  # this network wants the GPU power limit this low


class Arbiter:
    """Remembers what was last ordered per GPU and network, and returns only changes."""

    def __init__(self) -> None:
        self._net: dict[tuple[int, str], tuple[str, float | None]] = {}
        self._power: dict[int, float] = {}

    def decide(
        self,
        gpu_index: int,
        decisions: list[GuardDecision],
        penalties: Mapping[str, NetworkPenalties],
        job_running: Mapping[str, bool],
        now: float,
    ) -> list[Action]:
        """Actions for this GPU that differ from the last call's (none when nothing changed)."""
        choices = {
            net: self._choose(_applicable(decisions, net), pen, job_running.get(net, False))
            for net, pen in sorted(penalties.items())
        }
        for key in [k for k in self._net if k[0] == gpu_index and k[1] not in penalties]:
            del self._net[key]
        actions = self._network_actions(gpu_index, choices)
        actions += self._power_actions(gpu_index, choices, decisions)
        return sorted(actions, key=lambda a: _ORDER[a.kind])

    def forget(self, gpu_index: int) -> None:
        """Drop what was ordered for this GPU (the worker restarted its work from scratch)."""
        self._power.pop(gpu_index, None)
        for key in [k for k in self._net if k[0] == gpu_index]:
            del self._net[key]

    def applied_power_limit(self, gpu_index: int) -> float | None:
        """The lowered limit last ordered for this GPU; None when the user's own applies."""
        return self._power.get(gpu_index)

    # --- internals --------------------------------------------------------------------

    def _network_actions(self, gpu_index: int, choices: dict[str, _Choice]) -> list[Action]:
        if any(c.power_limit_w is not None for c in choices.values()):
            for net, c in choices.items():
                if c.kind == "duty_cycle":  # the GPU-wide power limit already cools it
                    choices[net] = replace(c, kind="run", duty=None)
        actions = []
        for net, c in choices.items():
            state = (c.kind, c.duty)
            if self._net.get((gpu_index, net), ("run", None)) != state:
                self._net[(gpu_index, net)] = state
                actions.append(Action("network", net, c.kind, None, c.reason, c.duty, c.source))
        return actions

    def _power_actions(
        self, gpu_index: int, choices: dict[str, _Choice], decisions: list[GuardDecision]
    ) -> list[Action]:
        wanted = [c for c in choices.values() if c.power_limit_w is not None]
        desired = min((c.power_limit_w for c in wanted if c.power_limit_w), default=None)
        previous = self._power.get(gpu_index)
        if desired is None and any(c.kind == "kill" for c in choices.values()):
            desired = previous  # an emergency keeps the card as cool as we had it
        if desired == previous:
            return []
        if desired is not None:
            self._power[gpu_index] = desired
            first = wanted[0]
            return [
                Action("gpu", None, "set_power_limit", desired, first.reason, None, first.source)
            ]
        del self._power[gpu_index]
        thermal = [d for d in decisions if d.source == "thermal"]
        if thermal and thermal[0].action is GuardAction.RUN:
            reason, source = thermal[0].reason, "thermal"
        else:
            reason = (
                "GPU work is paused or stopped, so your own power limit is back for whatever "
                "else you run."
            )
            source = "arbiter"
        return [Action("gpu", None, "restore_power_limit", None, reason, None, source)]

    def _choose(
        self, decisions: list[GuardDecision], pen: NetworkPenalties, running: bool
    ) -> _Choice:
        if not decisions:
            return _Choice("run", "No guard is holding GPU work back.", "arbiter")
        top = max(
            decisions,
            key=lambda d: (ACTION_SEVERITY[d.action], -_SOURCE_RANK.get(_base(d.source), 9)),
        )
        src, action = _base(top.source), top.action
        if action is GuardAction.EMERGENCY:
            return _Choice("kill", top.reason, src)
        if action in (GuardAction.STOP, GuardAction.STOP_FOR_DAY):
            return _Choice("stop", top.reason, src)
        if action is GuardAction.PAUSE:
            if src == "schedule" and running and pen.pause_voids_job_pay:
                others = [d for d in decisions if d.source != "schedule"]
                rest = self._choose(others, pen, running)
                note = (
                    " Outside your cheap-power hours, the running job finishes first: "
                    "pausing it now would forfeit its pay."
                )
                return replace(rest, reason=rest.reason + note)
            if not pen.can_pause:
                note = " This network cannot pause work, so it was stopped instead."
                return _Choice("stop", top.reason + note, src)
            return _Choice("pause", top.reason, src)
        if action is GuardAction.THROTTLE:
            return _throttle(top, src, pen, running)
        return _Choice("run", top.reason, src)


def _base(source: str) -> str:
    return source.split(":", 1)[0]


def _applicable(decisions: list[GuardDecision], network: str) -> list[GuardDecision]:
    """All decisions, except a per-network user pause meant for another network."""
    return [d for d in decisions if ":" not in d.source or d.source == f"user:{network}"]


def _throttle(top: GuardDecision, src: str, pen: NetworkPenalties, running: bool) -> _Choice:
    """The cheapest way to cool the card for this network (see the module docstring)."""
    duty_free = (
        top.duty_cycle is not None and pen.can_pause and not (pen.pause_voids_job_pay and running)
    )
    if top.power_limit_w is not None and not (pen.power_limit_penalised and duty_free):
        note = ""
        if pen.power_limit_penalised:
            note = (
                " This network penalises a lowered power limit, but short pauses would cost "
                "more here, so the power limit is lowered anyway."
            )
        return _Choice("run", top.reason + note, src, power_limit_w=top.power_limit_w)
    if duty_free:
        note = ""
        if top.power_limit_w is not None:
            note = (
                " This network marks power-limited GPUs as degraded, so short pauses are used "
                "instead of a lower power limit."
            )
        return _Choice("duty_cycle", top.reason + note, src, duty=top.duty_cycle)
    if not pen.can_pause:
        why = "this network cannot pause work"
    elif pen.pause_voids_job_pay and running:
        why = "short pauses would forfeit this network's running job"
    else:
        why = "the power limit cannot be lowered here"
    note = f" Work goes on because {why}; the pause limit still protects the GPU."
    return _Choice("run", top.reason + note, src)
