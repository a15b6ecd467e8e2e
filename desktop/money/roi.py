"""Return on the card: money earned net of electricity against what the card cost.

The card is paid back on the day the net earnings since it was bought, plus what it is
still worth, reach its price:

    net_so_far + rate × d  ≥  cost − value(t)

``value`` is the resale value the user gives (constant), else the price lowered by the
yearly depreciation (linear, never below 0), else 0 (the cautious case: earn the whole
price back). ``rate`` is the recent net per day: gross × k − electricity, averaged over
the last ``window`` days that RigPilot has seen, where k is the token price factor, so the
same question is answered with token prices 30 % lower and higher (electricity does not
move with the token).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)
FACTORS = (Decimal("0.7"), Decimal("1"), Decimal("1.3"))
MAX_DAYS = 365 * 50  # beyond this, "not at this rate"


@dataclass(frozen=True)
class DayNet:
    """One local day of real money (all networks): gross and electricity."""

    date: dt.date
    gross: Decimal
    electricity: Decimal


@dataclass(frozen=True)
class RoiInputs:
    card_cost: Decimal | None
    purchase_date: dt.date | None = None
    resale_value: Decimal | None = None
    depreciation_pct_per_year: Decimal | None = None
    price_factor: Decimal = Decimal(1)  # the "what if": token prices × this
    electricity_factor: Decimal = Decimal(1)  # the "what if": electricity price × this
    window_days: int = 30


@dataclass(frozen=True)
class Scenario:
    price_factor: Decimal
    net_per_day: Decimal
    payback_date: dt.date | None  # None: not at this rate
    paid_back: bool  # already


@dataclass(frozen=True)
class RoiResult:
    net_so_far: Decimal
    gross_so_far: Decimal
    electricity_so_far: Decimal
    gross_per_day: Decimal
    electricity_per_day: Decimal
    window_days: int
    card_value_now: Decimal | None
    to_recover_now: Decimal | None  # cost − value − net so far (≤ 0: paid back)
    scenarios: list[Scenario] = field(default_factory=list)


def _years(since: dt.date | None, day: dt.date) -> Decimal:
    return ZERO if since is None else Decimal(max(0, (day - since).days)) / Decimal(365)


def card_value(inputs: RoiInputs, day: dt.date) -> Decimal | None:
    if inputs.card_cost is None:
        return None
    if inputs.resale_value is not None:
        return inputs.resale_value
    if inputs.depreciation_pct_per_year is not None:
        lost = (
            inputs.card_cost
            * inputs.depreciation_pct_per_year
            / 100
            * _years(inputs.purchase_date, day)
        )
        return max(ZERO, inputs.card_cost - lost)
    return ZERO


def _payback_days(
    inputs: RoiInputs, today: dt.date, net_so_far: Decimal, rate: Decimal
) -> int | None:
    """Whole days from today until net + value ≥ cost; 0 when already; None when not at
    this rate. The gap closes linearly while the card still loses value (at ``loss`` a
    day), then at the full rate once it is worth nothing."""
    cost = inputs.card_cost or ZERO
    value = card_value(inputs, today) or ZERO
    gap = cost - value - net_so_far
    if gap <= 0:
        return 0
    depreciating = inputs.resale_value is None and bool(inputs.depreciation_pct_per_year)
    loss = cost * (inputs.depreciation_pct_per_year or ZERO) / 100 / 365 if depreciating else ZERO
    worthless_in = math.ceil(value / loss) if loss > 0 else None  # days until value is 0
    if rate > loss:
        d = math.ceil(gap / (rate - loss))
        if worthless_in is None or d <= worthless_in:
            return d if d <= MAX_DAYS else None
    if worthless_in is not None and rate > 0:
        d = max(worthless_in, math.ceil((cost - net_so_far) / rate))
        return d if d <= MAX_DAYS else None
    return None


def compute(days: Iterable[DayNet], inputs: RoiInputs, today: dt.date) -> RoiResult:
    """ROI and payback (see the module docstring); ``days`` are real money only."""
    counted = [d for d in days if inputs.purchase_date is None or d.date >= inputs.purchase_date]
    counted = [d for d in counted if d.date <= today]
    gross = sum((d.gross for d in counted), ZERO)
    electricity = sum((d.electricity for d in counted), ZERO) * inputs.electricity_factor
    net = gross - electricity
    first = min((d.date for d in counted), default=today)
    span = max(1, min(inputs.window_days, (today - first).days + 1))
    start = today - dt.timedelta(days=span - 1)
    recent = [d for d in counted if d.date >= start]
    gross_rate = sum((d.gross for d in recent), ZERO) / span
    elec_rate = sum((d.electricity for d in recent), ZERO) * inputs.electricity_factor / span
    value = card_value(inputs, today)
    to_recover = None if inputs.card_cost is None else inputs.card_cost - (value or ZERO) - net
    scenarios = []
    if inputs.card_cost is not None:
        for k in FACTORS:
            factor = k * inputs.price_factor
            rate = gross_rate * factor - elec_rate
            d = _payback_days(inputs, today, net, rate)
            scenarios.append(
                Scenario(
                    factor,
                    rate,
                    None if d is None else today + dt.timedelta(days=d),
                    d == 0,
                )
            )
    return RoiResult(net, gross, electricity, gross_rate, elec_rate, span, value, to_recover,
                     scenarios)  # fmt: skip
