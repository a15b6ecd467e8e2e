"""Pay and electricity per day and network, in the user's currency.

Why here: "is it worth it after electricity?" needs one answer that every view shows the
same. For each local day and network (from the ledger's hourly pay rollup and its energy
periods):

    gross        = pay valued when it was earned, in the user's currency: the USD value
                   recorded with it (the rate at the time) × USD→currency of that hour,
                   or, for pay that came without a rate, its amount × the unit's rate of
                   that hour from the rate history (the user's manual rate when none)
    gross_now    = the same pay at today's rates (token pay moves with the token)
    electricity  = (GPU kWh + overhead W × running hours / 1000) × price per kWh
    net          = gross − electricity

Pay that no rate can value is never counted as 0 and never shown as dollars: it stays in
``unpriced`` in its own unit. Practice pay (play money) is valued in "practice $" and kept
out of the real totals; a practice network's electricity uses the user's price as if it
were practice dollars, since its GPU time is practice too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.money import units
from desktop.money.rates import USD, RateBook, RateHistory
from desktop.settings.field import parse_rates

KWH_Q = Decimal("0.000001")
MONEY_Q = Decimal("0.000001")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Tariff:
    """The user's money settings: their currency, electricity price per kWh in it, the
    extra wall draw, and their manual rates (one unit = so much of the currency)."""

    price_per_kwh: Decimal = Decimal("0")
    system_overhead_w: Decimal = Decimal("0")
    currency: str = "USD"
    manual_rates: Mapping[str, Decimal] = field(default_factory=dict)


def _decimal(value: Any, default: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(default)
    return number if number.is_finite() and number >= 0 else Decimal(default)


def tariff_from_settings(get: Callable[[str], Any]) -> Tariff:
    """The tariff from settings (``electricity.*``, ``money.manual_rates``); a broken value
    counts as 0 (or no manual rate) rather than stopping the report."""
    try:
        manual = parse_rates(str(get("money.manual_rates") or ""))
    except (ValueError, KeyError):
        manual = {}
    return Tariff(
        price_per_kwh=_decimal(get("electricity.price_per_kwh"), "0"),
        system_overhead_w=_decimal(get("electricity.system_overhead_w"), "0"),
        currency=str(get("electricity.currency") or "USD").upper(),
        manual_rates=manual,
    )


@dataclass(frozen=True)
class HourPay:
    """One row of the ledger's hourly pay rollup (one network, one unit, one UTC hour)."""

    hour_ts: float
    network: str
    unit: str
    amount: Decimal  # everything paid in this unit
    usd: Decimal  # the USD value of the rows that came with a rate
    unpriced_amount: Decimal  # the amount of the rows that came without one


@dataclass(frozen=True)
class DayEnergy:
    """Energy charged to one network on one local day, and how long it ran."""

    date: str
    network: str
    energy_kwh: Decimal
    running_s: float


@dataclass
class Figures:
    """Money over a period in one currency (see the module docstring)."""

    currency: str
    gross: Decimal = ZERO
    gross_now: Decimal | None = ZERO
    electricity: Decimal = ZERO
    energy_kwh: Decimal = ZERO
    running_hours: Decimal = ZERO
    unit_amounts: dict[str, Decimal] = field(default_factory=dict)
    unpriced: dict[str, Decimal] = field(default_factory=dict)

    @property
    def net(self) -> Decimal:
        return self.gross - self.electricity

    def add(self, other: Figures) -> None:
        self.gross += other.gross
        self.gross_now = (
            None
            if self.gross_now is None or other.gross_now is None
            else self.gross_now + other.gross_now
        )
        self.electricity += other.electricity
        self.energy_kwh += other.energy_kwh
        self.running_hours += other.running_hours
        for name in ("unit_amounts", "unpriced"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for unit, amount in theirs.items():
                mine[unit] = mine.get(unit, ZERO) + amount

    def to_json(self) -> dict[str, Any]:
        def text(values: Mapping[str, Decimal]) -> dict[str, str]:
            return {u: str(a) for u, a in sorted(values.items())}

        return {
            "currency": self.currency,
            "gross": str(self.gross.quantize(MONEY_Q)),
            "gross_now": None if self.gross_now is None else str(self.gross_now.quantize(MONEY_Q)),
            "electricity": str(self.electricity.quantize(MONEY_Q)),
            "net": str(self.net.quantize(MONEY_Q)),
            "energy_kwh": str(self.energy_kwh.quantize(KWH_Q)),
            "running_hours": str(self.running_hours.quantize(KWH_Q)),
            "unit_amounts": text(self.unit_amounts),
            "unpriced": text(self.unpriced),
        }


@dataclass
class DayFigures(Figures):
    """The money figures of one network on one local day."""

    date: str = ""
    network: str = ""
    practice: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date, "network": self.network, "practice": self.practice,
                **super().to_json()}  # fmt: skip


class Valuer:
    """Values pay with the rates in force (``book``) and those of the past (``history``)."""

    def __init__(self, tariff: Tariff, book: RateBook, history: RateHistory) -> None:
        self.tariff, self.book, self.history = tariff, book, history
        self.currency = tariff.currency

    def when_earned(self, row: HourPay) -> tuple[Decimal, dict[str, Decimal]]:
        """(value in the currency, what could not be valued, in its own unit)."""
        value, unpriced = ZERO, {}
        if row.usd:
            rate = self.rate_at(USD, row.hour_ts)
            if rate is None:
                unpriced[USD] = row.usd
            else:
                value += row.usd * rate
        if row.unpriced_amount:
            rate = self.rate_at(row.unit, row.hour_ts)
            if rate is None:
                unpriced[units.norm(row.unit)] = row.unpriced_amount
            else:
                value += row.unpriced_amount * rate
        return value, unpriced

    def rate_at(self, unit: str, ts: float) -> Decimal | None:
        if units.norm(unit) == self.currency:
            return Decimal(1)
        past = self.history.at(unit, self.currency, ts)
        if past is not None:
            return past
        quote = self.book.now(unit)
        return None if quote is None else quote.rate

    def now(self, unit: str, amount: Decimal) -> Decimal | None:
        quote = self.book.now(unit)
        return None if quote is None else amount * quote.rate

    def electricity(self, energy_kwh: Decimal, running_s: float) -> tuple[Decimal, Decimal]:
        """(cost, running hours) of one day of one network."""
        hours = Decimal(repr(max(0.0, running_s))) / Decimal(3600)
        overhead_kwh = self.tariff.system_overhead_w * hours / Decimal(1000)
        cost = (energy_kwh.quantize(KWH_Q) + overhead_kwh) * self.tariff.price_per_kwh
        return cost.quantize(MONEY_Q), hours


def value_days(
    pay: Iterable[HourPay],
    energy: Iterable[DayEnergy],
    valuer: Valuer,
    date_of: Callable[[float], str],
) -> list[DayFigures]:
    """Per local day and network, oldest first (days with neither pay nor energy are left
    out). ``date_of`` turns a Unix time into the user's local date (ISO)."""
    rows: dict[tuple[str, str], list[HourPay]] = defaultdict(list)
    for row in pay:
        rows[(date_of(row.hour_ts), row.network)].append(row)
    spent = {(e.date, e.network): e for e in energy}
    result: list[DayFigures] = []
    for date, network in sorted(set(rows) | set(spent)):
        hours = rows.get((date, network), [])
        paid_in = {units.norm(r.unit) for r in hours}
        practice = units.is_practice_network(network, paid_in)
        day = DayFigures(units.PRACTICE if practice else valuer.currency,
                         date=date, network=network, practice=practice)  # fmt: skip
        for row in hours:
            unit = units.norm(row.unit)
            day.unit_amounts[unit] = day.unit_amounts.get(unit, ZERO) + row.amount
            if practice:
                day.gross += row.usd  # the practice network's own "dollar" value
                continue
            value, unpriced = valuer.when_earned(row)
            day.gross += value
            for u, a in unpriced.items():
                day.unpriced[u] = day.unpriced.get(u, ZERO) + a
            now = valuer.now(unit, row.amount)
            if now is None:
                if value:
                    day.gross_now = None  # worth something then, unknown today
            elif day.gross_now is not None:
                day.gross_now += now
        if practice:
            day.gross_now = day.gross
        used = spent.get((date, network))
        if used is not None:
            day.energy_kwh = used.energy_kwh.quantize(KWH_Q)
            day.electricity, day.running_hours = valuer.electricity(used.energy_kwh, used.running_s)
        result.append(day)
    return result


@dataclass
class Totals:
    """The sums over days: real money, per network, and practice money apart."""

    real: Figures
    networks: dict[str, Figures]
    practice: Figures | None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.real.to_json(),
            "networks": {n: f.to_json() for n, f in sorted(self.networks.items())},
            "practice": None if self.practice is None else self.practice.to_json(),
        }


def totals(days: Iterable[DayFigures], currency: str) -> Totals:
    """Real money summed (practice apart), and per network in its own currency."""
    real, practice = Figures(currency), None
    networks: dict[str, Figures] = {}
    for day in days:
        networks.setdefault(day.network, Figures(day.currency)).add(day)
        if day.practice:
            practice = practice or Figures(units.PRACTICE)
            practice.add(day)
        else:
            real.add(day)
    return Totals(real, networks, practice)
