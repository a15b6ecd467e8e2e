"""The supervisor's views: what ``GET /status`` and ``GET /networks`` show of each network.

Why apart: ``summary`` must answer from memory and never block (the status is polled
often), while ``summaries`` gathers status, reputation, uptime, requirements and money
for the networks page and may take its time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from desktop.model import NodeState
from desktop.networks.summary import network_summary
from desktop.worker.supervisor_base import MAX_DAYS, UPTIME_WINDOW_S, log
from desktop.worker.supervisor_money import SupervisorMoney


class SupervisorViews(SupervisorMoney):
    """Summaries of the networks for the API (part of the Supervisor)."""

    def summary(self) -> list[dict[str, Any]]:
        """The short form for ``GET /status`` (from memory, never blocks)."""
        out = []
        for network, adapter in self.adapters.items():
            rt, last = self.runtime(network), self.runtime(network).last
            out.append(
                {
                    "network": network,
                    "display_name": adapter.display_name,
                    "state": str(last.state)
                    if last
                    else str(NodeState.NOT_ENROLLED if not rt.enrolled else NodeState.OFFLINE),
                    "enrolled": rt.enrolled,
                    "paused": rt.paused,
                    "message": last.message if last else "",
                }
            )
        return out

    async def list_networks(self) -> list[dict[str, Any]]:
        return await self.summaries()

    async def network_status(self, network: str) -> dict[str, Any]:
        return (await self.summaries([network]))[0]

    async def summaries(self, networks: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """One dict per network for ``GET /networks`` (see docs/api.md)."""
        today = (await self.earnings(1))["totals"]["networks"]
        total = (await self.earnings(MAX_DAYS))["totals"]["networks"]
        out = []
        for network in list(networks or self.adapters):
            adapter, rt = self.adapter(network), self.runtime(network)
            snapshot = rt.last if rt.enrolled and rt.last is not None else None
            if snapshot is None:
                snapshot = self._seen(await asyncio.to_thread(adapter.status))
            try:
                reputation = await asyncio.to_thread(adapter.reputation)
            except Exception as exc:
                log.info("supervisor: %s reputation unavailable: %s", network, exc)
                reputation = None
            now = self.clock()
            uptime = await asyncio.to_thread(
                self.ledger.uptime_pct, network, now - UPTIME_WINDOW_S, now
            )
            facts = self.facts()
            checks = [] if facts is None else adapter.check_requirements(facts)
            record = {"enrolled": rt.enrolled, "running": rt.enrolled and not rt.paused}
            money = {"earnings_today": today.get(network), "earnings_total": total.get(network)}
            out.append(
                network_summary(
                    adapter, snapshot, record, rt.action, checks, reputation, uptime, money
                )
            )
        return out
