"""The worker's money endpoints beyond the daily report: history, ROI, estimates, wear and
every earning for the CSV export (typed answers of desktop/ipc/schema_money.py).

Why one collaborator: each answer is the daily report (supervisor_money) seen another
way, so they share its valuation and never disagree with ``GET /earnings``. The modules
behind history, ROI and estimates load at their first request: a worker nobody asks about
money does not carry them (issue 18).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from desktop.errors import Unavailable
from desktop.ipc import schema_money as m
from desktop.ledger.networks import MAX_GAP_S
from desktop.ledger.pay_rollup import hour_of
from desktop.model import GpuInfo
from desktop.money import units
from desktop.money.rates import USD
from desktop.worker.supervisor_money import NetworkMoney, day_start, local_day
from desktop.worker.wear_keeper import WearKeeper

# In words for every client: the command line adds how to name a model (``--gpu``), which
# the window has no use for.
NO_GPU_TO_ESTIMATE = "There is no GPU on this computer to estimate for"

def _dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(value))


class MoneyApi:
    def __init__(
        self,
        money: NetworkMoney,
        ledger: Any,
        settings: Callable[[str], Any],
        infos: Callable[[], Sequence[GpuInfo]],
        wear: WearKeeper | None,
        now: Callable[[], float],
    ) -> None:
        self.money, self.ledger, self.settings = money, ledger, settings
        self.infos, self.wear_keeper, self.now = infos, wear, now

    # --- history --------------------------------------------------------------------

    def _history(self, days: int) -> dict[str, Any]:
        from desktop.money import history  # this and roi, estimates: at the first request

        report = self.money.report(days)
        now = self.now()
        since = report["since"]
        networks = {d["network"] for d in report["days"]}
        networks |= {e.network for e in self.ledger.enrollments()}
        spans: list[history.Span] = []
        for network in sorted(networks):
            seen = self.ledger.network_history(network, since)
            if not seen:
                continue
            for span, nxt in zip(seen, [*seen[1:], None], strict=True):
                end = span.until_ts
                follow = now if nxt is None else nxt.ts
                if follow - end <= MAX_GAP_S:
                    end = follow
                spans.append(history.Span(network, str(span.state), max(span.ts, since), end))

        def bounds(ts: float) -> tuple[str, float, float]:
            day = local_day(ts)
            return day.isoformat(), day_start(day), day_start(day + dt.timedelta(days=1))

        use = [
            {
                "date": u.date,
                "network": u.network,
                "online_hours": round(u.online_s / 3600, 3),
                "earning_hours": round(u.earning_s / 3600, 3),
                "utilisation_pct": u.utilisation_pct,
                "uptime_pct": u.uptime_pct,
            }
            for u in history.day_use(spans, bounds, now)
        ]
        points = [p.to_json() for p in self.ledger.reputation_history(since)]
        return {
            "currency": report["tariff"]["currency"],
            "days": report["days"],
            "totals": report["totals"],
            "use": use,
            "reputation": points,
            "rates": report["rates"],
        }

    def history_now(self, query: m.HistoryQuery) -> m.HistoryAnswer:
        """``GET /history`` (blocking)."""
        return msgspec.convert(self._history(query.days), m.HistoryAnswer)

    async def history(self, query: m.HistoryQuery) -> m.HistoryAnswer:
        return await asyncio.to_thread(self.history_now, query)

    # --- ROI ------------------------------------------------------------------------

    def _roi(self, query: m.RoiQuery) -> dict[str, Any]:
        from desktop.money import roi

        tariff = self.money.tariff()
        cost = _dec(
            query.card_cost if query.card_cost is not None else self.settings("roi.card_cost")
        )
        resale = (
            query.resale_value
            if query.resale_value is not None
            else self.settings("roi.resale_value")
        )
        bought = self.settings("roi.purchase_date")
        purchase = dt.date.fromisoformat(bought) if bought else None
        today = local_day(self.now())
        span = (today - purchase).days + 1 if purchase else roi_window_all(self.money)
        report = self.money.report(max(1, min(3660, span)))
        daily: dict[dt.date, list[Decimal]] = {}
        for row in report["days"]:
            if row["practice"]:
                continue
            slot = daily.setdefault(dt.date.fromisoformat(row["date"]), [Decimal(0), Decimal(0)])
            slot[0] += Decimal(row["gross"])
            slot[1] += Decimal(row["electricity"])
        factor = Decimal(1)
        if query.electricity_price is not None and tariff.price_per_kwh > 0:
            factor = Decimal(repr(query.electricity_price)) / tariff.price_per_kwh
        inputs = roi.RoiInputs(
            card_cost=cost,
            purchase_date=purchase,
            resale_value=_dec(resale),
            depreciation_pct_per_year=_dec(self.settings("roi.depreciation_pct_per_year")),
            price_factor=1 + Decimal(repr(query.price_change_pct)) / 100,
            electricity_factor=factor,
        )
        result = roi.compute([roi.DayNet(d, g, e) for d, (g, e) in daily.items()], inputs, today)
        return {
            "currency": tariff.currency,
            "configured": cost is not None,
            "card_cost": cost,
            "purchase_date": None if purchase is None else purchase.isoformat(),
            "card_value_now": result.card_value_now,
            "net_so_far": result.net_so_far,
            "gross_so_far": result.gross_so_far,
            "electricity_so_far": result.electricity_so_far,
            "gross_per_day": result.gross_per_day,
            "electricity_per_day": result.electricity_per_day,
            "window_days": result.window_days,
            "to_recover": result.to_recover_now,
            "scenarios": [
                {
                    "price_factor": s.price_factor,
                    "net_per_day": s.net_per_day,
                    "payback_date": None if s.payback_date is None else s.payback_date.isoformat(),
                    "paid_back": s.paid_back,
                }
                for s in result.scenarios
            ],
            "what_if": query != m.RoiQuery(),
            "unpriced": report["totals"]["unpriced"],
        }

    def roi_now(self, query: m.RoiQuery) -> m.RoiAnswer:
        """``GET /roi`` (blocking)."""
        return msgspec.convert(self._roi(query), m.RoiAnswer, strict=False)

    async def roi(self, query: m.RoiQuery) -> m.RoiAnswer:
        return await asyncio.to_thread(self.roi_now, query)

    # --- estimates ------------------------------------------------------------------

    def _estimates(self, query: m.EstimatesQuery) -> dict[str, Any]:
        from desktop.money.estimates import estimates
        from desktop.money.market_data import RECORDS

        infos = list(self.infos())
        name = query.gpu or (infos[0].name if infos else "")
        if not name:
            raise Unavailable(NO_GPU_TO_ESTIMATE)  # the CLI adds how to name a model
        info = next((i for i in infos if i.name == name), None)
        watts = None
        if info is not None and not query.gpu:
            watts = info.power.default_w or info.power.enforced_w
        tariff = self.money.tariff()
        rate = self.money.book(tariff).now(USD)
        utilisation = query.utilisation_pct or float(
            self.settings("estimates.utilisation_pct") or 70
        )
        model, power, found = estimates(
            RECORDS,
            name,
            watts,
            tariff.system_overhead_w,
            Decimal(repr(utilisation)),
            tariff.price_per_kwh,
            None if rate is None else rate.rate,
        )
        return {
            "gpu_name": name,
            "model": model,
            "power_w": power,
            "utilisation_pct": Decimal(repr(utilisation)),
            "price_per_kwh": tariff.price_per_kwh,
            "currency": tariff.currency,
            "networks": [e.to_json() for e in found],
        }

    async def estimates(self, query: m.EstimatesQuery) -> m.EstimatesAnswer:
        body = await asyncio.to_thread(self._estimates, query)
        return msgspec.convert(body, m.EstimatesAnswer, strict=False)

    # --- wear -----------------------------------------------------------------------

    async def wear(self) -> m.WearAnswer:
        kept = (
            self.wear_keeper.snapshot()
            if self.wear_keeper
            else await asyncio.to_thread(self.ledger.wear)
        )
        return m.WearAnswer(
            gpus=[
                m.GpuWear(
                    gpu_uuid=w.gpu_uuid,
                    name=w.name,
                    since_ts=w.since_ts,
                    updated_ts=w.updated_ts,
                    above_soft_hours=round(w.above_soft_s / 3600, 3),
                    thermal_cycles=w.thermal_cycles,
                    peak_core_c=w.peak_core_c,
                    peak_mem_c=w.peak_mem_c,
                    energy_kwh=round(w.energy_j / 3.6e6, 4),
                )
                for w in kept
            ]
        )

    # --- every earning --------------------------------------------------------------

    def _rows(self, days: int) -> dict[str, Any]:
        report = self.money.report(days)
        now, since = self.now(), report["since"]
        valuer = self.money.valuer(since, now)
        rows = []
        for e in self.ledger.earnings_between(since, now):
            practice = units.is_practice(e.money.unit) or units.is_practice_network(e.network)
            hour = hour_of(e.ts)
            rate = value = None
            if practice:
                value = e.money.usd
            elif e.money.usd is not None:
                usd_cur = valuer.rate_at(USD, hour)
                if usd_cur is not None:
                    value = e.money.usd * usd_cur
                    rate = None if not e.money.amount else value / e.money.amount
            else:
                rate = valuer.rate_at(e.money.unit, hour)
                value = None if rate is None else e.money.amount * rate
            rows.append(
                {
                    "ts": e.ts,
                    "date": local_day(e.ts).isoformat(),
                    "network": e.network,
                    "job_id": e.job_id,
                    "kind": e.kind,
                    "amount": e.money.amount,
                    "unit": e.money.unit,
                    "usd_rate": e.usd_rate,
                    "rate": rate,
                    "value": value,
                    "practice": practice,
                }
            )
        electricity = [
            {"date": d["date"], "network": d["network"], "energy_kwh": d["energy_kwh"],
             "cost": d["electricity"], "practice": d["practice"]}
            for d in report["days"]
            if Decimal(d["energy_kwh"]) or Decimal(d["electricity"])
        ]  # fmt: skip
        return {
            "currency": report["tariff"]["currency"],
            "rows": rows,
            "electricity": electricity,
            "totals": report["totals"],
        }

    def rows_now(self, query: m.EarningRowsQuery) -> m.EarningRowsAnswer:
        """``GET /earnings/rows`` (blocking)."""
        return msgspec.convert(self._rows(query.days), m.EarningRowsAnswer, strict=False)

    async def earning_rows(self, query: m.EarningRowsQuery) -> m.EarningRowsAnswer:
        return await asyncio.to_thread(self.rows_now, query)


def roi_window_all(money: NetworkMoney) -> int:
    """Days back to the first earning the ledger holds (at most ten years)."""
    first = money.first_pay_ts()
    if first is None:
        return 1
    return (local_day(money.now()) - local_day(first)).days + 1
