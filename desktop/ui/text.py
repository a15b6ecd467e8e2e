"""Numbers as a gamer reads them: ``74 °C``, ``212 W``, ``$1.23``, ``3 h 12 min``, ``21:00``.

Qt-free and tolerant: the API sends amounts as strings (Decimal), numbers or Money objects,
and any value can be missing; every helper turns "unknown" into an en dash rather than
raising, because a half-filled dashboard is better than an exception dialog.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

DASH = "–"


def num(value: Any) -> float | None:
    """A float from a number, a numeric string or a Decimal; None when it is not one."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, str):
        try:
            return float(Decimal(value))
        except (InvalidOperation, ValueError):
            return None
    return None


def temp(value: Any) -> str:
    v = num(value)
    return DASH if v is None else f"{round(v):d} °C"


def watts(value: Any) -> str:
    v = num(value)
    return DASH if v is None else f"{round(v):d} W"


def percent(value: Any) -> str:
    v = num(value)
    return DASH if v is None else f"{round(v):d} %"


def usd(value: Any) -> str:
    """Dollars with cents, or with four decimals for the tiny amounts of a first hour."""
    v = num(value)
    if v is None:
        return DASH
    sign = "-" if v < 0 else ""
    v = abs(v)
    if 0 < v < 0.01:
        return f"{sign}${v:.4f}"
    return f"{sign}${v:,.2f}"


def usd_exact(value: Any) -> str:
    """Dollars to the hundredth of a cent below $1 (one job's pay), cents above."""
    v = num(value)
    if v is None:
        return DASH
    return f"${v:.4f}" if abs(v) < 1 else usd(v)


def money(value: Any) -> str:
    """A Money JSON object (``{amount, unit, usd}``) or a plain USD amount, for display."""
    if isinstance(value, dict):
        if value.get("usd") is not None:
            return usd(value["usd"])
        amount = num(value.get("amount"))
        if amount is None:
            return DASH
        return f"{amount:g} {value.get('unit', '')}".strip()
    return usd(value)


def money_usd(value: Any) -> float | None:
    """The USD value of a Money object, a plain amount or a ``{gross_usd}`` total."""
    if isinstance(value, dict):
        for key in ("usd", "gross_usd", "amount_usd"):
            if value.get(key) is not None:
                return num(value[key])
        return None
    return num(value)


def duration(seconds: Any) -> str:
    """``45 s``, ``12 min``, ``3 h 12 min``, ``2 d 4 h``: short, for cards and tables."""
    s = num(seconds)
    if s is None or s < 0:
        return DASH
    if s < 60:
        return f"{int(s)} s"
    minutes = int(s // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def clock(ts: Any, now: float | None = None) -> str:
    """A local time: ``21:00`` today, ``Tue 07:00`` within a week, else a date."""
    t = num(ts)
    if t is None:
        return DASH
    moment = datetime.fromtimestamp(t)
    today = datetime.fromtimestamp(time.time() if now is None else now).date()
    if moment.date() == today:
        return moment.strftime("%H:%M")
    if abs((moment.date() - today).days) < 7:
        return moment.strftime("%a %H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def stamp(ts: Any) -> str:
    """A full local timestamp for tables: ``2026-05-01 21:03:12``."""
    t = num(ts)
    return DASH if t is None else datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")


def tomorrow_at(hour: int, now: float | None = None) -> float:
    """The epoch time of ``hour``:00 local time on the next calendar day."""
    base = datetime.fromtimestamp(time.time() if now is None else now)
    target = (base + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return target.timestamp()
