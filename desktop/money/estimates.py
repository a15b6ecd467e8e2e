"""What a card would earn on each network before enrolling it: a range per day.

    gross per day        = listed USD per GPU hour × 24 × utilisation × USD→currency
    electricity per day  = (card watts + overhead watts) × 24 h × utilisation / 1000 × price
    net per day          = gross − electricity

``utilisation`` is the share of the day a network keeps the card busy (a setting the user
can change; 60-80 % is what hosts report). The range comes from the lowest and highest
recorded price; a renter price is marked as such (the host gets it less the network's
fee). Networks with no recorded price for this card say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop.money.market_data import DISPLAY_NAMES

MONEY_Q = Decimal("0.0001")
HOURS = Decimal(24)
# Typical board power (W) when the card's own limit is not known.
BOARD_POWER_W = {"RTX 3080": 320, "RTX 3090": 350, "RTX 4090": 450}
_MODEL = re.compile(r"(RTX|GTX)\s*(\d{4})(\s*(TI|SUPER))?", re.IGNORECASE)


def model_of(gpu_name: str) -> str | None:
    """ "NVIDIA GeForce RTX 3080 Ti" → "RTX 3080 Ti"; None when not a GeForce model."""
    match = _MODEL.search(gpu_name)
    if match is None:
        return None
    extra = (match.group(4) or "").upper()
    suffix = {"TI": " Ti", "SUPER": " Super"}.get(extra, "")
    return f"{match.group(1).upper()} {match.group(2)}{suffix}"


@dataclass(frozen=True)
class Estimate:
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

    def to_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.__dict__.items()}


def estimate(
    record: Mapping[str, Any],
    model: str | None,
    power_w: Decimal,
    overhead_w: Decimal,
    utilisation: Decimal,
    price_per_kwh: Decimal,
    usd_to_currency: Decimal | None,
) -> Estimate:
    """One network's estimate for one card model (see the module docstring)."""
    network = str(record["network"])
    base: dict[str, Any] = {
        "network": network,
        "display_name": DISPLAY_NAMES.get(network, network),
        "source": str(record["source"]),
        "recorded": str(record["recorded"]),
        "price_kind": str(record.get("price_kind", "")),
    }
    prices = (record.get("gpus") or {}).get(model or "")
    if not prices:
        why = f"No recorded {base['display_name']} price for {model or 'this card'}." + (
            f" {record['note']}" if record.get("note") else ""
        )
        return Estimate(has_data=False, note=why, **base)
    low, high = Decimal(prices["usd_per_hour_low"]), Decimal(prices["usd_per_hour_high"])
    kwh = (power_w + overhead_w) * HOURS * utilisation / 1000
    electricity = (kwh * price_per_kwh).quantize(MONEY_Q)
    note = str(record.get("note", ""))
    if usd_to_currency is None:
        return Estimate(
            has_data=True,
            note=f"{note} No USD rate to your currency yet: pay is shown in USD.".strip(),
            usd_per_hour_low=low,
            usd_per_hour_high=high,
            electricity=electricity,
            **base,
        )
    gross_low = (low * HOURS * utilisation * usd_to_currency).quantize(MONEY_Q)
    gross_high = (high * HOURS * utilisation * usd_to_currency).quantize(MONEY_Q)
    return Estimate(
        has_data=True,
        note=note,
        usd_per_hour_low=low,
        usd_per_hour_high=high,
        gross_low=gross_low,
        gross_high=gross_high,
        electricity=electricity,
        net_low=gross_low - electricity,
        net_high=gross_high - electricity,
        **base,
    )


def estimates(
    records: Iterable[Mapping[str, Any]],
    gpu_name: str,
    power_w: float | None,
    overhead_w: Decimal,
    utilisation_pct: Decimal,
    price_per_kwh: Decimal,
    usd_to_currency: Decimal | None,
) -> tuple[str | None, Decimal, list[Estimate]]:
    """(the card's model, the watts assumed, one estimate per network)."""
    model = model_of(gpu_name)
    watts = Decimal(repr(power_w)) if power_w else Decimal(BOARD_POWER_W.get(model or "", 250))
    share = utilisation_pct / 100
    return (
        model,
        watts,
        [
            estimate(r, model, watts, overhead_w, share, price_per_kwh, usd_to_currency)
            for r in records
        ],
    )
