"""Exchange rates: what one unit is worth in another, since when, and from where.

Rates are pairs ``unit → quote`` (``NOS → USD``, ``USD → EUR``) with the time they were
read and their source: ``api`` (the public price API, fetched by the worker), ``manual``
(the user's own rate, which always wins) or ``network`` (the rate a network paid at).

``RateBook.now`` answers "what is one NOS worth in EUR today": the manual rate when there
is one, else the freshest of the direct pair and the pair through USD. ``RateBook.at``
answers the same for a past moment from the ledger's hourly history, for "worth when
earned" of pay that arrived without a rate. A rate older than ``stale_after_s`` is still
used (offline, the last known rate is better than none) but says it is stale; with no
rate at all the answer is None and the amount stays in its own unit.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from desktop.money.units import SCALED, norm

USD = "USD"
STALE_AFTER_S = 30 * 60.0


@dataclass(frozen=True)
class Quote:
    """One unit of ``unit`` is worth ``rate`` ``quote``, as read at ``ts``."""

    unit: str
    quote: str
    rate: Decimal
    ts: float
    source: str  # api | manual | network | same

    def age_s(self, now: float) -> float:
        return max(0.0, now - self.ts)

    def stale(self, now: float, stale_after_s: float = STALE_AFTER_S) -> bool:
        return self.source == "api" and self.age_s(now) > stale_after_s


def _combine(first: Quote, second: Quote, unit: str, quote: str) -> Quote:
    """unit → X → quote: the product, as old as the older of the two."""
    source = first.source if first.source == second.source else "api"
    if "manual" in (first.source, second.source) and "api" not in (first.source, second.source):
        source = "manual"
    return Quote(unit, quote, first.rate * second.rate, min(first.ts, second.ts), source)


class RateBook:
    """The rates known now (latest per pair) plus the user's manual ones (see module doc).

    ``manual`` maps a unit to its worth in the user's ``currency``.
    """

    def __init__(
        self,
        currency: str,
        latest: Iterable[Quote] = (),
        manual: Mapping[str, Decimal] | None = None,
        now: float = 0.0,
        stale_after_s: float = STALE_AFTER_S,
    ) -> None:
        self.currency = norm(currency)
        self.now_ts = now
        self.stale_after_s = stale_after_s
        self.latest: dict[tuple[str, str], Quote] = {}
        for q in latest:
            key = (norm(q.unit), norm(q.quote))
            if key not in self.latest or q.ts > self.latest[key].ts:
                self.latest[key] = q
        self.manual = {norm(u): Decimal(r) for u, r in (manual or {}).items()}

    def _direct(self, unit: str, quote: str) -> Quote | None:
        if unit == quote:
            return Quote(unit, quote, Decimal(1), self.now_ts, "same")
        if quote == self.currency and unit in self.manual:
            return Quote(unit, quote, self.manual[unit], self.now_ts, "manual")
        found = self.latest.get((unit, quote))
        if found is None:
            inverse = self.latest.get((quote, unit))
            if inverse is not None:
                found = Quote(unit, quote, 1 / inverse.rate, inverse.ts, inverse.source)
        return found

    def now(self, unit: str, quote: str | None = None) -> Quote | None:
        """What one ``unit`` is worth in ``quote`` (default: the user's currency), or None."""
        unit, quote = norm(unit), norm(quote or self.currency)
        if unit in SCALED:
            base, factor = SCALED[unit]
            found = self.now(base, quote)
            return (
                None
                if found is None
                else Quote(unit, quote, found.rate * factor, found.ts, found.source)
            )
        direct = self._direct(unit, quote)
        if direct is not None and direct.source in ("manual", "same"):
            return direct
        candidates = [direct] if direct is not None else []
        if USD not in (unit, quote):
            first, second = self._direct(unit, USD), self._direct(USD, quote)
            if first is not None and second is not None:
                candidates.append(_combine(first, second, unit, quote))
        return max(candidates, key=lambda q: q.ts) if candidates else None

    def stale(self, quote: Quote) -> bool:
        return quote.stale(self.now_ts, self.stale_after_s)


class RateHistory:
    """Past rates per pair (the ledger's hourly rows), for the worth of pay when it came."""

    def __init__(self, rows: Iterable[Quote]) -> None:
        series: dict[tuple[str, str], list[Quote]] = defaultdict(list)
        for q in rows:
            series[(norm(q.unit), norm(q.quote))].append(q)
        self._ts: dict[tuple[str, str], list[float]] = {}
        self._rates: dict[tuple[str, str], list[Decimal]] = {}
        for key, quotes in series.items():
            quotes.sort(key=lambda q: q.ts)
            self._ts[key] = [q.ts for q in quotes]
            self._rates[key] = [q.rate for q in quotes]

    def _pair(self, unit: str, quote: str, ts: float) -> Decimal | None:
        """The last rate read at or before ``ts``; the first one after when none is older."""
        for key, invert in (((unit, quote), False), ((quote, unit), True)):
            times = self._ts.get(key)
            if times:
                i = bisect.bisect_right(times, ts)
                rate = self._rates[key][i - 1 if i else 0]
                return 1 / rate if invert else rate
        return None

    def at(self, unit: str, quote: str, ts: float) -> Decimal | None:
        unit, quote = norm(unit), norm(quote)
        if unit == quote:
            return Decimal(1)
        if unit in SCALED:
            base, factor = SCALED[unit]
            found = self.at(base, quote, ts)
            return None if found is None else found * factor
        direct = self._pair(unit, quote, ts)
        if direct is not None:
            return direct
        if USD in (unit, quote):
            return None
        first, second = self._pair(unit, USD, ts), self._pair(USD, quote, ts)
        return None if first is None or second is None else first * second


def parse_simple_price(
    body: object, ids: Mapping[str, str], currencies: Iterable[str], ts: float, reference: str
) -> list[Quote]:
    """Quotes from a CoinGecko ``/simple/price`` body: ``{"nosana": {"usd": 0.61, ...}}``.

    ``ids`` maps our unit to the coin id. Fiat pairs (USD → EUR) come from the reference
    coin's two prices. Anything that is not a positive finite number is skipped, so a
    garbled body yields fewer quotes, never a wrong one; a body that is not an object
    raises ValueError.
    """
    if not isinstance(body, dict):
        raise ValueError("the price API answered something that is not a JSON object")
    wanted = [norm(c) for c in currencies]
    quotes: list[Quote] = []

    def number(coin: str, currency: str) -> Decimal | None:
        prices = body.get(coin)
        if not isinstance(prices, dict):
            return None
        value = prices.get(currency.lower())
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        try:
            amount = Decimal(str(value))
        except ArithmeticError:
            return None
        return amount if amount.is_finite() and amount > 0 else None

    for unit, coin in ids.items():
        for currency in wanted:
            value = number(coin, currency)
            if value is not None:
                quotes.append(Quote(norm(unit), currency, value, ts, "api"))
    usd = number(reference, USD)
    for currency in wanted:
        other = number(reference, currency)
        if usd is not None and other is not None and currency != USD:
            quotes.append(Quote(USD, currency, other / usd, ts, "api"))
    return quotes
