"""ScheduleGuard: weekly wall-clock windows, parsing, overlaps, and DST in two zones."""

from __future__ import annotations

import sys
import time as time_mod
from datetime import UTC, datetime, time

import pytest

from desktop.guard.schedule import (
    ScheduleError,
    ScheduleGuard,
    Window,
    parse_windows,
    validate_windows,
)
from desktop.model import GuardAction

RUN, PAUSE = GuardAction.RUN, GuardAction.PAUSE
EVERY_DAY = frozenset(range(7))
WEEKDAYS = frozenset(range(5))
NIGHT = Window(EVERY_DAY, time(22, 0), time(6, 0))


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def action(guard: ScheduleGuard, when: str) -> GuardAction:
    return guard.observe(utc(when)).action


# --- parsing and validation -------------------------------------------------------------


def test_parse_accepts_names_numbers_strings_and_defaults_to_every_day() -> None:
    windows = parse_windows(
        [
            {"days": ["Mon", "tuesday", 2], "start": "22:00", "end": "06:00"},
            {"days": "sat,sun", "start": "12:00", "end": "14:30"},
            {"start": "07:00", "end": "08:00"},
        ]
    )
    assert windows == [
        Window(frozenset({0, 1, 2}), time(22), time(6)),
        Window(frozenset({5, 6}), time(12), time(14, 30)),
        Window(EVERY_DAY, time(7), time(8)),
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"start": "25:00", "end": "06:00"},
         "window 1 start is '25:00', not a time: write it as HH:MM, e.g. 22:00."),
        ({"start": "22:00"}, "window 1 end is None, not a time: write it as HH:MM, e.g. 22:00."),
        ({"days": ["Funday"], "start": "22:00", "end": "06:00"},
         "window 1 days has 'Funday', not a day: use Mon..Sun or 0..6 (0 is Monday)."),
        ({"days": [7], "start": "22:00", "end": "06:00"},
         "window 1 days has 7, not a day: use Mon..Sun or 0..6 (0 is Monday)."),
        ("22-06", "window 1 is '22-06': expected days, start and end."),
    ],
)  # fmt: skip
def test_parse_names_the_bad_field(raw: object, message: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_windows([raw])
    assert info.value.problems == [message]


@pytest.mark.parametrize(
    ("a", "b", "where"),
    [
        (Window(WEEKDAYS, time(22), time(6)), Window(frozenset({1}), time(5), time(7)),
         "Tuesday at 05:00"),
        (Window(frozenset({6}), time(22), time(6)), Window(frozenset({0}), time(5), time(7)),
         "Monday at 05:00"),  # Sunday night wraps into Monday
        (Window(EVERY_DAY, time(1), time(3)), Window(frozenset({3}), time(2), time(2, 30)),
         "Thursday at 02:00"),
    ],
)  # fmt: skip
def test_overlapping_windows_are_refused(a: Window, b: Window, where: str) -> None:
    problems = validate_windows([a, b])
    assert problems == [f"schedule windows 1 and 2 overlap on {where}"]
    with pytest.raises(ScheduleError):
        parse_windows(
            [{"days": sorted(w.days), "start": f"{w.start:%H:%M}", "end": f"{w.end:%H:%M}"}
             for w in (a, b)]
        )  # fmt: skip


def test_touching_windows_are_fine_but_empty_ones_are_not() -> None:
    assert validate_windows([NIGHT, Window(EVERY_DAY, time(6), time(8))]) == []
    assert validate_windows([Window(frozenset(), time(1), time(2))]) == [
        "window 1 has no days: pick at least one day."
    ]
    assert "starts and ends at 05:00" in validate_windows([Window(EVERY_DAY, time(5), time(5))])[0]


# --- observe ------------------------------------------------------------------------------


def test_inside_and_outside_with_the_next_start_in_the_reason() -> None:
    guard = ScheduleGuard([Window(WEEKDAYS, time(22), time(6))], True, "Europe/Berlin")
    inside = guard.observe(utc("2024-06-03T21:30"))  # Mon 23:30 CEST
    assert (
        inside.action is RUN and inside.reason == "Inside your cheap-power hours (until Tue 06:00)."
    )
    outside = guard.observe(utc("2024-06-04T10:00"))  # Tue 12:00
    assert outside.action is PAUSE and outside.source == "schedule"
    assert outside.reason == "Outside your cheap-power hours; next window starts Tue 22:00."
    # Friday night's window runs into Saturday morning; then nothing until Monday night.
    assert action(guard, "2024-06-08T03:00") is RUN  # Sat 05:00
    weekend = guard.observe(utc("2024-06-08T10:00"))
    assert weekend.reason.endswith("next window starts Mon 22:00.")


def test_disabled_or_empty_schedules() -> None:
    assert ScheduleGuard([], False).observe(0).action is RUN
    empty = ScheduleGuard([], True).observe(0)
    assert empty.action is PAUSE and "has no windows" in empty.reason
    with pytest.raises(ScheduleError, match="time zone 'Mars/Olympus' is unknown"):
        ScheduleGuard([NIGHT], True, "Mars/Olympus")


@pytest.mark.parametrize(
    ("zone", "start", "last_inside", "first_outside", "hours"),
    [
        # Clocks forward: the 22:00-06:00 night lasts 7 real hours.
        ("Europe/Berlin", "2024-03-30T21:00", "2024-03-31T03:59", "2024-03-31T04:00", 7),
        ("America/New_York", "2024-03-10T03:00", "2024-03-10T09:59", "2024-03-10T10:00", 7),
        # Clocks back: it lasts 9.
        ("Europe/Berlin", "2024-10-26T20:00", "2024-10-27T04:59", "2024-10-27T05:00", 9),
        ("America/New_York", "2024-11-03T02:00", "2024-11-03T10:59", "2024-11-03T11:00", 9),
    ],
)
def test_a_night_window_follows_the_wall_clock_across_dst(
    zone: str, start: str, last_inside: str, first_outside: str, hours: int
) -> None:
    guard = ScheduleGuard([NIGHT], True, zone)
    assert action(guard, start) is RUN
    assert guard.observe(utc(start) - 60).action is PAUSE
    assert action(guard, last_inside) is RUN
    assert action(guard, first_outside) is PAUSE
    assert (utc(first_outside) - utc(start)) / 3600 == hours


def test_a_window_starting_in_the_skipped_hour_opens_when_the_clock_jumps() -> None:
    sunday = frozenset({6})
    guard = ScheduleGuard([Window(sunday, time(2, 30), time(4))], True, "Europe/Berlin")
    assert action(guard, "2024-03-31T00:59") is PAUSE  # 01:59 CET
    assert action(guard, "2024-03-31T01:00") is RUN  # the clock jumps to 03:00 CEST
    assert action(guard, "2024-03-31T02:00") is PAUSE  # 04:00 CEST


def test_a_window_in_the_repeated_hour_is_open_both_times() -> None:
    sunday = frozenset({6})
    guard = ScheduleGuard([Window(sunday, time(2, 15), time(2, 45))], True, "Europe/Berlin")
    assert action(guard, "2024-10-27T00:30") is RUN  # 02:30 CEST
    assert action(guard, "2024-10-27T00:50") is PAUSE  # 02:50 CEST
    assert action(guard, "2024-10-27T01:00") is PAUSE  # 02:00 CET (clock went back)
    assert action(guard, "2024-10-27T01:30") is RUN  # 02:30 CET


@pytest.mark.skipif(sys.platform == "win32", reason="time.tzset is POSIX only")
def test_without_a_zone_the_system_local_time_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time_mod.tzset()
    try:
        guard = ScheduleGuard([NIGHT], True)
        assert action(guard, "2024-03-10T09:59") is RUN
        assert action(guard, "2024-03-10T10:00") is PAUSE
        assert guard.observe(utc("2024-03-10T10:00")).reason.endswith("starts Sun 22:00.")
    finally:
        monkeypatch.undo()
        time_mod.tzset()
