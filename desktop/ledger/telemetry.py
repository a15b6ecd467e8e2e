"""GPU telemetry history: raw samples, 1-minute and 1-hour rollups, retention.

Raw samples (about 1 Hz) are kept 48 h, 1-minute rollups 30 days, 1-hour rollups for
good. Charts ask for a time range and get the finest table that both covers it and keeps
the answer small: raw up to 2 h (7,200 points), 1-minute up to 3 days (4,320), 1-hour
beyond. The newest part of a range that the rollups have not reached yet is aggregated
from raw on the fly, so a chart never shows a gap at its right edge.

``rollup(now)`` and ``prune(now)`` are incremental and idempotent: a ``rollup_state`` row
remembers how far each rollup got; the last finished bucket is recomputed each time to
catch late samples; prune never deletes rows a rollup has not consumed yet.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from desktop import clock
from desktop.ledger.db import Store
from desktop.model import GpuSample, to_json

HOUR, DAY = 3600.0, 86400.0
RAW_KEEP_S = 48 * HOUR
MINUTE_KEEP_S = 30 * DAY
RAW_MAX_SPAN_S = 2 * HOUR
MINUTE_MAX_SPAN_S = 3 * DAY
_FIELDS = "core_temp_c, mem_temp_c, power_w, power_limit_w, gpu_util_pct, fan_pct, energy_j"
_ROLLUP = "gpu_index, ts, samples, core_temp_c, core_temp_max_c, mem_temp_c, power_w, " \
          "power_limit_w, gpu_util_pct, fan_pct, energy_j"  # fmt: skip


@dataclass(frozen=True)
class TelemetryPoint:
    """One chart point: a raw sample, or a bucket's means (``core_temp_max_c`` its peak)."""

    gpu_index: int
    ts: float
    samples: int
    core_temp_c: float | None
    core_temp_max_c: float | None
    mem_temp_c: float | None
    power_w: float | None
    power_limit_w: float | None
    gpu_util_pct: float | None
    fan_pct: float | None
    energy_j: float | None  # the counter's last value in the bucket

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


def _bucket(col: str, width: float) -> str:
    return f"CAST({col} / {width!r} AS INTEGER) * {width!r}"  # a REAL, like stored buckets


def _from_raw(width: float, one_gpu: bool) -> str:
    """SELECT aggregating raw samples into ``width``-second buckets over [:lo, :hi)."""
    b = _bucket("r.ts", width)
    return (
        f"SELECT r.gpu_index, {b}, count(*), avg(r.core_temp_c), max(r.core_temp_c),"
        " avg(r.mem_temp_c), avg(r.power_w), avg(r.power_limit_w), avg(r.gpu_util_pct),"
        " avg(r.fan_pct), (SELECT e.energy_j FROM telemetry_raw e WHERE e.gpu_index = r.gpu_index"
        f" AND e.ts >= {b} AND e.ts < {b} + {width:g} AND e.energy_j IS NOT NULL"
        " ORDER BY e.ts DESC LIMIT 1)"
        " FROM telemetry_raw r WHERE r.ts >= :lo AND r.ts < :hi"
        + (" AND r.gpu_index = :gpu" if one_gpu else "")
        + " GROUP BY r.gpu_index, 2 ORDER BY r.gpu_index, 2"
    )


def _wavg(col: str) -> str:
    return f"sum(m.{col} * m.samples) / sum(CASE WHEN m.{col} IS NOT NULL THEN m.samples END)"


_HOUR_FROM_MINUTES = (
    f"SELECT m.gpu_index, {_bucket('m.ts', HOUR)}, sum(m.samples), {_wavg('core_temp_c')},"
    f" max(m.core_temp_max_c), {_wavg('mem_temp_c')}, {_wavg('power_w')},"
    f" {_wavg('power_limit_w')}, {_wavg('gpu_util_pct')}, {_wavg('fan_pct')},"
    " (SELECT e.energy_j FROM telemetry_1m e WHERE e.gpu_index = m.gpu_index"
    f" AND e.ts >= {_bucket('m.ts', HOUR)} AND e.ts < {_bucket('m.ts', HOUR)} + {HOUR:g}"
    " AND e.energy_j IS NOT NULL ORDER BY e.ts DESC LIMIT 1)"
    " FROM telemetry_1m m WHERE m.ts >= :lo AND m.ts < :hi GROUP BY m.gpu_index, 2"
)


def _done(conn: sqlite3.Connection, name: str) -> float | None:
    row = conn.execute("SELECT done_until FROM rollup_state WHERE name = ?", (name,)).fetchone()
    return None if row is None else float(row[0])


def _set_done(conn: sqlite3.Connection, name: str, value: float) -> None:
    conn.execute(
        "INSERT INTO rollup_state (name, done_until) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET done_until = excluded.done_until",
        (name, value),
    )


class TelemetryStore(Store):
    def add_samples(self, samples: Iterable[GpuSample]) -> int:
        """Store samples in one transaction; a repeated (gpu, ts) is ignored. Returns how
        many were new."""
        rows = [
            (s.gpu_index, s.ts, s.core_temp_c, s.mem_temp_c, s.power_w, s.power_limit_w,
             s.gpu_util_pct, s.fan_pct, s.energy_j)
            for s in samples
        ]  # fmt: skip
        if not rows:
            return 0
        with self._db.write() as conn:
            before = conn.total_changes
            conn.executemany(
                f"INSERT INTO telemetry_raw (gpu_index, ts, {_FIELDS}) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (gpu_index, ts) DO NOTHING",
                rows,
            )
            return conn.total_changes - before

    def rollup(self, now: float | None = None) -> dict[str, int]:
        """Fold finished minutes and hours into the rollup tables; returns rows written."""
        now = clock.now() if now is None else now
        written = {"1m": 0, "1h": 0}
        with self._db.write() as conn:
            for name, width, table, select in (
                ("1m", 60.0, "telemetry_1m", _from_raw(60.0, one_gpu=False)),
                ("1h", HOUR, "telemetry_1h", _HOUR_FROM_MINUTES),
            ):
                source_done = now if name == "1m" else (_done(conn, "1m") or -math.inf)
                cutoff = math.floor(min(now, source_done) / width) * width
                done = _done(conn, name)
                lo = -math.inf if done is None else done - width  # redo the last bucket
                if lo >= cutoff:
                    continue
                cur = conn.execute(
                    f"INSERT OR REPLACE INTO {table} ({_ROLLUP}) {select}", {"lo": lo, "hi": cutoff}
                )
                written[name] = cur.rowcount
                _set_done(conn, name, cutoff if done is None else max(done, cutoff))
        return written

    def prune(self, now: float | None = None) -> dict[str, int]:
        """Drop raw rows older than 48 h and minute rows older than 30 days, never rows a
        rollup has not consumed (the last consumed bucket is kept for its recompute)."""
        now = clock.now() if now is None else now
        deleted = {"raw": 0, "1m": 0}
        with self._db.write() as conn:
            for name, table, keep, rolled_by, width in (
                ("raw", "telemetry_raw", RAW_KEEP_S, "1m", 60.0),
                ("1m", "telemetry_1m", MINUTE_KEEP_S, "1h", HOUR),
            ):
                done = _done(conn, rolled_by)
                if done is None:
                    continue
                cut = min(math.floor((now - keep) / width) * width, done - width)
                deleted[name] = conn.execute(f"DELETE FROM {table} WHERE ts < ?", (cut,)).rowcount
        return deleted

    def telemetry(
        self, gpu_index: int, since: float, until: float | None = None, now: float | None = None
    ) -> tuple[str, list[TelemetryPoint]]:
        """Points for one GPU after ``since`` up to ``until`` (default now), and their
        resolution: ``raw``, ``1m`` or ``1h`` (see the module doc for the choice)."""
        now = clock.now() if now is None else now
        until = now if until is None else until
        span = until - since
        if span <= RAW_MAX_SPAN_S and since >= now - RAW_KEEP_S:
            with self._db.read() as conn:
                rows = conn.execute(
                    "SELECT gpu_index, ts, 1, core_temp_c, core_temp_c, mem_temp_c, power_w,"
                    " power_limit_w, gpu_util_pct, fan_pct, energy_j FROM telemetry_raw"
                    " WHERE gpu_index = ? AND ts > ? AND ts <= ?"
                    " ORDER BY ts",
                    (gpu_index, since, until),
                ).fetchall()
            return "raw", [TelemetryPoint(*r) for r in rows]
        minute = span <= MINUTE_MAX_SPAN_S and since >= now - MINUTE_KEEP_S
        name, width = ("1m", 60.0) if minute else ("1h", HOUR)
        lo = math.floor(since / width) * width
        hi = math.nextafter(until, math.inf)
        with self._db.read() as conn:
            done = _done(conn, name)
            rows = []
            if done is not None:
                rows = conn.execute(
                    f"SELECT {_ROLLUP} FROM telemetry_{name} WHERE gpu_index = ? AND ts >= ?"
                    " AND ts < ? ORDER BY ts",
                    (gpu_index, lo, min(hi, done)),
                ).fetchall()
            tail_lo = lo if done is None else max(lo, done)
            if tail_lo < hi:  # not rolled up yet: aggregate the raw samples now
                rows += conn.execute(
                    _from_raw(width, one_gpu=True), {"lo": tail_lo, "hi": hi, "gpu": gpu_index}
                ).fetchall()
        return name, [TelemetryPoint(*r) for r in rows]
