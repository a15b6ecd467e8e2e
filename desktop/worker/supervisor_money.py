"""The supervisor's money: pay recorded in the ledger, and earnings net of electricity.

Why here: adapters credit pay from their own threads (``credit`` is blocking and
thread-safe), the polls record what the networks report (idempotent keys, so nothing
counts twice), and ``GET /earnings`` nets it against the energy the GPU drew for each
network while it ran (desktop/earnings.py; desktop/networks/energy.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from desktop import earnings as net
from desktop.model import Event, Money, Severity
from desktop.networks.energy import EnergyAccounting
from desktop.networks.records import NetworkJob
from desktop.worker.supervisor_ledger import SupervisorLedger

MAX_DAYS = 3660  # "total" earnings: everything the ledger holds (its limit)
SYNC_WINDOW_S = 7 * 86400.0  # finished jobs asked for at each sync


class NetworkMoney:
    """Pay, energy and net earnings of every network."""

    def __init__(
        self,
        ledger: SupervisorLedger,
        emit: Callable[[Event], None],
        tariff: Callable[[], net.Tariff],
        now: Callable[[], float],
    ) -> None:
        self.ledger, self.emit, self.tariff, self.now = ledger, emit, tariff, now
        self.energy = EnergyAccounting(ledger)

    def credit(self, network: str, job_id: str, money: Money, idem_key: str) -> bool:
        """Record pay (blocking, thread-safe; adapters call it); False when already there."""
        new = self.ledger.record_earning(idem_key, network, "job", money, self.now(), job_id)
        if new:
            usd = f" (${money.usd:.4f})" if money.usd is not None else ""
            self.emit(
                Event(
                    self.now(),
                    "network.earned",
                    Severity.INFO,
                    f"{network}: +{money.amount} {money.unit}{usd} for job {job_id}",
                    network=network,
                    data={
                        "job_id": job_id,
                        "amount": str(money.amount),
                        "unit": money.unit,
                        "usd": None if money.usd is None else str(money.usd),
                    },
                )
            )
        return new

    def record_jobs(self, network: str, jobs: Iterable[NetworkJob]) -> int:
        """Record the pay of finished, paid jobs a network reports (blocking, idempotent:
        the key is the one its own credit uses); returns the rows that were new."""
        added = 0
        for job in jobs:
            if job.earned is not None:
                added += self.ledger.record_earning(
                    f"{network}:{job.job_id}:pay",
                    network,
                    "job",
                    job.earned,
                    job.ended_ts or self.now(),
                    job.job_id,
                )
        return added

    async def earnings(self, days: int) -> dict[str, Any]:
        """``GET /earnings``: gross, electricity and net per day and network.

        Reading never writes: the energy of open periods reaches the ledger with the
        samples (the ledger pump flushes it every few seconds), so a report is at most
        that old and works on a full disk."""
        rows = await asyncio.to_thread(self.ledger.earnings_by_day, days, None, self.now())
        return net.net_report([net.DayUsage.from_ledger(r) for r in rows], self.tariff())

    async def today(self) -> dict[str, Any] | None:
        return (await self.earnings(1))["totals"]

    async def totals(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Per network: today's and all-time money (for the Networks page)."""
        today = (await self.earnings(1))["totals"]["networks"]
        total = (await self.earnings(MAX_DAYS))["totals"]["networks"]
        return today, total

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
