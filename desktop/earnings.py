"""Net earnings: what a network paid each day minus the electricity its GPU time used.

Why: "after electricity" is the number home GPU owners ask every marketplace for and only
NiceHash shows. For each network and local day (the ledger's ``earnings_by_day`` gives the
gross USD, the GPU energy of the network's running periods and their running time):

    overhead_kwh    = system_overhead_w × running hours / 1000   (the wall draws more than
                      the GPU reports: CPU, board, PSU losses; a user setting)
    electricity     = (energy_kwh + overhead_kwh) × price_per_kwh
    net_usd         = gross_usd − electricity

Pure and Decimal throughout. Energy is rounded to 1e-6 kWh and money to 1e-6 USD, and net
is computed from the rounded cost so that the numbers shown add up. When the electricity
price is not in USD there is no exchange rate to subtract it with, so net is left out
(None) rather than made up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

KWH_Q = Decimal("0.000001")
USD_Q = Decimal("0.000001")


@dataclass(frozen=True)
class Tariff:
    """The user's electricity price per kWh, its currency, and the extra wall draw (W)."""

    price_per_kwh: Decimal = Decimal("0")
    system_overhead_w: Decimal = Decimal("0")
    currency: str = "USD"


def _decimal(value: Any, default: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(default)
    return number if number.is_finite() and number >= 0 else Decimal(default)


def tariff_from_settings(get: Callable[[str], Any]) -> Tariff:
    """The tariff from settings (``electricity.price_per_kwh``, ``.system_overhead_w``,
    ``.currency``); a missing or broken value counts as 0 rather than stopping the report."""
    return Tariff(
        price_per_kwh=_decimal(get("electricity.price_per_kwh"), "0"),
        system_overhead_w=_decimal(get("electricity.system_overhead_w"), "0"),
        currency=str(get("electricity.currency") or "USD").upper(),
    )


@dataclass(frozen=True)
class DayUsage:
    """One local day of one network, as the ledger sums it."""

    date: str
    network: str
    gross_usd: Decimal
    energy_kwh: Decimal
    running_s: float
    unit_amounts: Mapping[str, Decimal] = field(default_factory=dict)
    unpriced: int = 0

    @classmethod
    def from_ledger(cls, day: Any) -> DayUsage:
        """From a ``desktop.ledger.earnings.EarningsDay`` (read by attribute)."""
        date = day.date.isoformat() if isinstance(day.date, dt.date) else str(day.date)
        return cls(
            date=date,
            network=day.network,
            gross_usd=Decimal(day.gross_usd),
            energy_kwh=Decimal(repr(float(day.energy_kwh))),
            running_s=float(day.running_s),
            unit_amounts=dict(day.amounts),
            unpriced=int(day.unpriced),
        )


@dataclass(frozen=True)
class DayNet:
    date: str
    network: str
    gross_usd: Decimal
    energy_kwh: Decimal
    running_hours: Decimal
    electricity_cost: Decimal
    net_usd: Decimal | None
    unit_amounts: dict[str, Decimal] = field(default_factory=dict)
    unpriced: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "network": self.network,
            "gross_usd": str(self.gross_usd),
            "energy_kwh": str(self.energy_kwh),
            "running_hours": str(self.running_hours),
            "electricity_cost": str(self.electricity_cost),
            "net_usd": None if self.net_usd is None else str(self.net_usd),
            "unit_amounts": {u: str(a) for u, a in sorted(self.unit_amounts.items())},
            "unpriced": self.unpriced,
        }


def net_day(usage: DayUsage, tariff: Tariff) -> DayNet:
    """Gross minus electricity for one day of one network (see the module docstring)."""
    hours = Decimal(repr(max(0.0, usage.running_s))) / Decimal(3600)
    energy_kwh = usage.energy_kwh.quantize(KWH_Q)
    overhead_kwh = tariff.system_overhead_w * hours / Decimal(1000)
    cost = ((energy_kwh + overhead_kwh) * tariff.price_per_kwh).quantize(USD_Q)
    gross = usage.gross_usd.quantize(USD_Q)
    return DayNet(
        date=usage.date,
        network=usage.network,
        gross_usd=gross,
        energy_kwh=energy_kwh,
        running_hours=hours.quantize(KWH_Q),
        electricity_cost=cost,
        net_usd=gross - cost if tariff.currency == "USD" else None,
        unit_amounts=dict(usage.unit_amounts),
        unpriced=usage.unpriced,
    )


def totals(rows: Iterable[DayNet]) -> dict[str, Any]:
    """Sums over rows, overall and per network (JSON-ready strings; net None if unknown)."""
    names = ("gross_usd", "energy_kwh", "electricity_cost", "net_usd")

    def empty() -> dict[str, Decimal | None]:
        return dict.fromkeys(names, Decimal(0))

    overall = empty()
    per_network: dict[str, dict[str, Decimal | None]] = {}
    for row in rows:
        bucket = per_network.setdefault(row.network, empty())
        for name in names:
            value = getattr(row, name)
            for target in (overall, bucket):
                old = target[name]
                target[name] = None if value is None or old is None else old + value

    def text(values: Mapping[str, Decimal | None]) -> dict[str, str | None]:
        return {name: None if value is None else str(value) for name, value in values.items()}

    return {
        **text(overall),
        "networks": {network: text(bucket) for network, bucket in sorted(per_network.items())},
    }


def net_report(usages: Iterable[DayUsage], tariff: Tariff) -> dict[str, Any]:
    """The ``GET /earnings`` body: ``{days: [DayNet...], totals, tariff}``."""
    rows = [net_day(usage, tariff) for usage in usages]
    return {
        "days": [row.to_json() for row in rows],
        "totals": totals(rows),
        "tariff": {
            "price_per_kwh": str(tariff.price_per_kwh),
            "system_overhead_w": str(tariff.system_overhead_w),
            "currency": tariff.currency,
        },
    }
