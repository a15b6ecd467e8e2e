"""Energy used per GPU and per network running period, for earnings after electricity.

A period opens when a network starts working on a GPU and closes when it stops. The worker
ticks it with NVML's energy counter (joules since the driver loaded) or, where the card
has no counter, with the power reading. Ticks are cheap single-row updates; the worker
should tick about once a minute, so a crash loses at most that minute of accounting.
At start the worker closes periods left open by a crash at their last tick.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from desktop.ledger.db import Store
from desktop.model import to_json

MAX_PLAUSIBLE_W = 3000.0  # a counter jump above this is garbage, not a GPU


@dataclass(frozen=True)
class EnergyPeriod:
    """A stretch of one GPU's energy charged to one network (open while it runs)."""

    id: int
    gpu_uuid: str
    network: str
    start_ts: float
    end_ts: float
    energy_j: float
    open: bool

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


def local_date(ts: float, tz: tzinfo | None) -> date:
    """The calendar date of ``ts`` in ``tz`` (None = the computer's zone)."""
    return datetime.fromtimestamp(ts, tz).date()


def day_start(day: date, tz: tzinfo | None) -> float:
    """The Unix time of local midnight starting ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


class EnergyStore(Store):
    def start_energy_period(
        self, gpu_uuid: str, network: str, ts: float, counter_j: float | None = None
    ) -> int:
        """Open a period and return its id (pass it to ``energy_tick``/``end_energy_period``)."""
        with self._db.write() as conn:
            cur = conn.execute(
                "INSERT INTO energy_periods (gpu_uuid, network, start_ts, end_ts, last_counter_j) "
                "VALUES (?, ?, ?, ?, ?)",
                (gpu_uuid, network, ts, ts, counter_j),
            )
            return int(cur.lastrowid or 0)

    def energy_tick(
        self,
        period_id: int,
        ts: float,
        counter_j: float | None = None,
        power_w: float | None = None,
        *,
        close: bool = False,
    ) -> float:
        """Add the energy used since the last tick; returns the period's total in joules.

        The counter is preferred; the power reading times the elapsed time is the fallback
        (and covers a counter that went backwards because the driver reloaded).
        """
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT end_ts, energy_j, last_counter_j, open FROM energy_periods WHERE id = ?",
                (period_id,),
            ).fetchone()
            if row is None:
                raise KeyError(f"no energy period {period_id}")
            end_ts, energy, last, is_open = row
            if not is_open:
                return float(energy)
            elapsed = max(0.0, ts - end_ts)
            delta = 0.0
            if counter_j is not None and last is not None and counter_j >= last:
                delta = counter_j - last
            elif power_w is not None:
                delta = max(0.0, power_w) * elapsed
            delta = min(delta, MAX_PLAUSIBLE_W * elapsed)
            conn.execute(
                "UPDATE energy_periods SET end_ts = ?, energy_j = ?, last_counter_j = ?, open = ? "
                "WHERE id = ?",
                (
                    max(end_ts, ts),
                    energy + delta,
                    counter_j if counter_j is not None else last,
                    0 if close else 1,
                    period_id,
                ),
            )
            return float(energy + delta)

    def end_energy_period(
        self,
        period_id: int,
        ts: float,
        counter_j: float | None = None,
        power_w: float | None = None,
    ) -> float:
        """A last tick that closes the period; returns its total in joules."""
        return self.energy_tick(period_id, ts, counter_j, power_w, close=True)

    def close_open_energy_periods(self) -> int:
        """Close every period a crash left open, at its last tick; returns how many."""
        with self._db.write() as conn:
            return conn.execute("UPDATE energy_periods SET open = 0 WHERE open = 1").rowcount

    def energy_periods(self, since: float, until: float | None = None) -> list[EnergyPeriod]:
        """Periods overlapping [since, until], oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id, gpu_uuid, network, start_ts, end_ts, energy_j, open"
                " FROM energy_periods WHERE end_ts >= ? AND start_ts <= ? ORDER BY start_ts, id",
                (since, float("inf") if until is None else until),
            ).fetchall()
        return [EnergyPeriod(i, g, n, s, e, j, bool(o)) for i, g, n, s, e, j, o in rows]

    def energy_days(
        self, since: float, until: float, tz: tzinfo | None = None
    ) -> dict[tuple[date, str], tuple[float, float]]:
        """Joules and running seconds per (local date, network) in [since, until]."""
        with self._db.read() as conn:
            return energy_by_day(conn, since, until, tz)


def energy_by_day(
    conn: sqlite3.Connection, since: float, until: float, tz: tzinfo | None
) -> dict[tuple[date, str], tuple[float, float]]:
    """Joules and running seconds per (local date, network), each period's energy spread
    over the days it spans in proportion to time (the best guess without per-day ticks)."""
    out: dict[tuple[date, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    rows = conn.execute(
        "SELECT network, start_ts, end_ts, energy_j FROM energy_periods "
        "WHERE end_ts >= ? AND start_ts <= ?",
        (since, until),
    )
    for network, start, end, energy in rows:
        length = end - start
        if length <= 0:
            if since <= start <= until:
                out[(local_date(start, tz), network)][0] += energy
            continue
        day = local_date(start, tz)
        while True:
            lo, hi = day_start(day, tz), day_start(day + timedelta(days=1), tz)
            a, b = max(start, lo, since), min(end, hi, until)
            if b > a:
                slot = out[(day, network)]
                slot[0] += energy * (b - a) / length
                slot[1] += b - a
            if hi >= end:
                break
            day += timedelta(days=1)
    return {key: (v[0], v[1]) for key, v in out.items()}
