"""Clocks for tests that must not depend on today's date.

``RunningClock`` starts at a fixed local date and time and then moves at real speed (it
adds ``time.monotonic()``'s progress), for tests that run real processes or containers in
real time but whose results are bucketed by day: the day is always the same one, whatever
day the suite runs on, and a run across midnight cannot split it.
"""

from __future__ import annotations

import time

# Thursday 14 March 2024, 12:00 local time: far from a midnight and from a DST change in
# either direction, so a test of a few minutes stays on one local day everywhere.
NOON_14_MARCH_2024 = (2024, 3, 14, 12, 0, 0, 0, 0, -1)


class RunningClock:
    """A wall clock pinned to ``start`` (a local ``time.struct_time`` tuple) that runs on."""

    def __init__(self, start: tuple[int, ...] = NOON_14_MARCH_2024) -> None:
        self.epoch = time.mktime(start)  # local time: the same date in every time zone
        self._origin = time.monotonic()

    def __call__(self) -> float:
        return self.epoch + (time.monotonic() - self._origin)
