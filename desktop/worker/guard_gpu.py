"""One GPU's guards and what the guard loop has ordered for it (used by guarding.py).

Kept apart from the loop because it is the per-card bookkeeping: the three guards built
from the settings for this card, their latest decisions, the per-network states the
arbiter ordered, the job state actually applied (run / pause / stop / kill, with the
duty cycle sliced into run and a quiet "rest"), the watch that asks for an early process
list when a reading hints at a newcomer on the GPU, and the words the API shows. No I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from desktop.guard.activity import ActivityGuard
from desktop.guard.arbiter import user_decision
from desktop.guard.gpu_use import ProcessLooks
from desktop.guard.schedule import ScheduleError, ScheduleGuard
from desktop.guard.thermal import ThermalGuard, ThermalState
from desktop.hardware.gpu import PermissionRequired
from desktop.model import (
    ACTION_SEVERITY,
    Event,
    GpuInfo,
    GpuSample,
    GuardAction,
    GuardDecision,
    Severity,
)
from desktop.worker import guard_settings as gs

if TYPE_CHECKING:  # the guard loop's parts (they import this module)
    from desktop.worker.guard_plan import Shared
    from desktop.worker.power import PowerKeeper

_REFUSALS = frozenset({"no_permission", "not_supported"})  # GpuError codes of a refused limit
_WAITING = "Waiting for the first GPU reading."  # the thermal guard's reason before any
LOCAL = "local"  # the network key of work no adapter declared (jobs run by hand)
_SEVERITY = {"run": 0, "duty_cycle": 1, "pause": 2, "stop": 3, "kill": 4}
_HELD = ("pause", "rest", "stop")  # job states in which our work is off the card
_SOURCE_RANK = {"thermal": 0, "user": 1, "activity": 2, "schedule": 3}
_THERMAL_ACTION = {
    ThermalState.OK: GuardAction.RUN,
    ThermalState.THROTTLED: GuardAction.THROTTLE,
    ThermalState.PAUSED: GuardAction.PAUSE,
    ThermalState.STOPPED_FOR_DAY: GuardAction.STOP_FOR_DAY,
    ThermalState.EMERGENCY: GuardAction.EMERGENCY,
}
_THERMAL_WORD = {
    ThermalState.OK: "ok",
    ThermalState.THROTTLED: "throttled",
    ThermalState.PAUSED: "cooling",
    ThermalState.STOPPED_FOR_DAY: "stopped_for_day",
    ThermalState.EMERGENCY: "emergency",
}


@dataclass
class NetState:
    """What the arbiter last ordered for one network's work on this GPU."""

    kind: str = "run"
    duty: float | None = None
    reason: str = "No guard is holding GPU work back."
    source: str = "arbiter"

    @property
    def severity(self) -> int:
        return _SEVERITY[self.kind]


@dataclass
class Op:
    """One step the guard loop takes outside its lock: an event to announce, a call to make.

    ``power`` marks a power-limit call (a refusal switches the GPU to duty-cycling).
    """

    what: str
    call: Callable[[], object] | None
    gpu: GpuGuards | None = None
    power: float | None = None
    event: Event | None = None  # announced just before the call


def top_decision(decisions: list[GuardDecision]) -> GuardDecision:
    """The decision that holds the GPU's work (per-network user pauses do not count)."""
    gpu_wide = [d for d in decisions if ":" not in d.source] or decisions
    return max(
        gpu_wide,
        key=lambda d: (ACTION_SEVERITY[d.action], -_SOURCE_RANK.get(d.source, 9)),
    )


def _user_reason(what: str, reason: str) -> str:
    return f"You paused {what} ({reason})." if reason else f"You paused {what}."


class GpuGuards:
    """The guards of one GPU and the state of its work (guarded by the loop's lock)."""

    def __init__(
        self,
        info: GpuInfo,
        values: Mapping[str, Any],
        original_w: float | None,
        can_set_power_limit: bool,
        now: float,
    ) -> None:
        self.info = info
        self.can_set_power_limit = can_set_power_limit
        policy = gs.card_policy(info, values)
        self.ceiling_w = gs.power_ceiling(original_w, values)
        self.thermal = ThermalGuard(info, policy.policy, can_set_power_limit, self.ceiling_w)
        self.thermal_decision = self.thermal_now(now)
        self.activity_policy = gs.activity_policy(values)
        self.activity = ActivityGuard(self.activity_policy, info.index)
        self.activity_decision: GuardDecision | None = None
        self.schedule, problems = self._schedule(values)
        self.schedule_decision: GuardDecision | None = None
        self.policy_problems = policy.problems + problems
        self.nets: dict[str, NetState] = {}
        self.applied = "run"  # the job state last ordered: run, rest, pause, stop or kill
        self.level = "run"  # the arbiter's level (duty_cycle slices into run and rest)
        self.duty_since = 0.0
        self.jobs_here = False  # a job of ours is on this GPU (as of the last evaluation)
        self.looks = ProcessLooks()  # its process lists: every 10 s, or early
        self.power_failed_w: float | None = None
        self.cool_since: float | None = None
        self.started = now
        self.last_sample_ts: float | None = None
        self.gap_s: float | None = None
        self._rebuild = False

    # --- inputs -----------------------------------------------------------------------

    def observe(self, sample: GpuSample) -> None:
        now = sample.ts
        if self.last_sample_ts is not None and now > self.last_sample_ts:
            gap = now - self.last_sample_ts
            self.gap_s = gap if self.gap_s is None else 0.8 * self.gap_s + 0.2 * gap
        self.last_sample_ts = max(now, self.last_sample_ts or now)
        self.thermal_decision = self.thermal.observe(sample, now)
        if self.activity_policy.enabled:
            ours = self.jobs_here and self.applied == "run"
            self.looks.observe(sample.vram_used_mib, sample.gpu_util_pct, ours, now)
        self._maybe_rebuild(now)
        st, p = self.thermal.state, self.thermal.policy
        cool = (
            st.state is ThermalState.OK
            and st.core_c is not None
            and st.core_c < p.soft_c - p.step_up_margin_c
            and not sample.thermal_bits
        )
        self.cool_since = (
            (self.cool_since if self.cool_since is not None else now) if cool else None
        )

    def check_stale(self, now: float) -> None:
        """No reading for 3 sample periods (10 s at least) counts as a failed read."""
        last = self.last_sample_ts if self.last_sample_ts is not None else self.started
        if now - last > max(10.0, 3 * (self.gap_s or 0.0)):
            self.thermal_decision = self.thermal.observe_failure(now, "no_reading")

    def apply_values(self, values: Mapping[str, Any], original_w: float | None, now: float) -> None:
        """New settings: limits apply at once; a new power ceiling once the card is calm."""
        policy = gs.card_policy(self.info, values)
        self.thermal.policy = policy.policy
        ceiling = gs.power_ceiling(original_w, values)
        if ceiling != self.ceiling_w:
            self.ceiling_w, self._rebuild = ceiling, True
        activity = gs.activity_policy(values)
        if activity != self.activity_policy:
            self.activity_policy = activity
            self.activity = ActivityGuard(activity, self.info.index)
        self.schedule, problems = self._schedule(values)
        self.schedule_decision = self.schedule.observe(now)
        self.policy_problems = policy.problems + problems
        self._maybe_rebuild(now)

    def lost_power_privilege(self, exc: BaseException, original_w: float | None) -> bool:
        """A power limit the card refuses to take (no rights, or not supported on this card):
        throttle by duty-cycling from now on. True when it switched."""
        refused = isinstance(exc, PermissionRequired) or getattr(exc, "code", "") in _REFUSALS
        if not refused or not self.can_set_power_limit:
            return False
        self.can_set_power_limit = False
        self.power_failed_w = None
        self.thermal = ThermalGuard(self.info, self.thermal.policy, False, self.ceiling_w)
        self.thermal_decision = self.thermal_now(self.last_sample_ts or self.started)
        return True

    # --- decisions --------------------------------------------------------------------

    def thermal_now(self, now: float) -> GuardDecision:
        """The thermal guard's verdict as it stands (after an acknowledge or a rebuild)."""
        st = self.thermal.state
        throttled = st.state is ThermalState.THROTTLED
        return GuardDecision(
            self.info.index,
            _THERMAL_ACTION[st.state],
            st.reason,
            "thermal",
            now,
            st.power_limit_w if throttled else None,
            st.duty_cycle if throttled else None,
        )

    def decisions(self, user: Mapping[tuple[str, Any], str], now: float) -> list[GuardDecision]:
        index = self.info.index
        thermal, st = self.thermal_decision, self.thermal.state
        if thermal.reason == _WAITING and st.core_c is not None:  # readings came, all calm
            soft = self.thermal.policy.soft_c
            calm = f"GPU at {st.core_c:.0f} °C, below your soft limit of {soft:.0f} °C."
            thermal = replace(thermal, reason=calm)
        out = [thermal]
        out += [d for d in (self.activity_decision, self.schedule_decision) if d is not None]
        for (scope, target), reason in user.items():
            if scope == "all":
                out.append(
                    user_decision(
                        index, GuardAction.PAUSE, now, None, _user_reason("all work", reason)
                    )
                )
            elif scope == "gpu" and target == index:
                what = f"GPU {index}"
                out.append(
                    user_decision(index, GuardAction.PAUSE, now, None, _user_reason(what, reason))
                )
            elif scope == "network":
                what = f"work for {target}"
                out.append(
                    user_decision(
                        index, GuardAction.PAUSE, now, str(target), _user_reason(what, reason)
                    )
                )
        return out

    def next_job_state(self, state: NetState, now: float) -> tuple[str, str]:
        """The job state to apply for the arbiter's level; a duty cycle starts with a rest.

        A duty cycle's rest is "rest", not "pause": the planner freezes and thaws the work
        quietly (no job event per cycle), since the arbiter's duty_cycle event says why.
        """
        if state.kind != "duty_cycle":
            self.level = state.kind
            return state.kind, state.reason
        if self.level != "duty_cycle":
            self.duty_since = now
        self.level = "duty_cycle"
        period = self.thermal.policy.duty_period_s
        off_s = period * (1.0 - (state.duty or 1.0))
        if (now - self.duty_since) % period < off_s:
            return "rest", f"{state.reason} (resting {off_s:.0f} s of every {period:.0f} s)"
        return "run", state.reason

    @property
    def work_runs(self) -> bool:
        return self.applied == "run" or self.level == "duty_cycle"

    def hold_done(self, arbiter_w: float | None, held_w: float, now: float) -> bool:
        """The start-up hold ends when work stops, the throttle takes over, or after a
        full cooldown spent cool (the card no longer needs the lower limit)."""
        if self.applied in _HELD:
            return True
        if arbiter_w is not None and arbiter_w <= held_w:
            return True
        cooldown = self.thermal.policy.cooldown_s
        return self.cool_since is not None and now - self.cool_since >= cooldown

    # --- what the API shows -----------------------------------------------------------

    def state_word(self, user: Mapping[tuple[str, Any], str], now: float) -> str:
        top = top_decision(self.decisions(user, now))
        if top.source == "activity":
            return "gaming" if top.action is GuardAction.STOP else "waiting_idle"
        if top.source == "schedule":
            return "off_hours"
        if top.source == "user":
            return "paused"
        return _THERMAL_WORD[self.thermal.state.state]

    def status_json(
        self,
        top: GuardDecision,
        user: Mapping[tuple[str, Any], str],
        power_limit_w: float | None,
        now: float,
    ) -> dict[str, Any]:
        st, p = self.thermal.state, self.thermal.policy
        return {
            "action": top.action.value,
            "reason": top.reason,
            "source": top.source,
            "state": self.state_word(user, now),
            "work": "pause" if self.applied == "rest" else self.applied,
            "vram_temperature_reported": st.vram_temperature_reported,
            "power_limit_w": power_limit_w,
            "duty_cycle": st.duty_cycle if self.level == "duty_cycle" else None,
            "thermal": {
                "state": st.state.value,
                "reason": st.reason,
                "core_c": st.core_c,
                "mem_c": st.mem_c,
                "recent_pauses": st.recent_pauses,
            },
            "limits": {
                "soft_c": p.soft_c,
                "pause_c": p.pause_c,
                "resume_c": p.resume_c,
                "emergency_c": p.emergency_c,
                "mem_pause_c": p.mem_pause_c,
            },
        }

    def error_event(self, message: str, now: float) -> Event:
        return Event(now, "guard.error", Severity.WARNING, message, gpu_index=self.info.index)

    def policy_event(self, now: float) -> Event:
        problems = list(self.policy_problems)
        message = (
            f"GPU {self.info.index}: some guard settings cannot be used on this card, so its "
            f"own safe limits apply instead: {'; '.join(problems)}"
        )
        return Event(
            now,
            "guard.settings_refused",
            Severity.WARNING,
            message,
            gpu_index=self.info.index,
            data={"problems": problems},
        )

    # --- internals --------------------------------------------------------------------

    def _schedule(self, values: Mapping[str, Any]) -> tuple[ScheduleGuard, tuple[str, ...]]:
        enabled = bool(values.get("schedule.enabled"))
        try:
            windows = gs.schedule_windows(values)
        except ScheduleError as exc:
            return ScheduleGuard([], False, gpu_index=self.info.index), tuple(exc.problems)
        return ScheduleGuard(windows, enabled, gpu_index=self.info.index), ()

    def _maybe_rebuild(self, now: float) -> None:
        """A new power ceiling takes a new throttle ladder: only once the card is calm."""
        st = self.thermal.state
        if self._rebuild and st.state is ThermalState.OK and st.power_limit_w is None:
            self._rebuild = False
            self.thermal = ThermalGuard(
                self.info, self.thermal.policy, self.can_set_power_limit, self.ceiling_w
            )
            self.thermal_decision = self.thermal_now(now)


class GuardReads:
    """The guard loop's answers for the API (``GuardPort``): what holds each GPU's work."""

    _lock: Any
    _gpus: dict[int, GpuGuards]
    _shared: Shared
    power: PowerKeeper
    clock: Callable[[], float]

    def decision(self, gpu_index: int) -> GuardDecision | None:
        """GuardPort: the decision that holds this GPU's work now (the most severe)."""
        with self._lock:
            g = self._gpus.get(gpu_index)
            if g is None:
                return None
            return top_decision(g.decisions(self._shared.user, self.clock()))

    def state(self, gpu_index: int) -> str:
        """GuardPort: one word for the GPU's guard state (ok, throttled, cooling, gaming ...)."""
        with self._lock:
            g = self._gpus.get(gpu_index)
            return "unguarded" if g is None else g.state_word(self._shared.user, self.clock())

    def status(self, gpu_index: int) -> dict[str, Any]:
        """What the API and the GUI show for one GPU's guard."""
        with self._lock:
            g = self._gpus.get(gpu_index)
            if g is None:
                return {"action": "run", "reason": "", "source": "none", "state": "unguarded"}
            now = self.clock()
            top = top_decision(g.decisions(self._shared.user, now))
            return g.status_json(top, self._shared.user, self.power.applied(gpu_index), now)
