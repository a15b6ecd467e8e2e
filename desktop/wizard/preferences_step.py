"""The preference steps: thermal and gaming defaults, electricity price, autostart.

The wizard never judges a setting itself beyond turning text into a number: the worker's
``PATCH /settings`` does, and a refusal comes back with the field and the allowed range,
shown in place, and nothing is saved (the API refuses a patch whole). Text that is not a
number is sent as typed, so the user reads the very message the settings page and
``rigpilot settings set`` give.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from desktop.ipc.schema_data import SettingsAnswer, SettingsPatched
from desktop.wizard.port import PortError
from desktop.wizard.state import Problem, WizardState

QUIET_KEY = "gaming.quiet_period_s"
PRICE_KEY = "electricity.price_per_kwh"
CURRENCY_KEY = "electricity.currency"
THERMAL_KEYS = (
    "thermal.soft_limit_c",
    "thermal.pause_limit_c",
    "thermal.resume_limit_c",
    "thermal.cooldown_s",
)


def _number_text(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return str(value or "")


def with_settings(state: WizardState, answer: SettingsAnswer) -> WizardState:
    """The worker's settings arrived (every key, always): the steps' inputs start from them."""
    settings = answer.settings
    quiet = settings[QUIET_KEY]
    return dataclasses.replace(
        state,
        settings=dict(settings),
        schema=dict(answer.schema),
        gaming_enabled=bool(settings["gaming.enabled"]),
        idle_only=bool(settings["gaming.idle_only"]),
        quiet_period_min=_number_text(quiet / 60),
        price_text=_number_text(settings[PRICE_KEY]),
        currency_text=str(settings[CURRENCY_KEY]),
        autostart=bool(settings["autostart"]),
    )


def set_gaming(
    state: WizardState, enabled: bool, idle_only: bool, quiet_period_min: str
) -> WizardState:
    return dataclasses.replace(
        state,
        gaming_enabled=enabled,
        idle_only=idle_only,
        quiet_period_min=quiet_period_min,
        problem=None,
    )


def set_electricity(state: WizardState, price_text: str, currency_text: str) -> WizardState:
    return dataclasses.replace(
        state, price_text=price_text, currency_text=currency_text, problem=None
    )


def set_autostart(state: WizardState, on: bool) -> WizardState:
    return dataclasses.replace(state, autostart=on, problem=None)


def parse_number(text: str) -> float | int | str:
    """A number from text (a decimal comma is accepted); the text itself when it is not one."""
    raw = text.strip().replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        return text.strip()
    return int(value) if value.is_integer() and "." not in raw and "e" not in raw.lower() else value


def _changed(state: WizardState, wanted: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in wanted.items() if state.settings.get(k, object()) != v}


def defaults_changes(state: WizardState) -> tuple[dict[str, Any], Problem | None]:
    """What the thermal-and-gaming step would change; a Problem for a quiet period that is
    not a number of minutes."""
    minutes = parse_number(state.quiet_period_min)
    if isinstance(minutes, str):
        allowed = "a number of minutes from 0 to 60"
        message = f"The quiet period after a game must be {allowed} (got {minutes!r})."
        return {}, Problem(message, QUIET_KEY, allowed)
    seconds = minutes * 60
    wanted = {
        "gaming.enabled": state.gaming_enabled,
        "gaming.idle_only": state.idle_only,
        QUIET_KEY: int(seconds) if float(seconds).is_integer() else seconds,
    }
    return _changed(state, wanted), None


def electricity_changes(state: WizardState) -> dict[str, Any]:
    """What the electricity step would change (the worker judges the values)."""
    wanted = {PRICE_KEY: parse_number(state.price_text), CURRENCY_KEY: state.currency_text.strip()}
    return _changed(state, wanted)


def autostart_changes(state: WizardState) -> dict[str, Any]:
    return _changed(state, {"autostart": state.autostart})


def with_applied(state: WizardState, answer: SettingsPatched) -> WizardState:
    """The worker saved the change: its settings are now the truth."""
    merged = (*state.applied, *(k for k in answer.applied if k not in state.applied))
    return dataclasses.replace(state, settings=dict(answer.settings), applied=merged, problem=None)


def with_refused(state: WizardState, error: PortError) -> WizardState:
    allowed = error.allowed if isinstance(error.allowed, str) else ""
    return dataclasses.replace(state, problem=Problem(error.message, error.field, allowed))


def _at(value: Any, otherwise: str) -> str:
    return f"at {value:g} °C" if isinstance(value, int | float) else otherwise


def thermal_explained(settings: Mapping[str, Any]) -> list[str]:
    """The thermal guard's behaviour in plain words, from the settings in force (the
    worker's, once they arrived: every key then; general words until they do)."""

    loaded = dict(settings) if settings else dict.fromkeys(THERMAL_KEYS)
    soft = _at(loaded["thermal.soft_limit_c"], "a little below your card's own limit")
    pause = _at(loaded["thermal.pause_limit_c"], "before your card would slow itself")
    resume = _at(loaded["thermal.resume_limit_c"], "well below the pause point")
    cooldown = loaded["thermal.cooldown_s"]
    cooldown_text = f"{cooldown / 60:g} min" if isinstance(cooldown, int | float) else "a while"
    return [
        f"Eases the load (shorter bursts or a lower power limit) {soft}.",
        f"Pauses the work {pause}, and resumes only once the GPU is back {resume}, "
        f"after at least {cooldown_text}.",
        "Stops the work at once, and waits for you, if the card nears its slowdown or "
        "shutdown temperature, a fan stops while hot, or a sensor fails.",
        "RigPilot never raises your card's power limit and never overclocks.",
    ]
