"""The price feed against a local server that answers CoinGecko's documented shapes, and
its failures: rates cached with their time, staleness shown, the manual rate wins, and an
unpriced amount is never 0 nor "$"."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop.ledger import Ledger
from desktop.model import Money
from desktop.money.valuation import Tariff
from desktop.views import money as words
from desktop.worker.price_feed import PriceFeed, rates_in_use
from desktop.worker.supervisor_money import NetworkMoney
from tests.price_server import PriceServer

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def settings(url: str, currency: str = "EUR", manual: str = "") -> Any:
    values = {
        "money.price_api_url": url,
        "money.price_refresh_min": 5,
        "electricity.currency": currency,
        "money.manual_rates": manual,
    }
    return values.get


@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    with Ledger.open(tmp_path / "ledger.sqlite") as opened:
        yield opened


def fetch(feed: PriceFeed) -> int:
    return asyncio.run(feed.fetch_once())


def test_rates_are_cached_with_their_time_and_converted(ledger: Any) -> None:
    clock = Clock()
    with PriceServer() as server:
        feed = PriceFeed(ledger, settings(server.url), clock)
        assert fetch(feed) > 0
        (query,) = server.requests
        assert "nosana" in query["ids"][0] and "bitcoin" in query["ids"][0]
        assert query["vs_currencies"] == ["eur,usd"]
    kept = {(r.unit, r.quote): r for r in ledger.latest_rates()}
    assert kept[("NOS", "USD")].rate == Decimal("0.5") and kept[("NOS", "USD")].ts == T0
    assert kept[("USD", "EUR")].rate == Decimal("0.9")
    money = NetworkMoney(ledger, lambda e: None, lambda: Tariff(currency="EUR"), clock)
    quote = money.book().now("NOS")
    assert quote is not None and quote.rate == Decimal("0.45") and quote.source == "api"
    clock.now += 3600  # an hour later and offline: the last rate, said to be stale
    rate = next(r for r in money.report(1)["rates"] if r["unit"] == "USD")
    assert rate["stale"] is True and rate["age_s"] == 3600.0


@pytest.mark.parametrize("mode", ["429", "500", "garbage", "not_object", "partial"])
def test_errors_keep_the_last_rates_and_say_why(ledger: Any, mode: str) -> None:
    clock = Clock()
    with PriceServer() as server:
        feed = PriceFeed(ledger, settings(server.url), clock)
        assert fetch(feed) > 0
        before = ledger.latest_rates()
        server.mode = mode
        clock.now += 600
        kept = fetch(feed)
    if mode == "partial":  # the one usable price is kept, NaN and -1 are not
        assert kept == 1 and {(r.unit, r.quote) for r in ledger.latest_rates()} >= {
            (r.unit, r.quote) for r in before
        }
        return
    assert kept == 0 and ledger.latest_rates() == before and feed.state.last_error
    assert feed.next_wait_s() > feed.interval_s()  # backs off
    if mode == "429":
        assert "429" in feed.state.last_error


def test_a_timeout_is_an_error_not_a_hang(ledger: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("desktop.worker.price_feed.TIMEOUT_S", 0.5)
    with PriceServer() as server:
        server.mode = "slow"
        feed = PriceFeed(ledger, settings(server.url), Clock())
        assert fetch(feed) == 0
    assert "did not answer" in (feed.state.last_error or "")


def test_the_manual_rate_wins_and_unpriced_pay_stays_in_its_unit(ledger: Any) -> None:
    clock = Clock()
    ledger.record_earning("a", "ionet", "job", Money(Decimal("4"), "IO"), T0 - 60, "j1")
    ledger.record_earning("b", "golem", "job", Money(Decimal("10"), "GLM"), T0 - 30, "j2")
    tariff = Tariff(currency="EUR", manual_rates={"GLM": Decimal("0.3")})
    money = NetworkMoney(ledger, lambda e: None, lambda: tariff, clock)
    totals = money.report(1)["totals"]
    # no rate for IO at all: its amount stays in IO; GLM is valued with the manual rate
    assert totals["unpriced"] == {"IO": "4"} and totals["gross"] == "3.000000"
    assert totals["currency"] == "EUR"
    import msgspec

    from desktop.ipc.schema import EarningsTotals

    shown = words.today_line(msgspec.convert(totals, EarningsTotals, strict=False))
    assert "4 IO (no rate yet)" in shown and "$" not in shown and "0.00 IO" not in shown
    with PriceServer() as server:  # the API's rate for GLM does not replace the user's
        fetch(PriceFeed(ledger, settings(server.url), clock))
    quote = money.book().now("GLM")
    assert quote is not None and quote.rate == Decimal("0.3") and quote.source == "manual"


def test_pay_keeps_the_rate_of_the_moment_worth_when_earned_and_now(ledger: Any) -> None:
    clock = Clock()
    tariff = Tariff(currency="EUR", price_per_kwh=Decimal("0.30"))
    money = NetworkMoney(ledger, lambda e: None, lambda: tariff, clock)
    with PriceServer() as server:
        fetch(PriceFeed(ledger, settings(server.url), clock))
        assert money.credit("nosana", "j1", Money(Decimal("10"), "NOS"), "nosana:j1:pay")
        (row,) = ledger.earnings()
        assert row.usd_rate == Decimal("0.5") and row.money.usd == Decimal("5.0")
        clock.now += 7200
        from tests import price_server

        price_server.PRICES_USD["nosana"] = 0.35  # the token fell 30 %
        try:
            fetch(PriceFeed(ledger, settings(server.url), clock))
        finally:
            price_server.PRICES_USD["nosana"] = 0.5
    totals = money.report(1)["totals"]
    assert totals["gross"] == "4.500000"  # 10 NOS x 0.5 USD x 0.9 EUR, when earned
    assert totals["gross_now"] == "3.150000"  # 10 NOS x 0.35 x 0.9, today


def test_practice_money_is_labelled_and_never_in_real_totals(ledger: Any) -> None:
    clock = Clock()
    money = NetworkMoney(ledger, lambda e: None, lambda: Tariff(currency="EUR"), clock)
    money.credit("demo", "p1", Money(Decimal("2.5"), "DEMO", Decimal("0.25")), "demo:p1:pay")
    totals = money.report(1)["totals"]
    assert totals["gross"] == "0.000000" and totals["unpriced"] == {}
    assert totals["practice"]["gross"] == "0.250000"
    assert totals["practice"]["currency"] == "practice $"
    assert words.amount(Decimal("0.25"), "practice $") == "practice $0.2500"
    assert totals["networks"]["demo"]["currency"] == "practice $"


def test_pay_the_ledger_cannot_write_is_kept_and_written_later(ledger: Any) -> None:
    from desktop.ledger.health import LedgerDiskFull

    clock = Clock()
    events: list[Any] = []
    money = NetworkMoney(ledger, events.append, lambda: Tariff(), clock)
    real = ledger.record_earning
    full = {"on": True}

    def record(*args: Any, **kwargs: Any) -> bool:
        if full["on"]:
            raise LedgerDiskFull("the disk is full")
        return real(*args, **kwargs)

    ledger.record_earning = record
    pay = Money(Decimal("1.5"), "USD", Decimal("1.5"))
    assert money.credit("nosana", "j1", pay, "nosana:j1:pay") is True  # kept, not lost
    assert money.credit("nosana", "j1", pay, "nosana:j1:pay") is True  # once, not twice
    assert len(money.pending) == 1 and events[-1].kind == "network.pay_pending"
    assert ledger.earnings() == []
    full["on"] = False
    assert money.retry_pending() == 1 and money.pending == []
    assert money.retry_pending() == 0
    (row,) = ledger.earnings()
    assert row.idem_key == "nosana:j1:pay" and row.money.amount == Decimal("1.5")
    # a retry of pay already written (the network re-sent it) is not counted twice
    assert money.credit("nosana", "j1", pay, "nosana:j1:pay") is False
    assert len(ledger.earnings()) == 1


def test_rates_have_a_use_only_with_a_paying_network_or_another_currency() -> None:
    assert not rates_in_use([], "USD")
    assert not rates_in_use(["demo"], "usd")  # practice money needs no rate
    assert rates_in_use(["demo", "nosana"], "USD")
    assert rates_in_use([], "EUR")  # estimates and electricity in the user's currency


def test_a_feed_with_nothing_to_value_asks_nothing(ledger: Any) -> None:
    """An idle worker (nothing enrolled, dollars) sends no request and loads no client."""
    asked: list[bool] = []

    def wanted() -> bool:
        asked.append(False)
        return False

    async def run_until_asked(feed: PriceFeed) -> None:
        await feed.start()
        while not asked:
            await asyncio.sleep(0)
        await feed.close()

    with PriceServer() as server:
        feed = PriceFeed(ledger, settings(server.url, currency="USD"), Clock(), wanted=wanted)
        asyncio.run(run_until_asked(feed))
        assert asked and server.requests == []
        assert feed.state.last_ok_ts is None and feed.state.last_error is None
