"""The throttle ladder the thermal guard climbs: power-limit steps, or duty-cycle steps.

Split from the state machine because it is plain arithmetic with its own rules (§9):
each step lowers the power limit by 10 % of the user's limit compounded (320 → 288 → 259 W
...), never below the card's minimum and never above the user's own limit; without the
privilege to set power limits each step runs the work 10 s less per minute (50/60, 40/60
... down to 20/60), BOINC style. Level 0 means no throttle.
"""

from __future__ import annotations

import math

from ._text import watts
from .thermal_policy import ThermalPolicy

_DUTY_STEP_S = 10.0  # each further duty-cycle step runs 10 s less per period
_DUTY_MIN_ON_S = 20.0


class ThrottleLadder:
    """Where on the ladder we are, and what that level means in watts or duty."""

    def __init__(
        self,
        policy: ThermalPolicy,
        ceiling_w: float | None,
        min_w: float | None,
        can_set_power_limit: bool,
    ) -> None:
        self.policy = policy
        self.ceiling_w = ceiling_w
        # Unknown card minimum: never go below half the user's limit.
        floor = min_w if min_w else (ceiling_w or 0.0) * 0.5
        self.floor_w = min(floor, ceiling_w or floor)
        # A limit already at the card's minimum cannot go lower: duty-cycle instead.
        self.uses_power = bool(can_set_power_limit and ceiling_w and self.floor_w < ceiling_w)
        self.level = 0
        self.max_level = self._deepest()
        self.last_step = -math.inf

    def may_lower(self, now: float) -> bool:
        """The first step at once; each further one after ``throttle_step_s`` (let it settle)."""
        if self.level == 0:
            return True
        settled = now - self.last_step >= self.policy.throttle_step_s
        return settled and self.level < self.max_level

    def may_raise(self, now: float, cool_since: float | None) -> bool:
        """One step back up per full cooldown spent cool (below soft - 5 °C)."""
        cooldown = self.policy.cooldown_s
        return (
            self.level > 0
            and cool_since is not None
            and now - cool_since >= cooldown
            and now - self.last_step >= cooldown
        )

    def step(self, delta: int, now: float) -> None:
        self.level = max(0, min(self.max_level, self.level + delta))
        self.last_step = now

    def power_limit_w(self) -> float | None:
        """The power limit to ask for at this level (None: the user's own applies)."""
        if not self.uses_power or not self.level:
            return None
        return self._limit_at(self.level)

    def duty(self) -> float | None:
        """The fraction of time work may run at this level (None at level 0)."""
        if not self.level:
            return None
        p = self.policy
        floor = min(_DUTY_MIN_ON_S, p.duty_on_s)
        on = max(floor, p.duty_on_s - _DUTY_STEP_S * (self.level - 1))
        return on / p.duty_period_s

    def text(self, mode: str) -> str:
        """This level in words; ``mode`` is hold, lower, further or raise."""
        if self.uses_power:
            verb = {"hold": "held at", "lower": "lowered to", "further": "lowered further to"}
            return f"power limit {verb.get(mode, 'raised to')} {watts(self.power_limit_w() or 0)}"
        period = self.policy.duty_period_s
        text = f"work runs {round((self.duty() or 1.0) * period)} s of every {round(period)} s"
        if mode == "lower":
            text += " (no permission to lower the power limit, so it is paused in between)"
        return text

    def _limit_at(self, level: int) -> float:
        """Ceiling x 0.9^level in whole watts, kept between the card's minimum and the ceiling."""
        ceiling = self.ceiling_w or 0.0
        wanted = round(ceiling * (1 - self.policy.power_step) ** level)
        return float(max(self.floor_w, min(ceiling, wanted)))

    def _deepest(self) -> int:
        """The deepest level that still changes something (power at the floor, duty at min)."""
        if self.uses_power:
            level = 1
            while level < 100 and self._limit_at(level) > self.floor_w:
                level += 1
            return level
        p = self.policy
        return 1 + max(0, math.ceil((p.duty_on_s - _DUTY_MIN_ON_S) / _DUTY_STEP_S))
