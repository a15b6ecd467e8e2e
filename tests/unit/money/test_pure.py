"""The pure money parts: recorded market data and estimates, wear, ROI with depreciation,
and the new kinds of setting (rates, a date, an address)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.money import roi
from desktop.money.estimates import estimates, model_of
from desktop.money.market_data import RECORDS
from desktop.money.wear import WearState, observe
from desktop.settings.errors import SettingsError
from desktop.settings.schema import FIELDS

DATA = Path(__file__).resolve().parents[2] / "data"


def test_the_shipped_market_data_is_the_recorded_data() -> None:
    recorded = [json.loads((DATA / n / "market.json").read_text()) for n in
                ("nosana", "vast", "clore", "ionet")]  # fmt: skip
    assert recorded == RECORDS
    assert all(r["source"] and dt.date.fromisoformat(r["recorded"]) for r in recorded)


@pytest.mark.parametrize("card", ["NVIDIA GeForce RTX 3080", "NVIDIA GeForce RTX 3090",
                                  "NVIDIA GeForce RTX 4090"])  # fmt: skip
def test_estimates_per_card_say_where_there_is_no_data(card: str) -> None:
    model, watts, found = estimates(
        RECORDS, card, None, Decimal(60), Decimal(70), Decimal("0.30"), Decimal("0.9")
    )
    by = {e.network: e for e in found}
    assert by["nosana"].has_data and by["nosana"].gross_low is not None
    assert not by["clore"].has_data and "No recorded Clore.ai price" in by["clore"].note
    assert by["vast"].has_data == (model != "RTX 3080")
    nos = by["nosana"]
    price = Decimal(RECORDS[0]["gpus"][model]["usd_per_hour_low"])
    assert nos.gross_low == (price * 24 * Decimal("0.7") * Decimal("0.9")).quantize(
        Decimal("0.0001")
    )
    kwh = (watts + 60) * 24 * Decimal("0.7") / 1000
    assert nos.electricity == (kwh * Decimal("0.30")).quantize(Decimal("0.0001"))
    assert nos.net_low == nos.gross_low - nos.electricity


def test_models_are_read_from_driver_names() -> None:
    assert model_of("NVIDIA GeForce RTX 3080 Ti") == "RTX 3080 Ti"
    assert model_of("NVIDIA GeForce RTX 4070 SUPER") == "RTX 4070 Super"
    assert model_of("NVIDIA A100-SXM4-40GB") is None


def test_wear_counts_hot_hours_cycles_peaks_and_energy() -> None:
    state = WearState("GPU-1", "RTX 3080", 10.0, 10.0)  # made at the first sample
    temps = [40, 60, 78, 85, 86, 70, 45, 50, 80, 84, 40]  # two heat cycles
    for i, t in enumerate(temps, 1):
        state = observe(state, i * 10.0, t, 90.0 if t > 80 else None, 200.0,
                        1000.0 + i * 2000.0, soft_limit_c=83)  # fmt: skip
    assert state.thermal_cycles == 2
    assert state.above_soft_s == 30.0  # 85, 86, 84 °C: three 10 s samples
    assert state.peak_core_c == 86 and state.peak_mem_c == 90.0
    assert state.energy_j == 2000.0 * (len(temps) - 1)  # the counter, not power x time
    later = observe(state, 10_000.0, 50, None, 200.0, None, 83)  # a long gap: not counted
    assert later.energy_j == state.energy_j and later.above_soft_s == state.above_soft_s


def test_roi_with_depreciation_by_hand() -> None:
    today = dt.date(2026, 12, 6)
    days = [roi.DayNet(today - dt.timedelta(days=i), Decimal(3), Decimal(1)) for i in range(10)]
    inputs = roi.RoiInputs(card_cost=Decimal(730), purchase_date=today - dt.timedelta(days=9),
                           depreciation_pct_per_year=Decimal(50))  # fmt: skip
    result = roi.compute(days, inputs, today)
    # value lost so far: 730 x 50 % x 9/365 = 9; net so far 20: already paid back
    assert result.net_so_far == 20 and result.card_value_now == Decimal(730) - Decimal(9)
    assert all(s.paid_back for s in result.scenarios)
    # without depreciation or resale the whole price: (730 - 20) / 2 a day = 355 days
    plain = roi.compute(days, roi.RoiInputs(card_cost=Decimal(730)), today)
    assert plain.scenarios[1].payback_date == today + dt.timedelta(days=355)
    # token prices 70 %: 3 x 0.7 - 1 = 1.1 a day; at a loss per day it is never paid back
    assert plain.scenarios[0].net_per_day == Decimal("1.1")
    losing = roi.compute([roi.DayNet(today, Decimal(1), Decimal(2))],
                         roi.RoiInputs(card_cost=Decimal(500)), today)  # fmt: skip
    assert [s.payback_date for s in losing.scenarios] == [None, None, None]


@pytest.mark.parametrize(
    ("key", "value"),
    [("money.manual_rates", "NOS=abc"), ("money.manual_rates", "NOS=0"),
     ("roi.purchase_date", "2026-02-30"), ("roi.purchase_date", "yesterday"),
     ("money.price_api_url", "ftp://x"), ("money.price_api_url", "http://a b")],
)  # fmt: skip
def test_bad_money_settings_are_refused_naming_the_rule(key: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        FIELDS[key].check(value)
    assert key in caught.value.message
