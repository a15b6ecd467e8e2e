"""The supervisor's money: pay recorded in the ledger, and earnings net of electricity.

Why here: adapters credit pay from their own threads (``credit`` is blocking and
thread-safe), the poll syncs what the networks report (idempotent keys, so nothing counts
twice), and ``GET /earnings`` nets it against the energy the GPU drew for each network.
"""

from __future__ import annotations

import asyncio
from typing import Any

from desktop import earnings as net
from desktop.model import ExitReason, JobState, Money
from desktop.worker.supervisor_base import SupervisorBase, log


class SupervisorMoney(SupervisorBase):
    """Records pay and reports earnings (part of the Supervisor)."""

    def credit(self, network: str, job_id: str, money: Money, idem_key: str) -> bool:
        """Record pay (blocking, thread-safe; adapters call it); False when already there."""
        new = self.ledger.record_earning(idem_key, network, "job", money, self.clock(), job_id)
        if new:
            usd = f" (${money.usd:.4f})" if money.usd is not None else ""
            self._emit(
                "network.earned",
                f"{network}: +{money.amount} {money.unit}{usd} for job {job_id}",
                network,
                job_id=job_id,
                amount=str(money.amount),
                unit=money.unit,
                usd=None if money.usd is None else str(money.usd),
            )
        return new

    def job_finished(
        self, network: str, job_id: str, state: JobState, exit_reason: ExitReason | None
    ) -> None:
        """The job runner reports the end of a network's job (the demo pays through this)."""
        hook = getattr(self.adapters.get(network), "job_finished", None)
        if callable(hook):
            hook(job_id, state, exit_reason)

    async def sync_earnings(self) -> int:
        """Record finished, paid jobs the networks report (idempotent); returns new rows."""
        added = 0
        for network, adapter in self.adapters.items():
            if not self.runtime(network).started:
                continue
            try:
                jobs = await asyncio.to_thread(adapter.jobs, self.clock() - 7 * 86400)
            except Exception as exc:
                log.info("supervisor: %s jobs unavailable: %s", network, exc)
                continue
            for job in jobs:
                if job.earned is not None:
                    added += await asyncio.to_thread(
                        self.ledger.record_earning,
                        f"{network}:{job.job_id}:pay",
                        network,
                        "job",
                        job.earned,
                        job.ended_ts or self.clock(),
                        job.job_id,
                    )
        return added

    async def earnings(self, days: int) -> dict[str, Any]:
        """``GET /earnings``: gross, electricity and net per day and network."""
        await asyncio.to_thread(self.energy.tick_all, self.clock())
        rows = await asyncio.to_thread(self.ledger.earnings_by_day, days, None, self.clock())
        return net.net_report([net.DayUsage.from_ledger(r) for r in rows], self.tariff())

    async def today(self) -> dict[str, Any] | None:
        return (await self.earnings(1))["totals"]
