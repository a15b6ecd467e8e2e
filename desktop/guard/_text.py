"""Small formatting helpers shared by the guards' reasons.

Reasons are read by gamers, not engineers: whole degrees, whole watts and durations in
words ("2 minutes"), so that every message reads like a sentence from a person.
"""

from __future__ import annotations


def deg(value: float) -> str:
    """A temperature as people write it: ``86 °C`` (one decimal only when it matters)."""
    if abs(value - round(value)) < 0.05:
        return f"{round(value):d} °C"
    return f"{value:.1f} °C"


def watts(value: float) -> str:
    """A power limit in whole watts."""
    return f"{round(value):d} W"


def duration(seconds: float) -> str:
    """``30 s``, ``2 minutes``, ``1 hour 30 minutes``: the largest units that read well."""
    seconds = max(0.0, float(seconds))
    if seconds < 90 and seconds != 60:
        return f"{round(seconds):d} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours, rest = divmod(minutes, 60)
    text = "1 hour" if hours == 1 else f"{hours} hours"
    if rest:
        text += " 1 minute" if rest == 1 else f" {rest} minutes"
    return text


def listing(items: list[str], limit: int = 3) -> str:
    """``a``, ``a and b``, ``a, b and c``, ``a, b, c and 2 more``."""
    if not items:
        return ""
    shown = items[:limit]
    more = len(items) - len(shown)
    if more:
        return ", ".join(shown) + f" and {more} more"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]
