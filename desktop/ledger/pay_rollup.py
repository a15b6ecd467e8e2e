"""The hourly pay rollup: one row per UTC hour, network and unit, kept with each earning.

Why: months of history are charted per day in the user's time zone and currency; summing
an hour's rows once, when they are written, makes a 120-day report read thousands of rows
instead of every payment, and UTC hours fold into any zone's local days.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import Decimal

HOUR_S = 3600.0


@dataclass(frozen=True)
class PayHour:
    """The pay of one network in one unit over one hour (the rollup's row)."""

    hour_ts: float
    network: str
    unit: str
    amount: Decimal
    usd: Decimal
    unpriced_amount: Decimal
    rows: int


def hour_of(ts: float) -> float:
    return float(int(ts // HOUR_S) * HOUR_S)


def add_to_hour(
    conn: sqlite3.Connection,
    network: str,
    unit: str,
    amount: Decimal,
    usd: Decimal | None,
    ts: float,
) -> None:
    """Add one earning to its hour (inside the caller's write transaction)."""
    hour = hour_of(ts)
    row = conn.execute(
        "SELECT amount, usd, unpriced_amount, rows FROM pay_hourly"
        " WHERE hour_ts = ? AND network = ? AND unit = ?",
        (hour, network, unit),
    ).fetchone()
    old_amount, old_usd, old_unpriced, count = (
        (Decimal(0), Decimal(0), Decimal(0), 0)
        if row is None
        else (Decimal(row[0]), Decimal(row[1]), Decimal(row[2]), row[3])
    )
    new = (
        str(old_amount + amount),
        str(old_usd + (usd or 0)),
        str(old_unpriced + (amount if usd is None else 0)),
        count + 1,
    )
    conn.execute(
        "INSERT INTO pay_hourly (hour_ts, network, unit, amount, usd, unpriced_amount, rows)"
        " VALUES (?,?,?,?,?,?,?) ON CONFLICT (hour_ts, network, unit) DO UPDATE SET"
        " amount = excluded.amount, usd = excluded.usd,"
        " unpriced_amount = excluded.unpriced_amount, rows = excluded.rows",
        (hour, network, unit, *new),
    )


def read_hours(conn: sqlite3.Connection, since: float, until: float) -> list[PayHour]:
    rows = conn.execute(
        "SELECT hour_ts, network, unit, amount, usd, unpriced_amount, rows FROM pay_hourly"
        " WHERE hour_ts >= ? AND hour_ts <= ? ORDER BY hour_ts",
        (hour_of(since), until),
    ).fetchall()
    return [PayHour(h, n, u, Decimal(a), Decimal(d), Decimal(p), c) for h, n, u, a, d, p, c in rows]
