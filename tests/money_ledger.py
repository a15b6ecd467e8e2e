"""A 120-day ledger made in a test: several networks, units and rates, with energy, status
spans and reputation, and the figures a person computes by hand from the same rules.

Per local day d (0..119), from local midnight of ``FIRST_DAY``:
- nosana pays 2 × 5 NOS (10:00, 14:00) with no rate of its own; NOS is worth
  0.40 + 0.002·d USD (read 09:00) and USD is worth 0.90 EUR: 9·(0.40 + 0.002·d) EUR;
- clore pays 1.2 USD (12:00) with its USD value: 1.08 EUR;
- ionet pays 2 IO (13:00) that no rate values: it stays in IO;
- the practice network pays 2.5 DEMO = practice $0.25 (15:00), in no real total;
- nosana and clore each run 08:00-18:00 at 200 W (2 kWh), practice 1 kWh, at 0.30 EUR/kWh;
- nosana is idle 08-09, busy 09-17, idle 17-18 (utilisation 80 %); reputation 80 + d/10.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from desktop.ledger import Ledger
from desktop.ledger.money import StoredRate
from desktop.model import Money

DAYS = 120
FIRST_DAY = dt.date(2026, 3, 2)
PRICE = Decimal("0.30")


def at(day: int, hour: float, first: dt.date = FIRST_DAY) -> float:
    midnight = dt.datetime.combine(first + dt.timedelta(days=day), dt.time())
    return midnight.timestamp() + hour * 3600


NOW = at(DAYS - 1, 23)
at_first = at


def nos_usd(day: int) -> Decimal:
    return Decimal("0.40") + Decimal("0.002") * day


def by_hand_day(day: int) -> tuple[Decimal, Decimal]:
    """(gross, electricity) in EUR of real money on day ``day``."""
    gross = Decimal(10) * nos_usd(day) * Decimal("0.90") + Decimal("1.2") * Decimal("0.90")
    return gross, Decimal(4) * PRICE


def build(path: Path, first: dt.date = FIRST_DAY) -> Ledger:
    """The ledger at ``path``; ``first`` moves every day (screenshots use recent days)."""
    ledger = Ledger.open(path)

    def at(day: int, hour: float) -> float:
        return at_first(day, hour, first)

    for d in range(DAYS):
        ledger.record_rates(
            [
                StoredRate("NOS", "USD", nos_usd(d), at(d, 9), "api"),
                StoredRate("USD", "EUR", Decimal("0.90"), at(d, 9), "api"),
            ]
        )
        for hour in (10, 14):
            ledger.record_earning(
                f"nosana:{d}:{hour}",
                "nosana",
                "job",
                Money(Decimal(5), "NOS"),
                at(d, hour),
                f"n{d}-{hour}",
            )
        ledger.record_earning(
            f"clore:{d}",
            "clore",
            "job",
            Money(Decimal("1.2"), "USD", Decimal("1.2")),
            at(d, 12),
            f"c{d}",
        )
        ledger.record_earning(f"ionet:{d}", "ionet", "job", Money(Decimal(2), "IO"), at(d, 13))
        ledger.record_earning(
            f"demo:{d}", "demo", "job", Money(Decimal("2.5"), "DEMO", Decimal("0.25")), at(d, 15)
        )
        for network, watts in (("nosana", 200.0), ("clore", 200.0), ("demo", 100.0)):
            period = ledger.start_energy_period("GPU-1", network, at(d, 8))
            ledger.end_energy_period(period, at(d, 18), None, watts)
        ledger.record_reputation("nosana", at(d, 12), 80 + d / 10, 99.0)
    with ledger._db.write() as conn:  # status spans as the polls leave them, in bulk
        rows: list[tuple[Any, ...]] = []
        for d in range(DAYS):
            rows += [
                ("nosana", "idle", at(d, 8), at(d, 9)),
                ("nosana", "busy", at(d, 9), at(d, 17)),
                ("nosana", "idle", at(d, 17), at(d, 18)),
                ("nosana", "offline", at(d, 18) + 1, at(d, 18) + 2),
            ]
        conn.executemany(
            "INSERT INTO network_status (network, state, ts, until_ts) VALUES (?,?,?,?)", rows
        )
        conn.execute(
            "INSERT INTO networks (network, enrolled_ts, updated_ts) VALUES ('nosana', ?, ?)",
            (at(0, 0), at(0, 0)),
        )
    return ledger
