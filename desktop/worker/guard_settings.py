"""What the user asks of the guards: their settings and pauses.

The settings: from the settings keys to per-card policies, and back to errors.

The settings file speaks in user terms (``thermal.pause_limit_c``); the thermal policy in
card terms (``pause_c``, derived per card from its NVML thresholds). This module is the
translation both ways: it builds each card's ``ThermalPolicy`` from the settings in
force, and turns the policy's refusals ("pause_c is 96 °C, above this card's slowdown
point ...") into ``SettingsStore.patch`` validator errors that name the settings key and
the card, so an unsafe limit is refused before it is saved.

A limit the user sets alone drags the limits tied to it along: a pause limit of 75 °C with
the soft and resume limits left to the card gives soft 74 and resume 70 (never the card's
80 °C soft limit, which would sit above the new pause limit and be refused).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from desktop.guard.activity import ActivityPolicy
from desktop.guard.schedule import Window, parse_windows
from desktop.guard.thermal import InvalidThermalPolicy, ThermalPolicy, is_gddr6x
from desktop.model import GpuInfo

GUARD_KEYS = (
    "thermal.soft_limit_c",
    "thermal.pause_limit_c",
    "thermal.resume_limit_c",
    "thermal.cooldown_s",
    "thermal.memory_pause_limit_c",
    "thermal.user_power_limit_w",
    "gaming.enabled",
    "gaming.games",
    "gaming.quiet_period_s",
    "gaming.idle_only",
    "gaming.idle_after_s",
    "schedule.enabled",
    "schedule.windows",
)

# Policy field → the settings key a person changes to move it.
_FIELD_KEYS = {
    "soft_c": "thermal.soft_limit_c",
    "pause_c": "thermal.pause_limit_c",
    "resume_c": "thermal.resume_limit_c",
    "cooldown_s": "thermal.cooldown_s",
    "mem_pause_c": "thermal.memory_pause_limit_c",
    "mem_soft_c": "thermal.memory_pause_limit_c",
    "mem_resume_c": "thermal.memory_pause_limit_c",
}
_ALLOWED = re.compile(r"allowed range is (.+?)(?: \(|\.$)")

Validator = Callable[[Mapping[str, Any]], Iterable[tuple[str, str, str]]]


def read_values(get: Callable[[str], Any]) -> dict[str, Any]:
    """The guard settings in force, from a getter such as ``store.current.get``."""
    values: dict[str, Any] = {}
    for key in GUARD_KEYS:
        try:
            values[key] = get(key)
        except KeyError:
            values[key] = None
    return values


@dataclass(frozen=True)
class CardPolicy:
    """One card's thermal policy and the power ceiling the throttle never exceeds."""

    policy: ThermalPolicy
    problems: tuple[str, ...] = ()  # why the user's limits were refused (defaults in force)


def thermal_overrides(base: ThermalPolicy, values: Mapping[str, Any]) -> dict[str, float]:
    """The policy overrides the settings ask for, with the tied limits dragged along."""
    pause = values.get("thermal.pause_limit_c")
    soft = values.get("thermal.soft_limit_c")
    resume = values.get("thermal.resume_limit_c")
    mem_pause = values.get("thermal.memory_pause_limit_c")
    out: dict[str, float] = {}
    if pause is not None:
        out["pause_c"] = float(pause)
        if soft is None:
            out["soft_c"] = min(base.soft_c, float(pause) - 1)
        if resume is None:
            out["resume_c"] = min(base.resume_c, float(pause) - 5)
    if soft is not None:
        out["soft_c"] = float(soft)
    if resume is not None:
        out["resume_c"] = float(resume)
    cooldown = values.get("thermal.cooldown_s")
    if cooldown is not None:
        out["cooldown_s"] = float(cooldown)
    if mem_pause is not None:
        out["mem_pause_c"] = float(mem_pause)
        out["mem_soft_c"] = min(base.mem_soft_c, float(mem_pause) - 1)
        out["mem_resume_c"] = min(base.mem_resume_c, float(mem_pause) - 5)
    return out


def card_policy(info: GpuInfo, values: Mapping[str, Any]) -> CardPolicy:
    """This card's policy under the settings; the card's defaults when they are unsafe."""
    base = ThermalPolicy.for_card(info.thresholds, gddr6x=is_gddr6x(info.name))
    try:
        policy = base.with_overrides(thermal_overrides(base, values), info.thresholds)
    except InvalidThermalPolicy as exc:
        return CardPolicy(base, tuple(exc.problems))
    return CardPolicy(policy)


def power_ceiling(original_w: float | None, values: Mapping[str, Any]) -> float | None:
    """The highest limit work may run at: the user's own, or their cap for work if lower."""
    cap = values.get("thermal.user_power_limit_w")
    if cap is None:
        return original_w
    return float(cap) if original_w is None else min(float(cap), original_w)


def activity_policy(values: Mapping[str, Any]) -> ActivityPolicy:
    return ActivityPolicy(
        enabled=bool(values.get("gaming.enabled", True)),
        extra_game_names=frozenset(values.get("gaming.games") or ()),
        quiet_period_s=float(values.get("gaming.quiet_period_s") or 0.0),
        idle_only=bool(values.get("gaming.idle_only", False)),
        idle_after_s=float(values.get("gaming.idle_after_s") or 600.0),
    )


def schedule_windows(values: Mapping[str, Any]) -> list[Window]:
    """The schedule's windows; raises ScheduleError naming the bad window."""
    return parse_windows(values.get("schedule.windows") or [])


def card_problems(info: GpuInfo, values: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(key, message, allowed) for every limit this card refuses under ``values``."""
    found = card_policy(info, values).problems
    out = []
    for problem in found:
        name, _, rest = problem.partition(" ")
        key = _FIELD_KEYS.get(name, "thermal.pause_limit_c")
        shown = key if name in _FIELD_KEYS else name
        match = _ALLOWED.search(problem)
        allowed = match.group(1) if match else ""
        out.append((key, f"GPU {info.index} ({info.name}): {shown} {rest}", allowed))
    return out


def validators(infos: list[GpuInfo]) -> list[Validator]:
    """Validators for ``SettingsStore.patch``: limits unsafe for any of these cards (the
    schedule's windows are checked by the settings themselves, with the same validator)."""

    def thermal(settings: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        values = {key: settings.get(key) for key in GUARD_KEYS}
        return [p for info in infos for p in card_problems(info, values)]

    return [thermal]
