"""Earnings over time, the way the ledger counts them (Qt-free, numpy only).

The chart shows today's running totals, gross per network and net of
electricity overall: each status answer carries ``earnings_today`` (the ledger's own sums),
and the app keeps those snapshots in a ring; credits that happened before the app started
come from the ``network.earned`` events, so a freshly opened window is not blank. The 7 d
range shows the ledger's daily totals (``GET /earnings``) added up day by day.

Money is on the wall clock. Telemetry of a simulated GPU may run on a faster clock, which
is why this chart gets its own time window.
"""

from __future__ import annotations

from collections import deque
from datetime import date, datetime, time, timedelta

import numpy as np

from desktop.ipc.codec import event_data
from desktop.ipc.schema import EarningsTotals
from desktop.ipc.schema_data import EarnedData, EarningsAnswer
from desktop.model import Event

Curves = dict[str, tuple[np.ndarray, np.ndarray]]
NET = "net"
SNAPSHOTS = 50_000  # a day of 2 s status polls fits in ~1.6 MB


def midnight(ts: float) -> float:
    """Local midnight at the start of the day of ``ts``."""
    return datetime.combine(date.fromtimestamp(ts), time()).timestamp()


def credit_of(event: Event) -> tuple[float, str, float, str] | None:
    """(ts, network, usd, job_id) of a ``network.earned`` event with a USD value."""
    if event.kind != "network.earned" or event.network is None:
        return None
    earned = event_data(event, EarnedData)
    if earned is None or earned.usd is None:
        return None
    return event.ts, event.network, float(earned.usd), earned.job_id


class EarningsHistory:
    """Today's running totals over time, from status snapshots and earned events."""

    def __init__(self, capacity: int = SNAPSHOTS) -> None:
        self._snapshots: deque[tuple[float, dict[str, float], float | None]] = deque(
            maxlen=capacity
        )
        self._credits: dict[tuple[str, str, float], tuple[float, str, float]] = {}
        self.pay_by_job: dict[str, float] = {}
        self.currency = "USD"  # of the snapshots; USD-valued credits are charted in USD only

    def clear(self) -> None:
        """Forget everything (another rig); ``pay_by_job`` stays the same dict (the jobs
        view holds it)."""
        self._snapshots.clear()
        self._credits.clear()
        self.pay_by_job.clear()

    def add_event(self, event: Event) -> bool:
        """Remember a credit; True when the event was one."""
        credit = credit_of(event)
        if credit is None:
            return False
        ts, network, usd, job_id = credit
        self._credits[(network, job_id, ts)] = (ts, network, usd)
        if job_id:
            self.pay_by_job[job_id] = self.pay_by_job.get(job_id, 0.0) + usd
        return True

    def add_status(self, ts: float, earnings_today: EarningsTotals | None) -> None:
        """Record ``status.earnings_today``: gross per network and net overall."""
        if earnings_today is None:
            return
        self.currency = earnings_today.currency
        gross = {k: float(v.gross) for k, v in earnings_today.networks.items()}
        self._snapshots.append((ts, gross, float(earnings_today.net)))

    def today_curves(self, start: float, end: float) -> Curves:
        """Running totals of the day over ``[start, end]``: gross per network, and net."""
        points: dict[str, list[tuple[float, float]]] = {}
        first_snapshot = self._snapshots[0][0] if self._snapshots else end + 1
        totals: dict[str, float] = {}
        day = None
        credits = sorted(self._credits.values()) if self.currency == "USD" else []
        for ts, network, usd in credits:
            if ts >= first_snapshot or ts > end:
                break
            if day != midnight(ts):
                day, totals = midnight(ts), {}
            before = totals.get(network, 0.0)
            totals[network] = before + usd
            if ts >= start:
                points.setdefault(network, []).extend([(ts, before), (ts, totals[network])])
        for ts, gross, net in self._snapshots:
            if ts < start or ts > end:
                continue
            for network, value in gross.items():
                points.setdefault(network, []).append((ts, value))
            if net is not None:
                points.setdefault(NET, []).append((ts, net))
        curves: Curves = {}
        for key, pts in points.items():
            xs = np.array([p[0] for p in pts])
            ys = np.array([p[1] for p in pts])
            order = np.argsort(xs, kind="stable")
            curves[key] = (xs[order], ys[order])
        return curves


def weekly_curves(answer: EarningsAnswer, now: float) -> Curves:
    """Cumulative gross per network and net overall, one step at the end of each day."""
    days: dict[str, dict[str, float]] = {}
    nets: dict[str, float] = {}
    for row in answer.days:
        days.setdefault(row.date, {})[row.network] = float(row.gross)
        if not row.practice:
            nets[row.date] = nets.get(row.date, 0.0) + float(row.net)
    curves: dict[str, list[tuple[float, float]]] = {}
    totals: dict[str, float] = {}
    for day in sorted(days):
        start = datetime.fromisoformat(day).timestamp()
        end = min(now, (datetime.fromisoformat(day) + timedelta(days=1)).timestamp())
        for key, value in [*days[day].items(), (NET, nets.get(day, 0.0))]:
            before = totals.get(key, 0.0)
            totals[key] = before + value
            curves.setdefault(key, []).extend([(start, before), (end, totals[key])])
    return {
        k: (np.array([p[0] for p in v]), np.array([p[1] for p in v])) for k, v in curves.items()
    }
