"""Exchange rates, reputation over time and GPU wear, kept in the ledger.

Why in the ledger: a rate is worth knowing with its time (offline, the last one is used
and said to be stale), history needs the rates of past hours, reputation charts need past
scores, and a card's wear (hours hot, heat cycles, peaks, energy) matters at resale long
after the samples are pruned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop.ledger.db import Store
from desktop.ledger.pay_rollup import hour_of
from desktop.model import to_json

REPUTATION_EVERY_S = 3600.0  # an unchanged score is written at most once an hour


@dataclass(frozen=True)
class StoredRate:
    """A price of ``unit`` in ``quote`` as the feed gave it, with its time and source."""

    unit: str
    quote: str
    rate: Decimal
    ts: float
    source: str


@dataclass(frozen=True)
class ReputationPoint:
    """A network's reputation as it reported it at one time."""

    network: str
    ts: float
    score: float | None
    uptime_pct: float | None

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


@dataclass(frozen=True)
class Wear:
    """One GPU's wear since RigPilot first saw it."""

    gpu_uuid: str
    name: str
    since_ts: float
    updated_ts: float
    above_soft_s: float = 0.0
    thermal_cycles: int = 0
    hot: bool = False
    peak_core_c: float | None = None
    peak_mem_c: float | None = None
    energy_j: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


_WEAR = (
    "gpu_uuid, name, since_ts, updated_ts, above_soft_s, thermal_cycles, hot, peak_core_c,"
    " peak_mem_c, energy_j"
)


class MoneyStore(Store):
    # --- rates ----------------------------------------------------------------------

    def record_rates(self, rates: Iterable[StoredRate]) -> int:
        """Keep rates (the newest per pair and hour); returns how many were written."""
        rows = [
            (r.unit, r.quote, hour_of(r.ts), str(r.rate), r.ts, r.source)
            for r in rates
            if r.rate.is_finite() and r.rate > 0
        ]
        if not rows:
            return 0
        with self._db.write() as conn:
            conn.executemany(
                "INSERT INTO rates (unit, quote, hour_ts, rate, ts, source) VALUES (?,?,?,?,?,?)"
                " ON CONFLICT (unit, quote, hour_ts) DO UPDATE SET rate = excluded.rate,"
                " ts = excluded.ts, source = excluded.source WHERE excluded.ts >= rates.ts",
                rows,
            )
        return len(rows)

    def latest_rates(self) -> list[StoredRate]:
        """The newest rate of every pair."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT r.unit, r.quote, r.rate, r.ts, r.source FROM rates r JOIN"
                " (SELECT unit, quote, MAX(ts) AS ts FROM rates GROUP BY unit, quote) n"
                " ON r.unit = n.unit AND r.quote = n.quote AND r.ts = n.ts"
            ).fetchall()
        return [StoredRate(u, q, Decimal(r), ts, s) for u, q, r, ts, s in rows]

    def rate_history(self, since: float, until: float) -> list[StoredRate]:
        """Hourly rates in [since, until], plus the last one before ``since`` of each pair
        (the rate in force when the period began)."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT unit, quote, rate, ts, source FROM rates WHERE ts >= ? AND ts <= ?",
                (since, until),
            ).fetchall()
            rows += conn.execute(
                "SELECT r.unit, r.quote, r.rate, r.ts, r.source FROM rates r JOIN"
                " (SELECT unit, quote, MAX(ts) AS ts FROM rates WHERE ts < ? GROUP BY unit, quote)"
                " n ON r.unit = n.unit AND r.quote = n.quote AND r.ts = n.ts",
                (since,),
            ).fetchall()
        return [StoredRate(u, q, Decimal(r), ts, s) for u, q, r, ts, s in rows]

    # --- reputation over time -------------------------------------------------------

    def record_reputation(
        self, network: str, ts: float, score: float | None, uptime_pct: float | None
    ) -> bool:
        """Keep a reading when it changed, or an hour after the last one; True if kept."""
        with self._db.write() as conn:
            last = conn.execute(
                "SELECT ts, score, uptime_pct FROM reputation_history WHERE network = ?"
                " ORDER BY ts DESC LIMIT 1",
                (network,),
            ).fetchone()
            same = last is not None and (last[1], last[2]) == (score, uptime_pct)
            if same and ts - last[0] < REPUTATION_EVERY_S:
                return False
            conn.execute(
                "INSERT OR REPLACE INTO reputation_history (network, ts, score, uptime_pct)"
                " VALUES (?,?,?,?)",
                (network, ts, score, uptime_pct),
            )
        return True

    def reputation_history(self, since: float) -> list[ReputationPoint]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT network, ts, score, uptime_pct FROM reputation_history WHERE ts >= ?"
                " ORDER BY network, ts",
                (since,),
            ).fetchall()
        return [ReputationPoint(*row) for row in rows]

    # --- wear -----------------------------------------------------------------------

    def save_wear(self, wear: Iterable[Wear]) -> None:
        rows = [
            (w.gpu_uuid, w.name, w.since_ts, w.updated_ts, w.above_soft_s, w.thermal_cycles,
             int(w.hot), w.peak_core_c, w.peak_mem_c, w.energy_j)
            for w in wear
        ]  # fmt: skip
        if not rows:
            return
        with self._db.write() as conn:
            conn.executemany(
                f"INSERT OR REPLACE INTO gpu_wear ({_WEAR}) VALUES (?,?,?,?,?,?,?,?,?,?)", rows
            )

    def wear(self) -> list[Wear]:
        with self._db.read() as conn:
            rows = conn.execute(f"SELECT {_WEAR} FROM gpu_wear ORDER BY since_ts").fetchall()
        return [
            Wear(u, n, s, up, a, c, bool(h), pc, pm, e) for u, n, s, up, a, c, h, pc, pm, e in rows
        ]
