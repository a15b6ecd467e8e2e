"""Net earnings per network and day, checked against hand computations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from desktop.earnings import DayUsage, Tariff, net_day, net_report, tariff_from_settings, totals

TARIFF = Tariff(price_per_kwh=Decimal("0.25"), system_overhead_w=Decimal("80"))


def usage(network: str, gross: str, kwh: str, hours: float, **kw: object) -> DayUsage:
    return DayUsage("2026-03-01", network, Decimal(gross), Decimal(kwh), hours * 3600, **kw)  # type: ignore[arg-type]


def test_net_matches_a_hand_computation() -> None:
    demo = net_day(usage("demo", "0.65", "0.5", 2.0, unit_amounts={"DEMO": Decimal("6.5")}), TARIFF)
    # GPU 0.5 kWh + 80 W x 2 h = 0.16 kWh -> 0.66 kWh x 0.25 = 0.165; 0.65 - 0.165 = 0.485
    assert demo.electricity_cost == Decimal("0.165") and demo.net_usd == Decimal("0.485")
    assert demo.running_hours == Decimal("2") and demo.unit_amounts == {"DEMO": Decimal("6.5")}
    nosana = net_day(usage("nosana", "1.2", "0.15", 0.5), TARIFF)
    # 0.15 + 0.04 = 0.19 kWh x 0.25 = 0.0475; 1.2 - 0.0475 = 1.1525
    assert nosana.electricity_cost == Decimal("0.0475") and nosana.net_usd == Decimal("1.1525")
    total = totals([demo, nosana])
    assert Decimal(total["net_usd"]) == Decimal("1.6375")
    assert Decimal(total["electricity_cost"]) == Decimal("0.2125")
    assert Decimal(total["networks"]["demo"]["gross_usd"]) == Decimal("0.65")


def test_running_without_pay_costs_money() -> None:
    row = net_day(usage("demo", "0", "0.1", 1.0), TARIFF)
    assert row.net_usd is not None and row.net_usd < 0
    assert row.net_usd == -((Decimal("0.1") + Decimal("0.08")) * Decimal("0.25"))


def test_a_non_usd_price_gives_no_made_up_net() -> None:
    row = net_day(usage("demo", "1", "1", 1.0), Tariff(Decimal("0.3"), Decimal("0"), "EUR"))
    assert row.electricity_cost == Decimal("0.3") and row.net_usd is None
    assert totals([row])["net_usd"] is None and row.to_json()["net_usd"] is None


def test_report_from_ledger_rows() -> None:
    ledger_day = SimpleNamespace(
        date=dt.date(2026, 3, 1),
        network="demo",
        gross_usd=Decimal("2"),
        amounts={"DEMO": Decimal("20")},
        unpriced=1,
        energy_kwh=0.4,
        running_s=7200.0,
    )
    body = net_report([DayUsage.from_ledger(ledger_day)], TARIFF)
    (day,) = body["days"]
    assert day["date"] == "2026-03-01" and day["unit_amounts"] == {"DEMO": "20"}
    # (0.4 + 0.16) x 0.25 = 0.14
    assert day["electricity_cost"] == "0.140000" and day["net_usd"] == "1.860000"
    assert day["unpriced"] == 1 and body["tariff"]["currency"] == "USD"


def test_tariff_from_settings_tolerates_bad_values() -> None:
    values = {
        "electricity.price_per_kwh": 0.15,
        "electricity.system_overhead_w": 60,
        "electricity.currency": "usd",
    }
    assert tariff_from_settings(values.get) == Tariff(Decimal("0.15"), Decimal("60"), "USD")
    broken = {"electricity.price_per_kwh": "abc", "electricity.system_overhead_w": -5}
    assert tariff_from_settings(broken.get) == Tariff(Decimal("0"), Decimal("0"), "USD")
