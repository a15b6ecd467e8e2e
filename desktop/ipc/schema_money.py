"""The local API's contract for money beyond the daily report: history, ROI, estimates
before enrolling, GPU wear, every earning (for the CSV export) and the exchange rates.

Money is a decimal string on the wire, in the user's currency unless a field says
otherwise; practice money is in "practice $" and never part of a real total.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec

from desktop.ipc.schema import Answer
from desktop.ipc.schema_data import EarningsDay, EarningsTotals, RateInfo

# --- history ----------------------------------------------------------------------------


class HistoryQuery(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``GET /history``: the last ``days`` local days (weeks and months of them)."""

    days: Annotated[int, msgspec.Meta(ge=1, le=3660)] = 90


class UseDay(msgspec.Struct, kw_only=True, frozen=True):
    """One local day of one network: how long it was up, and how much of that it earned.

    Attributes:
        utilisation_pct: hours earning ÷ hours online × 100; None when it was not online.
        uptime_pct: hours online ÷ hours of the day (so far, today) × 100.
    """

    date: str
    network: str
    online_hours: float
    earning_hours: float
    utilisation_pct: float | None
    uptime_pct: float


class ReputationPoint(msgspec.Struct, kw_only=True, frozen=True):
    """A network's own score of this node at a time (kept when it changes, or hourly)."""

    network: str
    ts: float
    score: float | None
    uptime_pct: float | None


class HistoryAnswer(Answer, kw_only=True, frozen=True):
    """``GET /history``: money per day and network, use per day, reputation over time."""

    currency: str
    days: list[EarningsDay]
    totals: EarningsTotals
    use: list[UseDay]
    reputation: list[ReputationPoint]
    rates: list[RateInfo]


# --- ROI ------------------------------------------------------------------------------


class RoiQuery(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``GET /roi``: the settings' figures, or a "what if" that overrides them."""

    price_change_pct: Annotated[float, msgspec.Meta(ge=-100, le=1000)] = 0.0
    electricity_price: Annotated[float, msgspec.Meta(ge=0, le=5)] | None = None
    card_cost: Annotated[float, msgspec.Meta(ge=0, le=100000)] | None = None
    resale_value: Annotated[float, msgspec.Meta(ge=0, le=100000)] | None = None


class RoiScenario(msgspec.Struct, kw_only=True, frozen=True):
    """Payback with token prices × ``price_factor`` (electricity does not move with them).

    Attributes:
        payback_date: None when the card is not paid back at this rate.
    """

    price_factor: Decimal
    net_per_day: Decimal
    payback_date: str | None
    paid_back: bool


class RoiAnswer(Answer, kw_only=True, frozen=True):
    """``GET /roi``. ``configured`` is False until the card's cost is known (setting
    ``roi.card_cost`` or the query's ``card_cost``): then only the money so far is given."""

    currency: str
    configured: bool
    card_cost: Decimal | None
    purchase_date: str | None
    card_value_now: Decimal | None
    net_so_far: Decimal
    gross_so_far: Decimal
    electricity_so_far: Decimal
    gross_per_day: Decimal
    electricity_per_day: Decimal
    window_days: int
    to_recover: Decimal | None
    scenarios: list[RoiScenario]
    what_if: bool
    unpriced: dict[str, Decimal] = {}


# --- estimates ------------------------------------------------------------------------


class EstimatesQuery(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``GET /estimates``: for this computer's first GPU, or a named model."""

    gpu: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    utilisation_pct: Annotated[float, msgspec.Meta(ge=1, le=100)] | None = None


class NetworkEstimate(msgspec.Struct, kw_only=True, frozen=True):
    """One network's range per day for this card, with where its figures come from.

    Attributes:
        has_data: False when no price is recorded for this card (``note`` says so).
        price_kind: "host pay" or "renter price" (the host gets less, after the fee).
        gross_low, gross_high, net_low, net_high: per day, in the currency; None when
            there is no price, or no rate from USD.
    """

    network: str
    display_name: str
    has_data: bool
    source: str
    recorded: str
    price_kind: str
    note: str
    usd_per_hour_low: Decimal | None = None
    usd_per_hour_high: Decimal | None = None
    gross_low: Decimal | None = None
    gross_high: Decimal | None = None
    electricity: Decimal | None = None
    net_low: Decimal | None = None
    net_high: Decimal | None = None


class EstimatesAnswer(Answer, kw_only=True, frozen=True):
    gpu_name: str
    model: str | None
    power_w: Decimal
    utilisation_pct: Decimal
    price_per_kwh: Decimal
    currency: str
    networks: list[NetworkEstimate]


# --- wear -----------------------------------------------------------------------------


class GpuWear(msgspec.Struct, kw_only=True, frozen=True):
    """One GPU's wear since RigPilot first saw it (kept in the ledger).

    Attributes:
        above_soft_hours: hours with the core above the soft thermal limit.
        thermal_cycles: rises from cool to hot (each a heat cycle for solder and pads).
        peak_mem_c: None where the driver reports no VRAM temperature (GeForce cards).
    """

    gpu_uuid: str
    name: str
    since_ts: float
    updated_ts: float
    above_soft_hours: float
    thermal_cycles: int
    peak_core_c: float | None
    peak_mem_c: float | None
    energy_kwh: float


class WearAnswer(Answer, kw_only=True, frozen=True):
    gpus: list[GpuWear]


# --- every earning (CSV) --------------------------------------------------------------


class EarningRowsQuery(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    days: Annotated[int, msgspec.Meta(ge=1, le=3660)] = 7


class EarningRow(msgspec.Struct, kw_only=True, frozen=True):
    """One earning: its native amount and unit, the USD rate kept with it, and its worth
    in the currency when it was earned (None: no rate, and never counted as 0)."""

    ts: float
    date: str
    network: str
    job_id: str | None
    kind: str
    amount: Decimal
    unit: str
    usd_rate: Decimal | None
    rate: Decimal | None
    value: Decimal | None
    practice: bool


class ElectricityRow(msgspec.Struct, kw_only=True, frozen=True):
    """What one network's GPU time cost on one local day."""

    date: str
    network: str
    energy_kwh: Decimal
    cost: Decimal
    practice: bool


class EarningRowsAnswer(Answer, kw_only=True, frozen=True):
    """``GET /earnings/rows``: every earning and every day's electricity of the period;
    their sums are the totals of ``GET /earnings`` for the same days."""

    currency: str
    rows: list[EarningRow]
    electricity: list[ElectricityRow]
    totals: EarningsTotals
