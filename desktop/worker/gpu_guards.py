"""One GPU's guards: the thermal, activity and schedule guards built from the settings.

This is the sensing half of the control loop: it feeds the pure guards of desktop/guard
with this card's readings, probes and clock, and says what they decide, as guard
decisions (for the arbiter) and as holds (for the record every view reads). It never acts
and knows nothing of the user's pauses or the work: the reconciler (reconciler.py) joins
the two and acts. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from desktop.guard.activity import ActivityGuard
from desktop.guard.gpu_use import ProcessLooks
from desktop.guard.schedule import ScheduleError, ScheduleGuard
from desktop.guard.thermal import ThermalGuard, ThermalState
from desktop.hardware.gpu import PermissionRequired
from desktop.model import Event, GpuInfo, GpuSample, GuardAction, GuardDecision, HoldKind, Severity
from desktop.worker import guard_settings as gs

_REFUSALS = frozenset({"no_permission", "not_supported"})  # GpuError codes of a refused limit
_WAITING = "Waiting for the first GPU reading."  # the thermal guard's reason before any
_THERMAL_ACTION = {
    ThermalState.OK: GuardAction.RUN,
    ThermalState.THROTTLED: GuardAction.THROTTLE,
    ThermalState.PAUSED: GuardAction.PAUSE,
    ThermalState.STOPPED_FOR_DAY: GuardAction.STOP_FOR_DAY,
    ThermalState.EMERGENCY: GuardAction.EMERGENCY,
}
# The kind of hold each guard's decision becomes (a throttle is a power cap, not a hold).
_HOLD_KIND = {"thermal": HoldKind.THERMAL, "activity": HoldKind.GAME, "schedule": HoldKind.SCHEDULE}


def hold_kind(decision: GuardDecision) -> HoldKind | None:
    """The hold a guard decision puts on the GPU, or None (run, throttle)."""
    if decision.action in (GuardAction.RUN, GuardAction.THROTTLE):
        return None
    if decision.action is GuardAction.EMERGENCY:
        return HoldKind.EMERGENCY
    return _HOLD_KIND.get(decision.source)


class GpuGuards:
    """The guards of one GPU (used under the control loop's lock)."""

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
        self.looks = ProcessLooks()  # its process lists: every 10 s, or early
        self.cool_since: float | None = None
        self.started = now
        self.last_sample_ts: float | None = None
        self.gap_s: float | None = None
        self.lost = False  # the sampler said the GPU fell off the bus
        self._rebuild = False

    # --- inputs -----------------------------------------------------------------------

    def observe(self, sample: GpuSample, ours_running: bool) -> None:
        """One reading; ``ours_running``: our work runs on the card (for the process watch)."""
        now = sample.ts
        if self.last_sample_ts is not None and now > self.last_sample_ts:
            gap = now - self.last_sample_ts
            self.gap_s = gap if self.gap_s is None else 0.8 * self.gap_s + 0.2 * gap
        self.last_sample_ts = max(now, self.last_sample_ts or now)
        self.lost = False
        self.thermal_decision = self.thermal.observe(sample, now)
        if self.activity_policy.enabled:
            self.looks.observe(sample.vram_used_mib, sample.gpu_util_pct, ours_running, now)
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

    def observe_failure(self, now: float, code: str, count: int = 1) -> None:
        """Failed reads (``gpu_lost`` is an emergency at once; 3 others pause work)."""
        self.lost = self.lost or code == "gpu_lost"
        for _ in range(max(1, count)):
            self.thermal_decision = self.thermal.observe_failure(now, code)

    def check_stale(self, now: float) -> None:
        """No reading for 3 sample periods (10 s at least) counts as a failed read."""
        last = self.last_sample_ts if self.last_sample_ts is not None else self.started
        if now - last > max(10.0, 3 * (self.gap_s or 0.0)):
            self.thermal_decision = self.thermal.observe_failure(now, "no_reading")

    def acknowledge(self, now: float) -> None:
        """The user resumed: an emergency or a stop for the day waits for the card to cool
        (the thermal guard stays in PAUSED until it is), it never restarts hot work."""
        self.thermal.acknowledge()
        self.thermal_decision = self.thermal_now(now)

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

    def lost_power_privilege(self, exc: BaseException) -> bool:
        """A power limit the card refuses to take (no rights, or not supported on this card):
        throttle by duty-cycling from now on. True when it switched."""
        refused = isinstance(exc, PermissionRequired) or getattr(exc, "code", "") in _REFUSALS
        if not refused or not self.can_set_power_limit:
            return False
        self.can_set_power_limit = False
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

    def decisions(self) -> list[GuardDecision]:
        """The guards' verdicts now (thermal first); the user's pauses are not in here."""
        thermal, st = self.thermal_decision, self.thermal.state
        if thermal.reason == _WAITING and st.core_c is not None:  # readings came, all calm
            soft = self.thermal.policy.soft_c
            calm = f"GPU at {st.core_c:.0f} °C, below your soft limit of {soft:.0f} °C."
            thermal = replace(thermal, reason=calm)
        return [thermal] + [
            d for d in (self.activity_decision, self.schedule_decision) if d is not None
        ]

    def hold_done(self, arbiter_w: float | None, held_w: float, work_off: bool, now: float) -> bool:
        """The start-up power hold ends when work stops, the throttle takes over, or after
        a full cooldown spent cool (the card no longer needs the lower limit)."""
        if work_off:
            return True
        if arbiter_w is not None and arbiter_w <= held_w:
            return True
        cooldown = self.thermal.policy.cooldown_s
        return self.cool_since is not None and now - self.cool_since >= cooldown

    # --- events -----------------------------------------------------------------------

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
