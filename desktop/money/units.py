"""Pay units: which are tokens with a public price, which are fiat, which are play money.

Why one table: the price feed asks the price API for exactly these ids, valuation knows
which units to convert, and practice money (the practice network's play dollars) is told
apart from real money everywhere by the same two sets.
"""

from __future__ import annotations

import re
from decimal import Decimal

# The price API's coin id of each token unit (CoinGecko's ids). A unit missing here can
# still be valued with a manual rate (setting ``money.manual_rates``).
PRICE_IDS: dict[str, str] = {
    "NOS": "nosana",
    "IO": "io-net",
    "GLM": "golem",
    "AKT": "akash-network",
    "CLORE": "clore-ai",
    "SOL": "solana",
    "USDC": "usd-coin",
    "USDT": "tether",
    "BTC": "bitcoin",
    "ETH": "ethereum",
}
# The reference coin whose price in two fiat currencies gives the rate between them
# (the price API converts every coin with the same fiat rates).
REFERENCE_ID = "bitcoin"
# Units that are a fixed fraction of another (Akash reports micro-AKT).
SCALED: dict[str, tuple[str, Decimal]] = {"UAKT": ("AKT", Decimal("0.000001"))}

PRACTICE_UNITS = frozenset({"DEMO"})  # the practice network's play currency
PRACTICE_NETWORKS = frozenset({"demo"})
PRACTICE = "practice $"  # how practice money is written, and its "currency"

_FIAT = re.compile(r"^[A-Z]{3}$")


def norm(unit: str) -> str:
    return unit.strip().upper()


def is_practice(unit: str) -> bool:
    return norm(unit) in PRACTICE_UNITS


def is_practice_network(network: str, units: set[str] | frozenset[str] = frozenset()) -> bool:
    """A practice network: the practice network itself, or one that pays only play money."""
    return network in PRACTICE_NETWORKS or (bool(units) and all(is_practice(u) for u in units))


def is_fiat(unit: str) -> bool:
    """A 3-letter currency code that is not a known token (USD, EUR, GBP...)."""
    unit = norm(unit)
    return bool(_FIAT.match(unit)) and unit not in PRICE_IDS and unit not in PRACTICE_UNITS


def price_id(unit: str) -> str | None:
    return PRICE_IDS.get(norm(unit))
