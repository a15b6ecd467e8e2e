"""Numbers as a gamer reads them: ``74 °C``, ``212 W``, ``3 h 12 min``, ``21:00``.

Every value may be unknown (None): each helper then shows an en dash rather than raising
or inventing a zero, because a half-filled view is better than a wrong one.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

DASH = "–"
MORNING_HOUR = 6  # "until tomorrow" ends at 06:00 local time
_QUOTED = re.compile(r"`([^`\n]{1,300})`")


def temp(value: float | None) -> str:
    return DASH if value is None else f"{round(value):d} °C"


def watts(value: float | None) -> str:
    return DASH if value is None else f"{round(value):d} W"


def percent(value: float | None) -> str:
    return DASH if value is None else f"{round(value):d} %"


def duration(seconds: float | None) -> str:
    """``45 s``, ``12 min``, ``3 h 12 min``, ``2 d 4 h``: short, for cards and tables."""
    if seconds is None or seconds < 0:
        return DASH
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def clock(ts: float | None, now: float) -> str:
    """A local time: ``21:00`` today, ``Tue 07:00`` within a week, else a date."""
    if ts is None:
        return DASH
    moment = datetime.fromtimestamp(ts)
    today = datetime.fromtimestamp(now).date()
    if moment.date() == today:
        return moment.strftime("%H:%M")
    if abs((moment.date() - today).days) < 7:
        return moment.strftime("%a %H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def stamp(ts: float | None) -> str:
    """A full local timestamp for tables and event lists: ``2026-05-01 21:03:12``."""
    return DASH if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def until_tomorrow(now: float) -> float:
    """What "pause until tomorrow" means in every client: the next 06:00 local time.

    Past midnight and before six it is this morning's 06:00 (the night is not over);
    otherwise tomorrow's.
    """
    moment = datetime.fromtimestamp(now)
    target = moment.replace(hour=MORNING_HOUR, minute=0, second=0, microsecond=0)
    if target <= moment:
        target += timedelta(days=1)
    return target.timestamp()


def plain(text: str) -> str:
    """``text`` for a window: the commands it quotes in backticks (the CLI's and the
    doctor's way to mark them) as they are typed, without the backticks."""
    return _QUOTED.sub(r"\1", text).replace("`", "")


def commands_in(text: str) -> list[str]:
    """The shell commands ``text`` quotes in backticks, each once (for Copy buttons)."""
    seen: list[str] = []
    for match in _QUOTED.finditer(text):
        command = match.group(1).strip()
        if len(command) >= 2 and command not in seen:
            seen.append(command)
    return seen


# The first part of an event's kind ("guard.pause") as the Events page's "What" column says it.
EVENT_TOPICS = {
    "worker": "RigPilot",
    "jobs": "Jobs",
    "job": "Job",
    "guard": "Heat guard",
    "thermal": "Heat guard",
    "gpu": "GPU",
    "sensor": "GPU sensor",
    "network": "Network",
    "networks": "Networks",
    "operation": "Network",
    "settings": "Settings",
    "user": "You",
    "gaming": "Games",
    "schedule": "Schedule",
    "ledger": "Records",
    "alerts": "Alerts",
    "metrics": "Metrics",
    "power": "Power",
}


def event_topic(kind: str) -> str:
    """ "Heat guard" for ``guard.pause``: what an event is about, in a word or two."""
    head = kind.split(".", 1)[0]
    return EVENT_TOPICS.get(head, head.replace("_", " ").capitalize())
