"""Months of money from a 120-day ledger: the totals, history, ROI and payback equal a hand
computation, and the CSV export adds up to the JSON report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from desktop.ipc import schema_money as m
from desktop.ipc.schema_data import EarningsAnswer
from desktop.money.valuation import Tariff
from desktop.views.money_csv import earnings_csv
from desktop.worker.money_api import MoneyApi
from desktop.worker.supervisor_money import NetworkMoney
from tests import money_ledger as gen

Q = Decimal("0.000001")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Any:
    ledger = gen.build(tmp_path_factory.mktemp("months") / "ledger.sqlite")
    yield ledger
    ledger.close()


def desk(ledger: Any, **settings: Any) -> tuple[NetworkMoney, MoneyApi]:
    tariff = Tariff(price_per_kwh=gen.PRICE, currency="EUR")
    money = NetworkMoney(ledger, lambda e: None, lambda: tariff, lambda: gen.NOW)
    api = MoneyApi(money, ledger, settings.get, lambda: [], None, lambda: gen.NOW)
    return money, api


def test_totals_and_days_equal_the_hand_computation(built: Any) -> None:
    money, _ = desk(built)
    report = msgspec.convert(money.report(gen.DAYS), EarningsAnswer)
    days = [gen.by_hand_day(d) for d in range(gen.DAYS)]
    gross = sum((g for g, _ in days), Decimal(0))
    electricity = sum((e for _, e in days), Decimal(0))
    assert report.totals.currency == "EUR"
    assert report.totals.gross == gross.quantize(Q) == Decimal("690.120000")
    assert report.totals.electricity == electricity.quantize(Q) == Decimal("144.000000")
    assert report.totals.net == (gross - electricity).quantize(Q)
    assert report.totals.unpriced == {"IO": Decimal(240)}  # never counted, never 0
    assert report.totals.practice is not None
    assert report.totals.practice.gross == Decimal("30.000000")  # 120 x practice $0.25
    # worth now: every NOS at today's 0.638 USD x 0.90
    now = Decimal(1200) * gen.nos_usd(gen.DAYS - 1) * Decimal("0.9") + Decimal(144) * Decimal("0.9")
    assert report.totals.gross_now == now.quantize(Q)
    first = next(d for d in report.days if d.network == "nosana")
    assert first.date == gen.FIRST_DAY.isoformat() and first.gross == Decimal("3.600000")


def test_history_has_utilisation_uptime_and_reputation(built: Any) -> None:
    _, api = desk(built)
    answer = api.history_now(m.HistoryQuery(days=gen.DAYS))
    use = [u for u in answer.use if u.network == "nosana"]
    assert len(use) == gen.DAYS
    assert all(u.utilisation_pct == 80.0 and u.online_hours == 10.0 for u in use)
    assert use[0].uptime_pct == pytest.approx(100 * 10 / 24, abs=0.01)
    scores = [p.score for p in answer.reputation if p.network == "nosana"]
    assert scores[0] == 80.0 and scores[-1] == pytest.approx(91.9)


def test_roi_and_payback_equal_a_hand_computation(built: Any) -> None:
    _, api = desk(built, **{"roi.card_cost": 700.0})
    answer = api.roi_now(m.RoiQuery())
    # by hand: net so far, then the last 30 days' average
    net = sum((g - e for g, e in map(gen.by_hand_day, range(gen.DAYS))), Decimal(0))
    recent = [gen.by_hand_day(d) for d in range(gen.DAYS - 30, gen.DAYS)]
    gross_rate = sum((g for g, _ in recent), Decimal(0)) / 30
    elec_rate = Decimal("1.2")
    assert answer.net_so_far == net == Decimal("546.12")
    assert answer.gross_per_day == gross_rate and answer.electricity_per_day == elec_rate
    today = gen.FIRST_DAY + dt.timedelta(days=gen.DAYS - 1)
    for scenario, k in zip(answer.scenarios, ("0.7", "1", "1.3"), strict=True):
        rate = gross_rate * Decimal(k) - elec_rate
        days = math.ceil((Decimal(700) - net) / rate)
        assert scenario.payback_date == (today + dt.timedelta(days=days)).isoformat()
    assert [s.payback_date for s in answer.scenarios] == ["2026-08-14", "2026-07-28", "2026-07-20"]
    # what if the token fell 50 % and the card could be sold for 300
    what_if = api.roi_now(m.RoiQuery(price_change_pct=-50, resale_value=300))
    rate = gross_rate * Decimal("0.5") - elec_rate
    days = math.ceil((Decimal(700) - Decimal(300) - net) / rate)
    assert (
        days <= 0
        or what_if.scenarios[1].payback_date == (today + dt.timedelta(days=days)).isoformat()
    )
    assert what_if.scenarios[1].paid_back and what_if.what_if


def test_the_csv_opens_with_csv_and_adds_up_to_the_json(built: Any) -> None:
    money, api = desk(built)
    rows_answer = api.rows_now(m.EarningRowsQuery(days=gen.DAYS))
    report = msgspec.convert(money.report(gen.DAYS), EarningsAnswer)
    rows = list(csv.DictReader(io.StringIO(earnings_csv(rows_answer))))
    earnings = [r for r in rows if r["kind"] != "electricity"]
    assert len(earnings) == 5 * gen.DAYS  # one row per earning
    real = [r for r in rows if r["practice"] == "no"]
    value = sum((Decimal(r["value"]) for r in real if r["value"]), Decimal(0))
    cost = sum((Decimal(r["electricity"]) for r in real if r["electricity"]), Decimal(0))
    assert value.quantize(Q) == report.totals.gross
    assert cost.quantize(Q) == report.totals.electricity
    assert (value - cost).quantize(Q) == report.totals.net
    io_rows = [r for r in earnings if r["unit"] == "IO"]
    assert all(r["value"] == "" and r["amount"] == "2" for r in io_rows)  # unpriced: no 0
    assert {r["currency"] for r in real} == {"EUR"}


def test_the_report_reads_the_rollup_not_every_payment(built: Any, tmp_path: Path) -> None:
    with built._db.read() as conn:
        hours = conn.execute("SELECT COUNT(*) FROM pay_hourly").fetchone()[0]
        rows = conn.execute("SELECT COUNT(*) FROM earnings").fetchone()[0]
    assert rows == 5 * gen.DAYS and hours == rows  # one payment an hour here: same count
