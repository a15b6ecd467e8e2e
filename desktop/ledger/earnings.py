"""Earnings: what each network paid, exactly once, in Decimal, never float.

Every earning carries an idempotency key chosen by its source (for example
``<network>:<job_id>:<payout seq>``). A source that re-sends after a crash (we committed
but died before acknowledging) hits the UNIQUE key and gets ``False``: no double credit.
Sums are done in Python with Decimal because SQLite's SUM() would turn the TEXT amounts
into floats.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from desktop import clock
from desktop.ledger.db import Store
from desktop.ledger.energy import day_start, energy_by_day, local_date
from desktop.ledger.pay_rollup import PayHour, add_to_hour, read_hours
from desktop.model import Money, to_json

log = logging.getLogger(__name__)

_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Earning:
    """One stored earning row."""

    idem_key: str
    network: str
    kind: str  # job, uptime, bonus, penalty, adjustment ...
    money: Money  # money.usd is the USD value at the time it was credited, when known
    ts: float
    job_id: str | None = None
    usd_rate: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


@dataclass(frozen=True)
class EarningsDay:
    """One local day of one network: gross pay and the energy its GPUs used meanwhile.

    ``gross_usd`` only sums rows with a known USD value; ``unpriced`` counts the others
    (their amounts are still in ``amounts``). Electricity cost is left to the caller, who
    knows the price: ``(energy_kwh + overhead_w * running_s / 3.6e6) * price``.
    """

    date: date
    network: str
    gross_usd: Decimal = Decimal(0)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    unpriced: int = 0
    energy_kwh: float = 0.0
    running_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = to_json(self)
        data["date"] = self.date.isoformat()
        return data


def _dec(value: Decimal | int, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal (money is never a float), got {value!r}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value}")
    return value


def _row_to_earning(row: tuple[Any, ...]) -> Earning:
    key, network, job_id, kind, amount, unit, rate, usd, ts = row
    return Earning(
        idem_key=key,
        network=network,
        kind=kind,
        money=Money(Decimal(amount), unit, None if usd is None else Decimal(usd)),
        ts=ts,
        job_id=job_id,
        usd_rate=None if rate is None else Decimal(rate),
    )


_COLUMNS = "idem_key, network, job_id, kind, amount, unit, usd_rate, usd, ts"


class EarningsStore(Store):
    """Earnings rows and the per-day summaries the app and ``rigpilot earnings`` show."""

    def record_earning(
        self,
        idem_key: str,
        network: str,
        kind: str,
        money: Money,
        ts: float,
        job_id: str | None = None,
        usd_rate: Decimal | None = None,
    ) -> bool:
        """Store one earning; False (and nothing written) when ``idem_key`` is already there.

        The USD value is ``amount * usd_rate`` when a rate is given, else ``money.usd``.
        A ``kind="job"`` earning also adds to that job's ``pay`` in the same transaction.
        Returns only after the commit is on disk, so the caller may then acknowledge it.
        """
        if not idem_key or not network:
            raise ValueError("an earning needs an idempotency key and a network")
        if not _KIND.match(kind):
            raise ValueError(f"earning kind must be a short lowercase word, got {kind!r}")
        amount = _dec(money.amount, "amount")
        rate = None if usd_rate is None else _dec(usd_rate, "usd_rate")
        usd = amount * rate if rate is not None else money.usd
        usd = None if usd is None else _dec(usd, "usd")
        row = (idem_key, network, job_id, kind, str(amount), money.unit, _s(rate), _s(usd), ts)
        with self._db.write() as conn:
            cur = conn.execute(
                f"INSERT INTO earnings ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (idem_key) DO NOTHING",
                row,
            )
            if cur.rowcount == 0:
                old = conn.execute(
                    f"SELECT {_COLUMNS} FROM earnings WHERE idem_key = ?", (idem_key,)
                ).fetchone()
                if tuple(old[1:6]) != row[1:6]:
                    log.warning(
                        "earning %s re-sent with different content; kept the first", idem_key
                    )
                return False
            add_to_hour(conn, network, money.unit, amount, usd, ts)
            if kind == "job" and job_id is not None:
                _add_job_pay(conn, job_id, amount, money.unit, usd)
        return True

    def pay_hours(self, since: float, until: float) -> list[PayHour]:
        """The hourly pay rollup from the hour holding ``since`` to ``until``."""
        with self._db.read() as conn:
            return read_hours(conn, since, until)

    def earnings_between(self, since: float, until: float) -> list[Earning]:
        """Every earning in [since, until], oldest first (the CSV export)."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM earnings WHERE ts >= ? AND ts <= ? ORDER BY ts, id",
                (since, until),
            ).fetchall()
        return [_row_to_earning(r) for r in rows]

    def has_earning(self, idem_key: str) -> bool:
        with self._db.read() as conn:
            row = conn.execute("SELECT 1 FROM earnings WHERE idem_key = ?", (idem_key,))
            return row.fetchone() is not None

    def earnings(
        self, since: float | None = None, network: str | None = None, limit: int = 1000
    ) -> list[Earning]:
        """The latest earnings first, optionally since a time and for one network."""
        sql = f"SELECT {_COLUMNS} FROM earnings WHERE ts >= ?"
        args: list[Any] = [since if since is not None else float("-inf")]
        if network is not None:
            sql += " AND network = ?"
            args.append(network)
        sql += " ORDER BY ts DESC, id DESC LIMIT ?"
        args.append(limit)
        with self._db.read() as conn:
            return [_row_to_earning(r) for r in conn.execute(sql, args)]

    def earnings_by_day(
        self, days: int, tz: tzinfo | None = None, now: float | None = None
    ) -> list[EarningsDay]:
        """Per local day (``tz``; None = the computer's) and network, the last ``days`` days,
        oldest first; days with neither pay nor energy are left out."""
        if not 1 <= days <= 3660:
            raise ValueError(f"days must be from 1 to 3660, got {days}")
        now = clock.now() if now is None else now
        first = local_date(now, tz) - timedelta(days=days - 1)
        since = day_start(first, tz)
        acc: dict[tuple[date, str], dict[str, Any]] = defaultdict(
            lambda: {"gross": Decimal(0), "amounts": defaultdict(Decimal), "unpriced": 0}
        )
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT network, amount, unit, usd, ts FROM earnings WHERE ts >= ? AND ts <= ?",
                (since, now),
            ).fetchall()
            energy = energy_by_day(conn, since, now, tz)
        for network, amount, unit, usd, ts in rows:
            slot = acc[(local_date(ts, tz), network)]
            slot["amounts"][unit] += Decimal(amount)
            if usd is None:
                slot["unpriced"] += 1
            else:
                slot["gross"] += Decimal(usd)
        for key in energy:
            acc[key]  # noqa: B018 - create the day so energy-only days are listed
        result = []
        for (day, network), slot in sorted(acc.items()):
            energy_j, running_s = energy.get((day, network), (0.0, 0.0))
            result.append(
                EarningsDay(
                    day,
                    network,
                    slot["gross"],
                    dict(slot["amounts"]),
                    slot["unpriced"],
                    energy_j / 3.6e6,
                    running_s,
                )
            )
        return result

    def today_usd(self, tz: tzinfo | None = None, now: float | None = None) -> Decimal:
        """Gross USD credited since local midnight."""
        now = clock.now() if now is None else now
        return self.usd_since(day_start(local_date(now, tz), tz))

    def usd_since(self, since: float, network: str | None = None) -> Decimal:
        """Gross USD credited since ``since`` (all networks, or one)."""
        totals = self.usd_by_network(since)
        return totals.get(network, Decimal(0)) if network else sum(totals.values(), Decimal(0))

    def usd_by_network(self, since: float | None = None) -> dict[str, Decimal]:
        """Gross USD per network since ``since`` (None = ever): the networks page's totals."""
        totals: dict[str, Decimal] = defaultdict(Decimal)
        with self._db.read() as conn:
            for network, usd in conn.execute(
                "SELECT network, usd FROM earnings WHERE usd IS NOT NULL AND ts >= ?",
                (float("-inf") if since is None else since,),
            ):
                totals[network] += Decimal(usd)
        return dict(totals)


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _add_job_pay(
    conn: sqlite3.Connection, job_id: str, amount: Decimal, unit: str, usd: Decimal | None
) -> None:
    """Add a job earning to the job's ``pay`` (same unit only; mixed units stay in earnings)."""
    row = conn.execute(
        "SELECT pay_amount, pay_unit, pay_usd FROM jobs WHERE job_id = ?", (job_id,)
    ).fetchone()
    if row is None:
        return
    old_amount, old_unit, old_usd = row
    if old_unit is not None and old_unit != unit:
        log.info("job %s paid in %s and %s; its pay shows the first unit", job_id, old_unit, unit)
        return
    total = amount + (Decimal(old_amount) if old_amount is not None else 0)
    first = old_amount is None
    total_usd = (
        None if usd is None or (not first and old_usd is None) else usd + Decimal(old_usd or 0)
    )
    conn.execute(
        "UPDATE jobs SET pay_amount = ?, pay_unit = ?, pay_usd = ? WHERE job_id = ?",
        (str(total), unit, _s(total_usd), job_id),
    )
