"""The supervisor's money: pay recorded in the ledger, and what it is worth after
electricity, in the user's currency.

Why here: adapters credit pay from their own threads (``credit`` is blocking and
thread-safe), the polls record what the networks report (idempotent keys, so nothing
counts twice), and ``GET /earnings`` values the ledger's hourly pay rollup with the rates
the price feed cached (desktop/money/valuation.py) and nets it against the energy the GPU
drew for each network while it ran (desktop/networks/energy.py).

A credit the ledger cannot write (a full disk) is kept in memory and written again at the
next credit or poll: its idempotency key makes the retry safe, and the network's own sync
re-reports it after a restart.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop.ledger.health import LedgerError
from desktop.model import Event, Money, Severity
from desktop.money import units
from desktop.money.rates import USD, Quote, RateBook, RateHistory
from desktop.money.valuation import DayEnergy, HourPay, Tariff, Valuer, totals, value_days
from desktop.networks.energy import EnergyAccounting
from desktop.networks.records import NetworkJob
from desktop.worker.supervisor_ledger import SupervisorLedger

log = logging.getLogger(__name__)

MAX_DAYS = 3660  # "total" earnings: everything the ledger holds (its limit)
SYNC_WINDOW_S = 7 * 86400.0  # finished jobs asked for at each sync


@dataclass(frozen=True)
class PendingCredit:
    """Pay that could not be written yet (a full disk): kept to write again."""

    idem_key: str
    network: str
    job_id: str | None
    money: Money
    ts: float
    usd_rate: Decimal | None


def local_day(ts: float) -> dt.date:
    return dt.datetime.fromtimestamp(ts).date()


def day_start(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day).timestamp()


class NetworkMoney:
    """Pay, energy and what they are worth, for every network."""

    def __init__(
        self,
        ledger: SupervisorLedger,
        emit: Callable[[Event], None],
        tariff: Callable[[], Tariff],
        now: Callable[[], float],
    ) -> None:
        self.ledger, self.emit, self.tariff, self.now = ledger, emit, tariff, now
        self.energy = EnergyAccounting(ledger)
        self.pending: list[PendingCredit] = []
        self._pending_lock = threading.Lock()

    # --- rates ----------------------------------------------------------------------

    def book(self, tariff: Tariff | None = None) -> RateBook:
        """The rates in force now (the ledger's newest per pair, the user's manual ones)."""
        tariff = tariff or self.tariff()
        latest = [
            Quote(r.unit, r.quote, r.rate, r.ts, r.source) for r in self.ledger.latest_rates()
        ]
        return RateBook(tariff.currency, latest, tariff.manual_rates, self.now())

    def usd_rate(self, unit: str) -> Decimal | None:
        """What one ``unit`` is worth in USD now, to keep with new pay (None: unknown)."""
        if units.is_practice(unit):
            return None
        quote = self.book().now(unit, USD)
        return None if quote is None or quote.source == "manual" else quote.rate

    # --- pay ------------------------------------------------------------------------

    def credit(self, network: str, job_id: str, money: Money, idem_key: str) -> bool:
        """Record pay (blocking, thread-safe; adapters call it); False when already there.

        Pay without a USD value gets today's rate kept with it. When the ledger cannot
        write, the pay is kept for a retry (True: it is not lost) and an event says so."""
        self.retry_pending()
        rate = None
        if money.usd is None:
            try:
                rate = self.usd_rate(money.unit)
            except LedgerError:
                rate = None
        pending = PendingCredit(idem_key, network, job_id, money, self.now(), rate)
        try:
            new = self._write(pending)
        except LedgerError as exc:
            with self._pending_lock:
                if all(p.idem_key != idem_key for p in self.pending):
                    self.pending.append(pending)
            log.warning("pay %s kept for a retry: the ledger cannot write (%s)", idem_key, exc)
            self.emit(
                Event(
                    self.now(),
                    "network.pay_pending",
                    Severity.WARNING,
                    f"{network}: pay for job {job_id} is kept in memory until the ledger "
                    "can write again",
                    network=network,
                    data={"job_id": job_id, "amount": str(money.amount), "unit": money.unit},
                )
            )
            return True
        if new:
            self._earned_event(network, job_id, money, rate)
        return new

    def _write(self, p: PendingCredit) -> bool:
        return self.ledger.record_earning(
            p.idem_key, p.network, "job", p.money, p.ts, p.job_id, p.usd_rate
        )

    def retry_pending(self) -> int:
        """Write the pay kept after a failed write (oldest first); returns how many went in."""
        with self._pending_lock:
            waiting, self.pending = self.pending, []
        done = 0
        for i, p in enumerate(waiting):
            try:
                if self._write(p):
                    self._earned_event(p.network, p.job_id or "", p.money, p.usd_rate)
                done += 1
            except LedgerError:
                with self._pending_lock:
                    self.pending[:0] = waiting[i:]
                break
        return done

    def _earned_event(
        self, network: str, job_id: str, money: Money, rate: Decimal | None
    ) -> None:
        usd = money.usd if money.usd is not None else (
            None if rate is None else money.amount * rate
        )
        if units.is_practice(money.unit):
            shown = f" ({units.PRACTICE}{usd:.4f})" if usd is not None else ""
        else:
            shown = f" (${usd:.4f} when earned)" if usd is not None else ""
        self.emit(
            Event(
                self.now(),
                "network.earned",
                Severity.INFO,
                f"{network}: +{money.amount} {money.unit}{shown} for job {job_id}",
                network=network,
                data={
                    "job_id": job_id,
                    "amount": str(money.amount),
                    "unit": money.unit,
                    "usd": None if usd is None else str(usd),
                },
            )
        )

    def record_jobs(self, network: str, jobs: Iterable[NetworkJob]) -> int:
        """Record the pay of finished, paid jobs a network reports (blocking, idempotent:
        the key is the one its own credit uses); returns the rows that were new."""
        self.retry_pending()
        added = 0
        for job in jobs:
            if job.earned is not None:
                rate = None if job.earned.usd is not None else self.usd_rate(job.earned.unit)
                added += self.ledger.record_earning(
                    f"{network}:{job.job_id}:pay",
                    network,
                    "job",
                    job.earned,
                    job.ended_ts or self.now(),
                    job.job_id,
                    rate,
                )
        return added

    # --- what it is worth -----------------------------------------------------------

    def valuer(self, since: float, until: float) -> Valuer:
        """The tariff, today's rates and the rates since ``since`` (blocking)."""
        tariff = self.tariff()
        history = RateHistory(
            Quote(r.unit, r.quote, r.rate, r.ts, r.source)
            for r in self.ledger.rate_history(since, until)
        )
        return Valuer(tariff, self.book(tariff), history)

    def report(self, days: int) -> dict[str, Any]:
        """Per local day and network, and totals, over the last ``days`` days (blocking)."""
        now = self.now()
        since = day_start(local_day(now) - dt.timedelta(days=days - 1))
        valuer = self.valuer(since, now)
        tariff, book = valuer.tariff, valuer.book
        pay = [
            HourPay(h.hour_ts, h.network, h.unit, h.amount, h.usd, h.unpriced_amount)
            for h in self.ledger.pay_hours(since, now)
        ]
        energy = [
            DayEnergy(d.isoformat(), network, Decimal(repr(j / 3.6e6)), running)
            for (d, network), (j, running) in self.ledger.energy_days(since, now).items()
        ]
        rows = value_days(pay, energy, valuer, lambda ts: local_day(ts).isoformat())
        summed = totals(rows, tariff.currency)
        seen = {units.norm(h.unit) for h in pay if not units.is_practice(h.unit)}
        return {
            "days": [row.to_json() for row in rows],
            "totals": summed.to_json(),
            "tariff": {
                "price_per_kwh": str(tariff.price_per_kwh),
                "system_overhead_w": str(tariff.system_overhead_w),
                "currency": tariff.currency,
            },
            "rates": rates_json(book, seen | {USD}, now),
            "since": since,
        }

    async def earnings(self, days: int) -> dict[str, Any]:
        """``GET /earnings``. Reading never writes: the energy of open periods reaches the
        ledger with the samples (the pump flushes it every few seconds)."""
        return await asyncio.to_thread(self.report, days)

    async def today(self) -> dict[str, Any] | None:
        return (await self.earnings(1))["totals"]

    async def totals(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Per network: today's and all-time money (for the Networks page)."""
        today = (await self.earnings(1))["totals"]["networks"]
        total = (await self.earnings(MAX_DAYS))["totals"]["networks"]
        return today, total

    def first_pay_ts(self) -> float | None:
        hours = self.ledger.pay_hours(0.0, self.now())
        return hours[0].hour_ts if hours else None

    def zero(self, network: str) -> dict[str, Any]:
        """A network's money before it has any: nothing, in its currency."""
        currency = units.PRACTICE if units.is_practice_network(network) else self.tariff().currency
        zero = "0.000000"
        return {"currency": currency, "gross": zero, "gross_now": zero, "electricity": zero,
                "net": zero, "energy_kwh": zero}  # fmt: skip

    def record_energy(
        self,
        gpu_uuid: str,
        ts: float,
        counter_j: float | None,
        power_w: float | None,
        running: Iterable[str],
    ) -> None:
        """One GPU reading while ``running`` networks are up (blocking: a thread)."""
        self.energy.observe(gpu_uuid, ts, counter_j, power_w, running)


def rates_json(book: RateBook, wanted: Iterable[str], now: float) -> list[dict[str, Any]]:
    """The rate of each unit into the user's currency: its value, age, source, staleness;
    ``rate`` None when there is none (the amounts then stay in their own unit)."""
    out = []
    for unit in sorted(wanted):
        if unit == book.currency:
            continue
        quote = book.now(unit)
        out.append(
            {
                "unit": unit,
                "currency": book.currency,
                "rate": None if quote is None else str(quote.rate),
                "ts": None if quote is None else quote.ts,
                "age_s": None if quote is None else quote.age_s(now),
                "source": None if quote is None else quote.source,
                "stale": False if quote is None else book.stale(quote),
            }
        )
    return out
