"""The CLI's tables (desktop/cli/_table.py) and the networks/earnings text, as people read them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from desktop.cli._table import cut, table
from desktop.cli.networks import earnings_text, networks_text
from desktop.ipc.schema_data import EarningsAnswer
from desktop.ipc.schema_networks import NetworksAnswer, Reputation
from desktop.model import NodeState
from desktop.views.money import amount, decimals_for
from tests import api_samples as sample


def test_table_aligns_numbers_and_shrinks_only_what_it_may() -> None:
    rows = [["a", "12", "x" * 50], ["bbbb", "3", "short"]]
    text = table(["NAME", "N", "DETAIL"], rows, width=40, shrink=[2], right={1})
    lines = text.splitlines()
    assert all(len(line) <= 40 for line in lines)
    assert lines[1].startswith("a     12  xxx") and lines[1].endswith("…")
    assert lines[2].startswith("bbbb   3  short")
    wide = table(["NAME", "N", "DETAIL"], rows, width=200, shrink=[2])
    assert "x" * 50 in wide  # room enough: nothing is cut
    assert cut("abcdef", 4) == "abc…" and cut("abc", 4) == "abc"


def test_money_keeps_small_amounts_readable() -> None:
    D = Decimal
    assert decimals_for([D("0.0478"), D("0.0079")]) == 4
    assert decimals_for([D("12.5"), D("0.4")]) == 2 and decimals_for([None, D("0")]) == 2
    assert amount(D("0.04781"), decimals=4) == "$0.0478" and amount(D("-1.5")) == "-$1.50"
    assert amount(D("0.5"), "EUR", 2) == "0.50 EUR" and amount(None) == "–"
    assert amount(D("0.004")) == "$0.0040"  # one small amount alone keeps its cents' worth


NETWORKS = NetworksAnswer(
    networks=[
        sample.record(
            state=NodeState.BUSY,
            earnings_today=sample.money("0.047810", "0.039920"),
            reputation=Reputation(score=67.5, uptime_pct=100.0),
            uptime_pct=96.4,
        ),
        sample.record(
            "nosana",
            state=NodeState.NOT_ENROLLED,
            enrolled=False,
            next_step="Install Docker and add your user to the docker group "
            "(see `rigpilot doctor`).",
            earnings_today=sample.money("0", "0"),
            uptime_pct=None,
        ),
    ]
)


def test_networks_text_for_a_new_user() -> None:
    text = networks_text(NETWORKS, width=80)
    lines = text.splitlines()
    assert lines[0].split() == [
        "NETWORK", "NAME", "STATE", "TODAY", "GROSS", "/", "NET", "REPUTATION", "UPTIME"
    ]  # fmt: skip
    assert "Practice network" in lines[1] and "$0.0478 / $0.0399" in lines[1]
    assert lines[1].rstrip().endswith("68/100     96%")
    assert "Working" in lines[1]  # the app's word for a busy network
    assert "Not enrolled" in lines[2] and "$" not in lines[2]  # no money where none can be
    assert all(len(line) <= 80 for line in lines)
    steps = text.split("Next steps:")[1]
    assert "nosana: Install Docker" in steps and "`rigpilot doctor`" in steps  # never cut


def test_a_held_network_is_paused_in_the_apps_words() -> None:
    held = sample.record(state=NodeState.BUSY, held=sample.user_hold("network", network="demo"))
    text = networks_text(NetworksAnswer(networks=[held]), width=100)
    assert "Paused" in text.splitlines()[1] and "Working" not in text


def earnings(answer: dict[str, Any]) -> EarningsAnswer:
    return msgspec.convert(answer, EarningsAnswer)


def test_earnings_text_adds_up_and_names_the_currency() -> None:
    answer: dict[str, Any] = {
        "days": [
            {
                "date": "2026-11-22",
                "network": "demo",
                "currency": "USD",
                "gross": "0.256810",
                "gross_now": "0.300000",
                "energy_kwh": "0.202906",
                "electricity": "0.041089",
                "net": "0.215721",
                "running_hours": "1.5",
                "unit_amounts": {"NOS": "2.5681"},
            }
        ],
        "totals": {
            "currency": "USD",
            "gross": "0.256810",
            "gross_now": "0.300000",
            "energy_kwh": "0.202906",
            "electricity": "0.041089",
            "net": "0.215721",
        },
        "tariff": {"price_per_kwh": "0.15", "system_overhead_w": "60", "currency": "USD"},
    }
    text = earnings_text(earnings(answer), width=100)
    day, total = text.splitlines()[1:3]
    assert day.split() == [
        "2026-11-22", "demo", "2.5681", "NOS", "$0.2568", "$0.3000", "0.203", "$0.0411",
        "$0.2157",
    ]  # fmt: skip
    assert total.split() == ["total", "$0.2568", "$0.3000", "0.203", "$0.0411", "$0.2157"]
    assert "0.15 USD per kWh" in " ".join(text.split()) and "60 W" in text
    answer["tariff"]["currency"] = "EUR"
    for figures in (answer["days"][0], answer["totals"]):
        figures["currency"] = "EUR"
    text = earnings_text(earnings(answer), width=100)
    assert "0.0411 EUR" in text and "0.2157 EUR" in text and "$" not in text.split("\n\n")[0]
    answer["days"][0]["unpriced"] = answer["totals"]["unpriced"] = {"NOS": "3"}
    answer["days"][0]["gross"] = answer["totals"]["gross"] = "0"
    text = earnings_text(earnings(answer), width=120)
    assert "3 NOS (no rate yet)" in text and "0.0000 EUR gross" not in text
    answer["days"] = []
    assert "Nothing earned" in earnings_text(earnings(answer), width=100)
