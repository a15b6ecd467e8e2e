"""The schedule guard: run only inside the user's weekly cheap-power windows, in local time.

Power tariffs are written in wall-clock time ("22:00 to 06:00 on weekdays"), so the windows
are too, and membership is decided on the local wall clock of the zone, which is what the
meter follows. DST therefore never shifts a window: the night the clocks go forward a
22:00–06:00 window lasts 7 real hours, the night they go back 9; a window starting in the
skipped hour opens the moment the clock jumps past its start; one inside the repeated hour
is open both times round.

Pure: ``observe`` takes the epoch time; the zone is a ``zoneinfo`` zone (or its name) or,
by default, the system's local time (naive datetimes follow it, DST included).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from desktop.model import GuardAction, GuardDecision

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FULL_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_LOOKUP = {name.lower(): i for i, name in enumerate(DAY_NAMES)} | {
    full.lower(): i for i, full in enumerate(FULL_DAY_NAMES)
}
_WEEK_MIN = 7 * 24 * 60


class ScheduleError(ValueError):
    """Windows that cannot be used; ``problems`` are sentences naming the field and the fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Window:
    """A weekly window: on each of ``days`` (0 = Monday) from ``start`` to ``end``.

    ``end`` earlier than ``start`` means the window runs past midnight into the next day;
    the day is the one the window starts on.
    """

    days: frozenset[int]
    start: time
    end: time

    def minutes(self) -> list[tuple[int, int]]:
        """Week-minute intervals [a, b) of this window, split at the Sunday→Monday wrap."""
        s = self.start.hour * 60 + self.start.minute
        e = self.end.hour * 60 + self.end.minute
        length = (e - s) % (24 * 60)
        spans: list[tuple[int, int]] = []
        for day in sorted(self.days):
            a = day * 24 * 60 + s
            b = a + length
            if b <= _WEEK_MIN:
                spans.append((a, b))
            else:
                spans += [(a, _WEEK_MIN), (0, b - _WEEK_MIN)]
        return spans

    def describe(self) -> str:
        days = ", ".join(DAY_NAMES[d] for d in sorted(self.days))
        return f"{days} {self.start:%H:%M}–{self.end:%H:%M}"


def _fmt(wall: datetime) -> str:
    return f"{DAY_NAMES[wall.weekday()]} {wall:%H:%M}"


def _parse_time(value: Any, where: str, problems: list[str]) -> time | None:
    if isinstance(value, time):
        return value
    if where.endswith(" end") and str(value).strip() == "24:00":
        return time(0, 0)  # the end of the day: midnight, as a window that ends at 00:00
    try:
        hours, minutes = str(value).strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        problems.append(f"{where} is {value!r}, not a time: write it as HH:MM, e.g. 22:00.")
        return None


def _parse_days(value: Any, where: str, problems: list[str]) -> frozenset[int] | None:
    if value is None:
        return frozenset(range(7))
    items = value.split(",") if isinstance(value, str) else value
    days: set[int] = set()
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 6:
            days.add(item)
        elif isinstance(item, str) and item.strip().lower() in _DAY_LOOKUP:
            days.add(_DAY_LOOKUP[item.strip().lower()])
        else:
            problems.append(f"{where} has {item!r}, not a day: use Mon..Sun or 0..6 (0 is Monday).")
            return None
    return frozenset(days)


def parse_windows(raw: Iterable[Any]) -> list[Window]:
    """Windows from settings, e.g. ``{"days": ["Mon", "Tue"], "start": "22:00", "end": "06:00"}``.

    ``days`` may be names, numbers (0 = Monday) or a comma string; missing means every day.
    An ``end`` of ``24:00`` is midnight at the end of the day (00:00 to 24:00 is the whole
    day). Raises ``ScheduleError`` naming each bad field; overlaps are checked too. This is
    the one validator of schedule windows: the settings, the API and the guard all use it.
    """
    problems: list[str] = []
    windows: list[Window] = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            problems.append(f"window {n} is {item!r}: expected days, start and end.")
            continue
        days = _parse_days(item.get("days"), f"window {n} days", problems)
        start = _parse_time(item.get("start"), f"window {n} start", problems)
        end = _parse_time(item.get("end"), f"window {n} end", problems)
        if days is not None and start is not None and end is not None:
            if str(item.get("end")).strip() == "24:00" and start == time(0, 0):
                end = time(23, 59, 59, 999999)  # the whole day, not an empty window
            windows.append(Window(days, start, end))
    problems += validate_windows(windows) if not problems else []
    if problems:
        raise ScheduleError(problems)
    return windows


def validate_windows(windows: list[Window]) -> list[str]:
    """Empty, zero-length and overlapping windows, as sentences the settings page shows."""
    problems: list[str] = []
    for n, w in enumerate(windows, start=1):
        if not w.days:
            problems.append(f"window {n} has no days: pick at least one day.")
        if w.start == w.end:
            problems.append(
                f"window {n} starts and ends at {w.start:%H:%M}: give it a length "
                "(for all day, use 00:00 to 23:59 or turn the schedule off)."
            )
    overlap = first_overlap(windows)
    if overlap is not None:
        i, j, minute = overlap
        day, minute = divmod(minute, 24 * 60)
        problems.append(
            f"schedule windows {i} and {j} overlap on {FULL_DAY_NAMES[day]} at "
            f"{minute // 60:02d}:{minute % 60:02d}"
        )
    return problems


def first_overlap(windows: list[Window]) -> tuple[int, int, int] | None:
    """The first two windows (numbered from 1) that overlap, and the week-minute (0 =
    Monday 00:00) where the later one starts inside the earlier; None when none do."""
    spans = sorted((a, b, n) for n, w in enumerate(windows, start=1) for a, b in w.minutes())
    reach: tuple[int, int] | None = None  # (end, window) of the span that reaches furthest
    for a, b, n in spans:
        if reach is not None and a < reach[0] and n != reach[1]:
            return min(n, reach[1]), max(n, reach[1]), a
        if reach is None or b > reach[0]:
            reach = (b, n)
    return None


class ScheduleGuard:
    """RUN inside a window, PAUSE outside, with the next start in the reason."""

    def __init__(
        self,
        windows: list[Window],
        enabled: bool,
        tz: tzinfo | str | None = None,
        gpu_index: int = 0,
    ) -> None:
        if isinstance(tz, str):
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only for a named zone

            try:
                tz = ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                problem = f"time zone {tz!r} is unknown: use a name like Europe/Berlin."
                raise ScheduleError([problem]) from exc
        self.windows = list(windows)
        self.enabled = enabled
        self.tz = tz  # None: the system's local time (naive datetimes use it, DST included)
        self.gpu_index = gpu_index

    def observe(self, now_epoch: float) -> GuardDecision:
        if not self.enabled:
            return self._decide(GuardAction.RUN, "The power-hours schedule is off.", now_epoch)
        if not self.windows:
            return self._decide(
                GuardAction.PAUSE,
                "The power-hours schedule is on but has no windows: add one or turn it off.",
                now_epoch,
            )
        current = self.current_end(now_epoch)
        if current is not None:
            return self._decide(
                GuardAction.RUN,
                f"Inside your cheap-power hours (until {_fmt(current)}).",
                now_epoch,
            )
        nxt = self.next_start(now_epoch)
        when = f"; next window starts {_fmt(nxt)}" if nxt is not None else ""
        return self._decide(GuardAction.PAUSE, f"Outside your cheap-power hours{when}.", now_epoch)

    def current_end(self, now_epoch: float) -> datetime | None:
        """The local wall time the window we are in closes, or None outside all windows."""
        wall = self._wall(now_epoch)
        ends = [
            end
            for offset in (-1, 0)
            for start, end in self._occurrences(wall.date() + timedelta(days=offset))
            if start <= wall < end
        ]
        return max(ends, default=None)

    def next_start(self, now_epoch: float) -> datetime | None:
        """The local wall time the next window opens (strictly after now)."""
        wall = self._wall(now_epoch)
        starts = [
            start
            for offset in range(0, 8)
            for start, _ in self._occurrences(wall.date() + timedelta(days=offset))
            if start > wall
        ]
        return min(starts, default=None)

    # --- internals --------------------------------------------------------------------

    def _occurrences(self, day: date) -> list[tuple[datetime, datetime]]:
        """Wall-clock [start, end) of the windows that start on this local date."""
        out = []
        for w in self.windows:
            if day.weekday() not in w.days:
                continue
            end_day = day if w.end > w.start else day + timedelta(days=1)
            out.append((datetime.combine(day, w.start), datetime.combine(end_day, w.end)))
        return out

    def _wall(self, epoch: float) -> datetime:
        """The naive local wall time at this instant."""
        return datetime.fromtimestamp(epoch, self.tz).replace(tzinfo=None)

    def _decide(self, action: GuardAction, reason: str, now: float) -> GuardDecision:
        return GuardDecision(
            gpu_index=self.gpu_index, action=action, reason=reason, source="schedule", ts=now
        )
