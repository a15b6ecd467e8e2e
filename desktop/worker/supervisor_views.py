"""The supervisor's views: what ``GET /status`` and ``GET /networks`` show of each network.

Why from memory: both answer from what the polls last saw (plus the ledger for uptime and
money), never by calling an adapter, so a slow or hung network never slows a page down.
What the user is told ("Paused: a game is running") comes from the worker's record of
holds (``is_held``) and from what the reconciler last asked of the agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import msgspec

from desktop.model import NodeState
from desktop.networks.records import HostFacts, StatusSnapshot
from desktop.networks.summary import Standing, network_summary, next_step
from desktop.worker.operations import Operations
from desktop.worker.supervisor_ledger import SupervisorLedger
from desktop.worker.supervisor_money import NetworkMoney
from desktop.worker.supervisor_table import AgentState, NetworkEntry, NetworkTable

UPTIME_WINDOW_S = 30 * 86400.0
_QUIET = frozenset({NodeState.OFFLINE, NodeState.UNKNOWN})  # what a paused agent looks like


class Views:
    """Short and full summaries of the networks (module docstring)."""

    def __init__(
        self,
        table: NetworkTable,
        money: NetworkMoney,
        ledger: SupervisorLedger,
        operations: Operations,
        is_held: Callable[[str], bool],
        facts: Callable[[], HostFacts | None],
        now: Callable[[], float],
    ) -> None:
        self.table, self.money, self.ledger, self.operations = table, money, ledger, operations
        self.is_held, self.facts, self.now = is_held, facts, now

    def standing(self, entry: NetworkEntry) -> Standing:
        rt = entry.rt
        held = rt.enrolled and self.is_held(entry.spec.id)
        paused_agent = (
            rt.enrolled
            and rt.action is None
            and rt.refused is None
            and rt.target is not AgentState.RUNNING
        )
        reason = rt.pause_reason or ("you paused it" if held else "")
        return Standing(rt.enrolled, held or paused_agent, reason, rt.action)

    def shown(self, entry: NetworkEntry, standing: Standing) -> StatusSnapshot:
        """The network's state as the user should read it: a paused agent is "paused",
        not "offline"; a network not enrolled or not polled yet is said so."""
        rt, now = entry.rt, self.now()
        if not rt.enrolled:
            return StatusSnapshot(NodeState.NOT_ENROLLED, "", now)
        snapshot = rt.last or StatusSnapshot(NodeState.OFFLINE, "", now)
        if standing.paused and snapshot.state in _QUIET:
            return replace(snapshot, state=NodeState.PAUSED, message=standing.pause_reason)
        return snapshot

    def _operation(self, network: str) -> dict[str, Any] | None:
        op = self.operations.running(network)
        return None if op is None else msgspec.to_builtins(op)

    def brief(self) -> list[dict[str, Any]]:
        """The short form for ``GET /status`` (from memory, never blocks)."""
        out = []
        facts = self.facts()
        for entry in self.table:
            adapter = entry.adapter
            standing = self.standing(entry)
            snapshot = self.shown(entry, standing)
            checks = [] if facts is None or standing.enrolled else adapter.requirements(facts)
            out.append(
                {
                    "network": adapter.id,
                    "display_name": adapter.display_name,
                    "state": str(snapshot.state),
                    "enrolled": standing.enrolled,
                    "paused": standing.enrolled and standing.paused,
                    "message": snapshot.message,
                    "next_step": next_step(adapter.id, standing, snapshot, checks),
                    "operation": self._operation(adapter.id),
                }
            )
        return out

    async def summaries(self, networks: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """One record per network for ``GET /networks`` (see docs/api.md)."""
        entries = (
            [self.table.get(n) for n in networks] if networks is not None else list(self.table)
        )
        today, total = await self.money.totals()
        facts = self.facts()
        out = []
        for entry in entries:
            network, rt = entry.spec.id, entry.rt
            now = self.now()
            uptime = await asyncio.to_thread(
                self.ledger.uptime_pct, network, now - UPTIME_WINDOW_S, now
            )
            standing = self.standing(entry)
            record = network_summary(
                entry.spec,
                entry.adapter,
                self.shown(entry, standing),
                standing,
                [] if facts is None else entry.adapter.requirements(facts),
                rt.reputation,
                uptime,
                {
                    "earnings_today": today.get(network) or self.money.zero(network),
                    "earnings_total": total.get(network) or self.money.zero(network),
                },
            )
            out.append({**record, "operation": self._operation(network)})
        return out
