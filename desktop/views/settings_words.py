"""Settings in a person's words: the rule a field accepts, a refusal, the value in force.

The worker speaks the settings file's language ("thermal.pause_limit_c must be a number
from 55 to 100 °C, or null to derive it from the card"): right for ``rigpilot settings``
and scripts, wrong in a window, where the field is called "Pause at" and "null" is the
"Auto" box. These functions translate, knowing the field's label and what its empty value
is called on screen; the CLI keeps the worker's words.
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop.ipc.schema import StatusAnswer
from desktop.ipc.schema_data import SettingSpec
from desktop.views.text import plain

NULL = ", or null "

# Which of the guard's limits in force (status: gpus[].thermal.limits) an "Auto" field has.
AUTO_LIMITS = {
    "thermal.soft_limit_c": "soft_c",
    "thermal.pause_limit_c": "pause_c",
    "thermal.resume_limit_c": "resume_c",
    "thermal.memory_pause_limit_c": "mem_pause_c",
}


def _null_phrase(spec: SettingSpec) -> str:
    """The worker's words for the empty value (", or null to derive it from the card")."""
    at = spec.allowed.find(NULL)
    return spec.allowed[at:] if at >= 0 else ""


def allowed_words(spec: SettingSpec, empty_word: str) -> str:
    """The rule, with the empty value as the window calls it ("…, or Auto")."""
    phrase = _null_phrase(spec)
    if not phrase:
        return plain(spec.allowed)
    return plain(spec.allowed.replace(phrase, f", or {empty_word}" if empty_word else ""))


def refusal_words(message: str, key: str, label: str, spec: SettingSpec | None, empty: str) -> str:
    """A refusal of the worker's, with the field's label for its key and the window's
    word for null: "Pause at must be a number from 55 to 100 °C, or Auto (got 200)"."""
    text = message
    if text.startswith(key):
        text = label + text[len(key) :]
    phrase = _null_phrase(spec) if spec is not None else ""
    if phrase:
        text = text.replace(phrase, f", or {empty}" if empty else "")
    return plain(text)


def auto_values(key: str, status: StatusAnswer | None) -> list[float]:
    """The values an "Auto" thermal field has now, one per GPU whose guard reports it."""
    field = AUTO_LIMITS.get(key)
    if field is None or status is None:
        return []
    out = []
    for gpu in status.gpus:
        if gpu.thermal is None:
            continue
        if field == "mem_pause_c" and not gpu.thermal.vram_temperature_reported:
            continue  # a limit on a reading the card does not give: not "in force"
        value = getattr(gpu.thermal.limits, field)
        if value is not None:
            out.append(float(value))
    return out


def auto_label(values: Sequence[float], unit: str) -> str:
    """ "Auto (80 °C for this card)", "Auto (80 to 83 °C, by card)", or "Auto (from the card)"."""
    if not values:
        return "Auto (from the card)"
    low, high = min(values), max(values)
    if low == high:
        where = "this card" if len(values) == 1 else "these cards"
        return f"Auto ({low:g} {unit} for {where})"
    return f"Auto ({low:g} to {high:g} {unit}, by card)"
