"""The thermal guard: a pure state machine fed GPU samples and a clock (reliability.md §9).

Why a state machine and not a few ``if``s in the sampler loop: every decision must be
reproducible from a scripted trace (tests, bug reports), must fail closed when the sensor
does, and must not flap. The driver already throttles finely; we only add coarse,
conservative steps with large hysteresis:

* act on the median of the last 3 samples, so one spike does nothing;
* soft limit: lower the power limit 10 % at a time (or duty-cycle without the privilege),
  raise it back 10 % at a time after a full cooldown below soft - 5 °C;
* pause limit (10 s), hardware thermal bits (2 samples), software thermal bit (60 s), VRAM
  pause limit or 3 failed reads: pause; resume only at or below the resume limit, after the
  cooldown, with no thermal bits; 3 thermal pauses in 30 minutes: stop for the day;
* emergency (near slowdown/shutdown, GPU lost, fan at 0 % while hot): kill the job and stay
  there until the user acknowledges it.

No I/O here: the worker feeds ``observe`` / ``observe_failure`` and carries out decisions.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from dataclasses import dataclass

from desktop.model import (
    REASON_HW_SLOWDOWN,
    REASON_HW_THERMAL,
    REASON_SW_THERMAL,
    GpuInfo,
    GpuSample,
    GuardAction,
    GuardDecision,
)

from ._text import deg, duration, watts
from .thermal_policy import InvalidThermalPolicy, ThermalPolicy, is_gddr6x
from .throttle import ThrottleLadder

__all__ = [
    "InvalidThermalPolicy",
    "ThermalGuard",
    "ThermalPolicy",
    "ThermalState",
    "ThermalStatus",
    "is_gddr6x",
]

GPU_LOST_CODES = frozenset({"gpu_lost", "gpu_is_lost", "reset_required", "lost"})
_HW_BITS = REASON_HW_THERMAL | REASON_HW_SLOWDOWN
_WINDOW = 3  # act on the median of this many samples


def _since(started: float | None, now: float, condition: bool) -> float | None:
    """When a condition that still holds began; None once it stops holding."""
    if not condition:
        return None
    return now if started is None else started


def median(values: list[float]) -> float:
    """The median of a few readings (``statistics.median``'s result, without importing
    statistics, which brings fractions and decimal into every worker's start)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

class ThermalState(enum.StrEnum):
    OK = "ok"
    THROTTLED = "throttled"
    PAUSED = "paused"
    STOPPED_FOR_DAY = "stopped_for_day"
    EMERGENCY = "emergency"


_STATE_ACTION = {
    ThermalState.OK: GuardAction.RUN,
    ThermalState.THROTTLED: GuardAction.THROTTLE,
    ThermalState.PAUSED: GuardAction.PAUSE,
    ThermalState.STOPPED_FOR_DAY: GuardAction.STOP_FOR_DAY,
    ThermalState.EMERGENCY: GuardAction.EMERGENCY,
}


@dataclass(frozen=True)
class ThermalStatus:
    """What the UI shows: the state, why, and whether VRAM temperature is known at all."""

    state: ThermalState
    reason: str
    vram_temperature_reported: bool
    core_c: float | None  # median of the last samples
    mem_c: float | None
    power_limit_w: float | None  # the limit we ask for; None = the user's own
    duty_cycle: float | None
    recent_pauses: int


class ThermalGuard:
    """One GPU's thermal state machine. Feed it every sample (or failed read) in order.

    ``user_power_limit_w`` is the limit the user had before we touched anything (we never go
    above it); without it the card's enforced, then default, limit is used. When neither is
    known, or ``can_set_power_limit`` is False, throttling is done by duty-cycling.
    """

    def __init__(
        self,
        info: GpuInfo,
        policy: ThermalPolicy,
        can_set_power_limit: bool,
        user_power_limit_w: float | None,
    ) -> None:
        self.info = info
        self.policy = policy
        ceiling = user_power_limit_w or info.power.enforced_w or info.power.default_w
        self._ladder = ThrottleLadder(policy, ceiling, info.power.min_w, can_set_power_limit)
        self._samples: deque[GpuSample] = deque(maxlen=_WINDOW)
        self._trips: deque[float] = deque()
        self._failures = 0
        self._state = ThermalState.OK
        self._reason = "Waiting for the first GPU reading."
        self._vram_reported = False
        self._core: float | None = None
        self._mem: float | None = None
        self._paused_at = -math.inf
        self._hot_since: float | None = None
        self._mem_hot_since: float | None = None
        self._sw_since: float | None = None
        self._fan_zero_since: float | None = None
        self._cool_since: float | None = None
        self._hw_run = 0
        self._last_now = -math.inf

    # --- public API -------------------------------------------------------------------

    @property
    def state(self) -> ThermalStatus:
        return ThermalStatus(
            state=self._state,
            reason=self._reason,
            vram_temperature_reported=self._vram_reported,
            core_c=self._core,
            mem_c=self._mem,
            power_limit_w=self._ladder.power_limit_w(),
            duty_cycle=self._ladder.duty(),
            recent_pauses=len(self._trips),
        )

    @property
    def user_power_limit_w(self) -> float | None:
        """The limit the worker restores when it stops (we never set one above it)."""
        return self._ladder.ceiling_w

    def observe(self, sample: GpuSample, now: float) -> GuardDecision:
        """Take one reading; returns what the GPU's work should do now."""
        if sample.core_temp_c is None:
            return self.observe_failure(now, "no_core_temperature")
        self._last_now = now
        self._failures = 0
        self._samples.append(sample)
        self._vram_reported = sample.mem_temp_c is not None
        self._core = median([s.core_temp_c for s in self._samples if s.core_temp_c is not None])
        mems = [s.mem_temp_c for s in self._samples if s.mem_temp_c is not None]
        self._mem = median(mems) if self._vram_reported else None
        self._track(sample, now)

        if self._state is ThermalState.EMERGENCY:
            return self._decision(now)
        emergency = self._emergency_reason(sample, now)
        if emergency:
            return self._set(ThermalState.EMERGENCY, emergency, now)
        if self._state is ThermalState.STOPPED_FOR_DAY:
            return self._decision(now)
        if self._state is ThermalState.PAUSED:
            return self._maybe_resume(now)
        cause = self._pause_cause(sample, now)
        if cause:
            return self._pause(cause, now, thermal=True)
        return self._throttle_step(sample, now)

    def observe_failure(self, now: float, error_code: str) -> GuardDecision:
        """A failed read. GPU lost → emergency at once; N in a row → pause (fail closed)."""
        self._last_now = now
        code = error_code.strip().lower()
        if code in GPU_LOST_CODES:
            reason = (
                f"The GPU stopped responding ({code}): the job was stopped and will not restart "
                "by itself. Restart the computer; if it happens again, check the card's power "
                "cables and seating."
            )
            return self._set(ThermalState.EMERGENCY, reason, now)
        self._failures += 1
        if self._failures < self.policy.failed_reads_limit:
            return self._decision(now)
        # Readings from before the failure say nothing about now: require fresh ones.
        self._samples.clear()
        if self._state in (ThermalState.OK, ThermalState.THROTTLED):
            reason = (
                f"The GPU's sensors could not be read {self._failures} times in a row ({code}): "
                "work paused to be safe until readings come back and the GPU is at "
                f"{deg(self.policy.resume_c)} or less."
            )
            return self._pause(reason, now, thermal=False)
        return self._decision(now)

    def acknowledge(self) -> None:
        """The user has seen the emergency (or stop for the day) and wants work back.

        Work does not restart at once: the guard waits in PAUSED for the resume conditions
        (fresh readings at or below the resume limit, a full cooldown), so a card that is
        still hot or still lost cannot be restarted by a click.
        """
        if self._state in (ThermalState.EMERGENCY, ThermalState.STOPPED_FOR_DAY):
            self._trips.clear()
            self._samples.clear()
            self._failures = 0
            self._state = ThermalState.PAUSED
            self._reason = (
                f"Acknowledged: work resumes once the GPU is at {deg(self.policy.resume_c)} "
                f"or less for {duration(self.policy.cooldown_s)}."
            )
            self._paused_at = self._last_now

    def reset_day(self) -> None:
        """A new day: forget the repeat trips and lift a stop-for-the-day (never an emergency)."""
        self._trips.clear()
        if self._state is ThermalState.STOPPED_FOR_DAY:
            self._state = ThermalState.PAUSED
            self._paused_at = -math.inf
            self._reason = (
                f"New day: work resumes once the GPU is at {deg(self.policy.resume_c)} or less."
            )

    # --- internals --------------------------------------------------------------------

    def _track(self, sample: GpuSample, now: float) -> None:
        """Update the 'since when' clocks the duration rules need."""
        p, core, mem = self.policy, self._core, self._mem
        assert core is not None
        bits = sample.clock_event_reasons
        self._hw_run = self._hw_run + 1 if bits & _HW_BITS else 0
        self._sw_since = _since(self._sw_since, now, bool(bits & REASON_SW_THERMAL))
        self._hot_since = _since(self._hot_since, now, core >= p.pause_c)
        mem_hot = mem is not None and mem >= p.mem_pause_c
        self._mem_hot_since = _since(self._mem_hot_since, now, mem_hot)
        fan_zero = sample.fan_pct is not None and sample.fan_pct <= 0 and core > p.fan_zero_hot_c
        self._fan_zero_since = _since(self._fan_zero_since, now, fan_zero)
        cool = core < p.soft_c - p.step_up_margin_c and not bits & REASON_SW_THERMAL
        cool = cool and (mem is None or mem < p.mem_soft_c - p.step_up_margin_c)
        self._cool_since = _since(self._cool_since, now, cool)

    def _emergency_reason(self, sample: GpuSample, now: float) -> str:
        p, core = self.policy, self._core
        assert core is not None
        tail = "The job was stopped and will not restart by itself."
        if core >= p.emergency_c:
            return (
                f"GPU at {deg(core)}, at or above the emergency limit of {deg(p.emergency_c)} "
                f"(this card slows itself at {deg(p.card_slowdown_c)} and shuts down at "
                f"{deg(p.card_shutdown_c)}). {tail} Check the fans and airflow, then press Resume."
            )
        if self._fan_zero_since is not None and now - self._fan_zero_since >= p.fan_zero_after_s:
            return (
                f"The fan has been at 0 % for {duration(now - self._fan_zero_since)} while the "
                f"GPU is at {deg(core)}: the fan may be broken or set to a fixed 0 %. {tail} "
                "Check the fan, then press Resume."
            )
        return ""

    def _pause_cause(self, sample: GpuSample, now: float) -> str:
        p, core, mem = self.policy, self._core, self._mem
        assert core is not None
        until = f"work paused until it cools to {deg(p.resume_c)}"
        if self._hot_since is not None and now - self._hot_since >= p.pause_after_s:
            return f"GPU at {deg(core)}, above your pause limit of {deg(p.pause_c)}: {until}."
        if self._hw_run >= p.hw_bit_samples:
            what = (
                "hardware thermal slowdown"
                if sample.clock_event_reasons & REASON_HW_THERMAL
                else "hardware slowdown, from heat or a power brake"
            )
            return f"The GPU is cutting its own clocks to protect itself ({what}): {until}."
        if self._sw_since is not None and now - self._sw_since >= p.sw_thermal_pause_after_s:
            vram = "" if self._vram_reported else " or its memory, whose temperature the driver"
            vram += "" if self._vram_reported else " does not report"
            return (
                f"The driver has been holding the GPU back for heat for "
                f"{duration(now - self._sw_since)} (the core{vram} reached its limit): {until}."
            )
        if (
            mem is not None
            and self._mem_hot_since is not None
            and now - self._mem_hot_since >= p.pause_after_s
        ):
            return (
                f"Graphics memory (VRAM) at {deg(mem)}, above your memory pause limit of "
                f"{deg(p.mem_pause_c)}: work paused until it cools to {deg(p.mem_resume_c)}."
            )
        return ""

    def _pause(self, cause: str, now: float, *, thermal: bool) -> GuardDecision:
        p = self.policy
        if thermal:
            self._trips.append(now)
            while self._trips and now - self._trips[0] > p.repeat_window_s:
                self._trips.popleft()
            if len(self._trips) >= p.repeat_trips:
                reason = (
                    f"{cause.split(':')[0]}. The GPU overheated {len(self._trips)} times in "
                    f"{duration(p.repeat_window_s)}: GPU work is stopped for the rest of the day. "
                    "Improve the cooling or lower the limits, then press Resume."
                )
                return self._set(ThermalState.STOPPED_FOR_DAY, reason, now)
        self._paused_at = now
        return self._set(ThermalState.PAUSED, cause, now)

    def _maybe_resume(self, now: float) -> GuardDecision:
        p, core, mem = self.policy, self._core, self._mem
        assert core is not None
        if len(self._samples) < _WINDOW:
            return self._decision(now)
        if core > p.resume_c or now - self._paused_at < p.cooldown_s:
            return self._decision(now)
        if any(s.thermal_bits for s in self._samples):
            return self._decision(now)
        if mem is not None and mem > p.mem_resume_c:
            return self._decision(now)
        self._ladder.last_step = now  # stepping back up waits a full cooldown from here
        if self._ladder.level:
            return self._set(
                ThermalState.THROTTLED,
                f"GPU cooled to {deg(core)}: work resumed, {self._ladder.text('hold')}.",
                now,
            )
        return self._set(ThermalState.OK, f"GPU cooled to {deg(core)}: work resumed.", now)

    def _throttle_step(self, sample: GpuSample, now: float) -> GuardDecision:
        p, core, mem = self.policy, self._core, self._mem
        assert core is not None
        why = ""
        if core >= p.soft_c:
            why = f"GPU at {deg(core)}, above your soft limit of {deg(p.soft_c)}"
        elif mem is not None and mem >= p.mem_soft_c:
            why = (
                f"Graphics memory (VRAM) at {deg(mem)}, above its soft limit of {deg(p.mem_soft_c)}"
            )
        elif mem is None and sample.clock_event_reasons & REASON_SW_THERMAL:
            why = (
                "The driver is holding the GPU back for heat (VRAM temperature is not reported "
                "by the driver, so this signal stands in for it)"
            )
        if why:
            if not self._ladder.may_lower(now):
                return self._decision(now)
            self._ladder.step(+1, now)
            mode = "lower" if self._ladder.level == 1 else "further"
            reason = f"{why}: {self._ladder.text(mode)} to cool it down."
            return self._set(ThermalState.THROTTLED, reason, now)
        if not self._ladder.may_raise(now, self._cool_since):
            return self._decision(now)
        self._ladder.step(-1, now)
        self._cool_since = now  # the next step up needs another full cooldown
        if self._ladder.level:
            reason = f"GPU cooled to {deg(core)}: {self._ladder.text('raise')}."
            return self._set(ThermalState.THROTTLED, reason, now)
        back = f"power limit back to your own {watts(self._ladder.ceiling_w or 0)}"
        back = back if self._ladder.uses_power else "work runs all the time again"
        return self._set(ThermalState.OK, f"GPU cooled to {deg(core)}: {back}.", now)

    def _set(self, state: ThermalState, reason: str, now: float) -> GuardDecision:
        self._state = state
        self._reason = reason
        return self._decision(now)

    def _decision(self, now: float) -> GuardDecision:
        throttled = self._state is ThermalState.THROTTLED
        return GuardDecision(
            gpu_index=self.info.index,
            action=_STATE_ACTION[self._state],
            reason=self._reason,
            source="thermal",
            ts=now,
            power_limit_w=self._ladder.power_limit_w() if throttled else None,
            duty_cycle=self._ladder.duty() if throttled else None,
        )
