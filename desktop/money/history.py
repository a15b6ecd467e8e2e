"""History: uptime and earning utilisation per local day, and days grouped into weeks or
months for the long charts.

Utilisation is "hours earning ÷ hours online": of the time a network was up on this
computer, the share it had a job (the articles' 60-80 %). Uptime is the share of the day
it was up. Both come from the ledger's network status spans.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

ONLINE = frozenset({"idle", "busy", "benchmarking"})
EARNING = frozenset({"busy"})


@dataclass(frozen=True)
class Span:
    network: str
    state: str
    start: float
    end: float


@dataclass
class DayUse:
    date: str
    network: str
    online_s: float = 0.0
    earning_s: float = 0.0
    day_s: float = 86400.0

    @property
    def utilisation_pct(self) -> float | None:
        return None if self.online_s <= 0 else round(100 * self.earning_s / self.online_s, 2)

    @property
    def uptime_pct(self) -> float:
        return round(100 * min(self.online_s, self.day_s) / self.day_s, 2)


def day_use(
    spans: Iterable[Span],
    day_bounds: Callable[[float], tuple[str, float, float]],
    until: float,
) -> list[DayUse]:
    """Per (local day, network): seconds online and earning. ``day_bounds(ts)`` gives the
    local date of ``ts`` and that day's start and end; today counts up to ``until``."""
    out: dict[tuple[str, str], DayUse] = {}
    for span in spans:
        t = span.start
        end = min(span.end, until)
        while t < end:
            date, lo, hi = day_bounds(t)
            piece = min(end, hi) - t
            slot = out.setdefault((date, span.network), DayUse(date, span.network))
            slot.day_s = max(1.0, min(hi, until) - lo)
            if span.state in ONLINE:
                slot.online_s += piece
            if span.state in EARNING:
                slot.earning_s += piece
            t = min(end, hi)
    return [out[k] for k in sorted(out)]


def period_of(date: str, grain: str) -> str:
    """The week ("2026-W49", ISO) or month ("2026-12") an ISO date falls in; the date
    itself for "day"."""
    day = dt.date.fromisoformat(date)
    if grain == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{day.year}-{day.month:02d}"
    return date


def group(
    rows: Sequence[tuple[str, str, Decimal]], grain: str
) -> tuple[list[str], dict[str, list[Decimal]]]:
    """(periods in order, per network its value per period) from (date, network, value)."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for date, network, value in rows:
        sums[(period_of(date, grain), network)] += value
    periods = sorted({p for p, _ in sums})
    networks = sorted({n for _, n in sums})
    return periods, {n: [sums.get((p, n), Decimal(0)) for p in periods] for n in networks}
