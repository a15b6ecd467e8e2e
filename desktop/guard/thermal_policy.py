"""The thermal policy: every limit the thermal guard acts on, derived per card with safe bounds.

The defaults follow reliability.md §9. They are read from the card's own NVML thresholds,
because cards differ (an RTX 3060 Ti slows itself at 95 °C, a datacenter HBM card at 89 °C),
and fall back to 83/90/95 °C (max operating / slowdown / shutdown) when the driver does not
say, which is conservative against every captured card. Users may move any limit, but only
inside bounds that keep the card away from its own slowdown and shutdown points: a setting
that would let the GPU reach them is refused with a message naming the field and the range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from desktop.model import ThermalThresholds

from ._text import deg

FALLBACK_MAX_OPERATING_C = 83.0
FALLBACK_SLOWDOWN_C = 90.0
FALLBACK_SHUTDOWN_C = 95.0

# A threshold outside this range is a driver glitch, not a real card: use the fallback.
_PLAUSIBLE_C = (60.0, 130.0)

# Card facts are not user settings; everything else may be overridden within bounds.
_CARD_FIELDS = frozenset(
    {"card_max_operating_c", "card_slowdown_c", "card_shutdown_c", "card_memory_max_c"}
)
_INT_FIELDS = frozenset({"repeat_trips", "failed_reads_limit", "hw_bit_samples"})

# Static bounds (low, high) of the settings whose range does not depend on other settings.
_STATIC_BOUNDS: dict[str, tuple[float, float, str]] = {
    "cooldown_s": (30, 3600, "s"),
    "pause_after_s": (0, 60, "s"),
    "hw_bit_samples": (1, 10, "samples"),
    "sw_thermal_pause_after_s": (10, 600, "s"),
    "repeat_trips": (1, 20, "pauses"),
    "repeat_window_s": (300, 86400, "s"),
    "fan_zero_after_s": (5, 300, "s"),
    "failed_reads_limit": (1, 10, "reads"),
    "throttle_step_s": (5, 600, "s"),
    "step_up_margin_c": (1, 20, "°C"),
    "power_step": (0.05, 0.5, "(fraction)"),
    "duty_period_s": (10, 600, "s"),
}


_GDDR6X_MODELS = ("3070 ti", "3080", "3090", "4070", "4080", "4090")


def is_gddr6x(card_name: str) -> bool:
    """Whether this GeForce model ships with GDDR6X memory (picks the memory limits).

    A name we do not know gets the stricter GDDR6 limits, which is the safe side.
    """
    name = card_name.lower()
    return "geforce" in name and any(model in name for model in _GDDR6X_MODELS)


class InvalidThermalPolicy(ValueError):
    """Overrides that would make the policy unsafe; ``problems`` are sentences for the user."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _plausible(value: float | None, fallback: float) -> float:
    if value is None or not (_PLAUSIBLE_C[0] <= value <= _PLAUSIBLE_C[1]):
        return fallback
    return float(value)


@dataclass(frozen=True)
class ThermalPolicy:
    """All limits of the thermal guard. Temperatures in °C, durations in seconds.

    The defaults are those ``for_card`` derives for a card that reports nothing.
    ``duty_on_s`` of every ``duty_period_s`` is the first duty-cycle step (BOINC-style
    pause of 10 s in each 60 s) used when the power limit cannot be lowered.
    """

    soft_c: float = 75.0
    pause_c: float = 80.0
    resume_c: float = 70.0
    emergency_c: float = 88.0
    cooldown_s: float = 120.0
    pause_after_s: float = 10.0
    hw_bit_samples: int = 2
    sw_thermal_pause_after_s: float = 60.0
    repeat_trips: int = 3
    repeat_window_s: float = 1800.0
    fan_zero_hot_c: float = 70.0
    fan_zero_after_s: float = 30.0
    mem_soft_c: float = 90.0
    mem_pause_c: float = 95.0
    mem_resume_c: float = 88.0
    failed_reads_limit: int = 3
    throttle_step_s: float = 30.0
    step_up_margin_c: float = 5.0
    power_step: float = 0.10
    duty_period_s: float = 60.0
    duty_on_s: float = 50.0
    card_max_operating_c: float = FALLBACK_MAX_OPERATING_C
    card_slowdown_c: float = FALLBACK_SLOWDOWN_C
    card_shutdown_c: float = FALLBACK_SHUTDOWN_C
    card_memory_max_c: float | None = None

    @classmethod
    def for_card(
        cls,
        thresholds: ThermalThresholds,
        overrides: Mapping[str, float] | None = None,
        *,
        gddr6x: bool = False,
    ) -> ThermalPolicy:
        """The §9 defaults for this card, with the user's overrides applied and checked.

        ``gddr6x`` picks the memory limits of GDDR6X cards (soft 94, pause 100, resume 88 °C);
        otherwise the stricter GDDR6 limits apply (soft 90, pause 95, resume 88 °C), which is
        also the safe choice when the memory type is unknown. Raises ``InvalidThermalPolicy``
        when an override is unknown or out of its bounds.
        """
        maxop = _plausible(thresholds.max_operating_c, FALLBACK_MAX_OPERATING_C)
        slow = _plausible(thresholds.slowdown_c, FALLBACK_SLOWDOWN_C)
        shut = _plausible(thresholds.shutdown_c, FALLBACK_SHUTDOWN_C)
        mem_max = thresholds.memory_max_c
        mem_max = None if mem_max is None else _plausible(mem_max, 0.0) or None

        emergency = min(90.0, slow - 2, shut - 5)
        pause = min(85.0, maxop - 3, emergency - 1)
        soft = min(80.0, maxop - 8, pause - 1)
        resume = min(70.0, pause - 5)
        mem_soft, mem_pause, mem_resume = (94.0, 100.0, 88.0) if gddr6x else (90.0, 95.0, 88.0)
        if mem_max is not None:
            mem_pause = min(mem_pause, mem_max)
            mem_soft = min(mem_soft, mem_pause - 1)
            mem_resume = min(mem_resume, mem_pause - 5)
        policy = cls(
            soft_c=soft,
            pause_c=pause,
            resume_c=resume,
            emergency_c=emergency,
            fan_zero_hot_c=min(70.0, pause - 5),
            mem_soft_c=mem_soft,
            mem_pause_c=mem_pause,
            mem_resume_c=mem_resume,
            card_max_operating_c=maxop,
            card_slowdown_c=slow,
            card_shutdown_c=shut,
            card_memory_max_c=mem_max,
        )
        if not overrides:
            return policy
        return policy.with_overrides(overrides, thresholds)

    def with_overrides(
        self, overrides: Mapping[str, float], thresholds: ThermalThresholds | None = None
    ) -> ThermalPolicy:
        """A copy with the user's settings applied; raises ``InvalidThermalPolicy`` if unsafe."""
        tunable = sorted(f.name for f in dataclasses.fields(self) if f.name not in _CARD_FIELDS)
        problems: list[str] = []
        changes: dict[str, float | int] = {}
        for name, value in overrides.items():
            if name not in tunable:
                problems.append(
                    f"'{name}' is not a thermal setting; the settings are: {', '.join(tunable)}."
                )
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"{name} must be a number, not {value!r}.")
                continue
            if name in _INT_FIELDS:
                if float(value) != int(value):
                    problems.append(f"{name} must be a whole number, not {value}.")
                    continue
                changes[name] = int(value)
            else:
                changes[name] = float(value)
        if problems:
            raise InvalidThermalPolicy(problems)
        policy = dataclasses.replace(self, **changes)  # type: ignore[arg-type]
        problems = policy.validate(thresholds)
        if problems:
            raise InvalidThermalPolicy(problems)
        return policy

    def validate(self, thresholds: ThermalThresholds | None = None) -> list[str]:
        """Every unsafe or inconsistent setting, as sentences naming the field and its range.

        ``thresholds`` are the card's NVML limits; without them the card limits this policy
        was built for are used. An empty list means the policy is safe to use.
        """
        slow, shut, mem_max = self.card_slowdown_c, self.card_shutdown_c, self.card_memory_max_c
        if thresholds is not None:
            slow = _plausible(thresholds.slowdown_c, FALLBACK_SLOWDOWN_C)
            shut = _plausible(thresholds.shutdown_c, FALLBACK_SHUTDOWN_C)
            if thresholds.memory_max_c is not None:
                mem_max = _plausible(thresholds.memory_max_c, 0.0) or None
        problems: list[str] = []

        def check(name: str, low: float, high: float, unit: str, why: str = "") -> None:
            value = getattr(self, name)
            if low <= value <= high:
                return
            shown = (lambda v: deg(v)) if unit == "°C" else (lambda v: f"{v:g} {unit}")
            text = f"{name} is {shown(value)}; allowed range is {shown(low)} to {shown(high)}"
            problems.append(text + (f" ({why})." if why else "."))

        card_top = min(slow - 2, shut - 5)
        check(
            "emergency_c",
            50,
            card_top,
            "°C",
            f"this card slows itself at {deg(slow)} and shuts down at {deg(shut)}",
        )
        if self.pause_c > slow:
            problems.append(
                f"pause_c is {deg(self.pause_c)}, above this card's slowdown point of "
                f"{deg(slow)}: the GPU would throttle itself before we pause. Allowed range is "
                f"50 °C to {deg(min(self.emergency_c, card_top) - 1)}."
            )
        else:
            check("pause_c", 50, self.emergency_c - 1, "°C", "it must stay below emergency_c")
        check("soft_c", 40, self.pause_c - 1, "°C", "it must stay below pause_c")
        check("resume_c", 30, self.pause_c - 5, "°C", "it must be at least 5 °C below pause_c")
        mem_top = 110.0 if mem_max is None else mem_max
        mem_why = "the memory's own limit" if mem_max is not None else "the GDDR6X safe maximum"
        check("mem_pause_c", 60, mem_top, "°C", mem_why)
        check("mem_soft_c", 50, self.mem_pause_c - 1, "°C", "it must stay below mem_pause_c")
        check(
            "mem_resume_c",
            40,
            self.mem_pause_c - 5,
            "°C",
            "it must be at least 5 °C below mem_pause_c",
        )
        check("fan_zero_hot_c", 40, self.emergency_c, "°C", "it must not exceed emergency_c")
        for name, (low, high, unit) in _STATIC_BOUNDS.items():
            check(name, low, high, unit)
        check("duty_on_s", 1, self.duty_period_s - 1, "s", "it must be shorter than duty_period_s")
        return problems
