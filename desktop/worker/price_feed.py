"""The price feed: token and currency rates from a public price API, every few minutes.

Why in the worker: the GUI and CLI never reach the internet (ARCHITECTURE.md), and pay
must be valued with the rate of the moment it arrives. The feed asks one
``/simple/price`` request (CoinGecko's documented shape: ``?ids=nosana,...&vs_currencies=
usd,eur``) for every token RigPilot knows plus a reference coin for fiat rates, at most
every ``money.price_refresh_min`` minutes, and keeps the answer in the ledger with its
time. Errors never stop it: a 429 or 5xx waits longer (backoff up to an hour), garbage
is refused whole, and the last known rates stay in force, labelled stale once old.

It asks only while a rate has a use (``wanted``: the wiring says a network that pays is
enrolled, or the user's currency is not the dollar): most workers run all day with no
such network, and an idle worker should neither reach the internet on a timer nor load
an HTTP client (httpx is imported at the first request; issue 18).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop.ledger.health import LedgerError
from desktop.ledger.money import StoredRate
from desktop.money import units
from desktop.money.rates import parse_simple_price
from desktop.settings.schema import FIELDS

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
TIMEOUT_S = 10.0
MAX_BACKOFF_S = 3600.0
DEFAULT_URL = str(FIELDS["money.price_api_url"].default)


def rates_in_use(enrolled: Iterable[str], currency: str) -> bool:
    """Whether a rate has a use: a network that pays (not practice money) is enrolled, or
    the user counts in a currency other than the dollar (estimates, electricity)."""
    paying = any(not units.is_practice_network(network) for network in enrolled)
    return paying or (currency or "USD").upper() != "USD"


@dataclass
class FeedState:
    """How the price feed fares: its last success, its last error, failures in a row."""

    last_ok_ts: float | None = None
    last_error: str | None = None
    failures: int = 0


class PriceFeed:
    def __init__(
        self,
        ledger: Any,
        settings: Callable[[str], Any],
        now: Callable[[], float],
        transport: httpx.AsyncBaseTransport | None = None,
        wanted: Callable[[], bool] = lambda: True,
    ) -> None:
        self.ledger, self.settings, self.now = ledger, settings, now
        self.transport, self.wanted = transport, wanted
        self.state = FeedState()
        self._task: asyncio.Task[None] | None = None

    def interval_s(self) -> float:
        minutes = self.settings("money.price_refresh_min") or 5
        return max(120.0, float(minutes) * 60.0)

    def base_url(self) -> str:
        """The setting; where it is the default, ``RIGPILOT_PRICE_API_URL`` may replace it
        (tests and offline machines point it at loopback)."""
        url = str(self.settings("money.price_api_url") or DEFAULT_URL).rstrip("/")
        if url == DEFAULT_URL.rstrip("/"):
            url = os.environ.get("RIGPILOT_PRICE_API_URL", url).rstrip("/")
        return url

    def currencies(self) -> list[str]:
        currency = str(self.settings("electricity.currency") or "USD").upper()
        return sorted({"USD", currency})

    async def fetch_once(self) -> int:
        """One request; the number of rates kept. Raises nothing: errors go to ``state``."""
        import httpx  # here: a worker that values nothing never loads it

        base = self.base_url()
        ids = dict(units.PRICE_IDS)
        params = {
            "ids": ",".join(sorted({*ids.values(), units.REFERENCE_ID})),
            "vs_currencies": ",".join(c.lower() for c in self.currencies()),
        }
        try:
            async with httpx.AsyncClient(
                timeout=TIMEOUT_S, transport=self.transport, follow_redirects=False
            ) as client:
                response = await client.get(f"{base}/simple/price", params=params)
            if response.status_code == 429:
                raise RuntimeError("the price API says too many requests (429); waiting longer")
            if response.status_code >= 400:
                raise RuntimeError(f"the price API answered HTTP {response.status_code}")
            if len(response.content) > 1_000_000:
                raise RuntimeError("the price API answered more than 1 MB")
            quotes = parse_simple_price(
                response.json(), ids, self.currencies(), self.now(), units.REFERENCE_ID
            )
            if not quotes:
                raise RuntimeError("the price API's answer held no usable price")
        except (httpx.HTTPError, ValueError, RuntimeError) as exc:
            text = str(exc) or type(exc).__name__
            if isinstance(exc, httpx.TimeoutException):
                text = f"the price API did not answer within {TIMEOUT_S:g} s"
            elif isinstance(exc, ValueError):
                text = f"the price API answered something unreadable ({text})"
            self.state.last_error, self.state.failures = text, self.state.failures + 1
            log.info("price feed: %s", text)
            return 0
        rows = [StoredRate(q.unit, q.quote, q.rate, q.ts, q.source) for q in quotes]
        try:
            kept = await asyncio.to_thread(self.ledger.record_rates, rows)
        except LedgerError as exc:
            self.state.last_error = f"rates not kept: {exc}"
            return 0
        self.state.last_ok_ts, self.state.last_error, self.state.failures = self.now(), None, 0
        return kept

    def next_wait_s(self) -> float:
        if not self.state.failures:
            return self.interval_s()
        return min(MAX_BACKOFF_S, self.interval_s() * 2 ** min(self.state.failures, 5))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="price-feed")

    async def _run(self) -> None:
        while True:
            if self.wanted():
                await self.fetch_once()
                await asyncio.sleep(self.next_wait_s())
            else:  # nothing to value: look again at the next interval, without a request
                await asyncio.sleep(self.interval_s())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
