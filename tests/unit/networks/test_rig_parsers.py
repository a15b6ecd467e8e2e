"""The pure readers of Clore.ai, Vast.ai and Akash answers on odd inputs (the recorded,
documented ones are the contract suite's): nothing raises, surprises are "unknown"."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from desktop.model import NodeState
from desktop.networks import akash_parse, clore_parse, vast_parse

ODD: list[Any] = [None, 7, "x", [], [1, {}], {"config": []}, {"config": {"online": "yes"}}]


@pytest.mark.parametrize("doc", ODD)
def test_odd_clore_answers_are_unknown(doc: Any) -> None:
    snap = clore_parse.rig_status(doc, None, 1.0)
    assert snap.state is NodeState.UNKNOWN and snap.message


@pytest.mark.parametrize("rental", [7, -1, True, "2", 1.5, [2], {"a": 1}, None])
def test_a_clore_rental_status_never_documented_is_unknown(rental: Any) -> None:
    doc = {"code": 0, "config": {"online": True, "connected": True, "rental_status": rental}}
    snap = clore_parse.rig_status(doc, None, 1.0)
    assert snap.state is NodeState.UNKNOWN and "rental status" in snap.message


def test_clore_wallets_keep_known_units_with_a_balance() -> None:
    doc = {
        "wallets": [
            {"name": "CLORE-Blockchain", "balance": "12.5"},
            {"name": "bitcoin", "balance": 0.1},
            {"name": "USD-Blockchain", "balance": 3},
            {"name": "dogecoin", "balance": 9},
            {"name": ["bitcoin"], "balance": 1},
            {"name": "bitcoin", "balance": "NaN"},
            {"name": "bitcoin", "balance": True},
            "junk",
        ]
    }
    money = clore_parse.wallet_balances(doc)
    assert [(m.unit, m.amount, m.usd) for m in money] == [
        ("CLORE", Decimal("12.5"), None),
        ("BTC", Decimal("0.1"), None),
        ("USD", Decimal(3), Decimal(3)),
    ]
    assert clore_parse.wallet_balances({"wallets": "none"}) == []


@pytest.mark.parametrize(
    ("value", "read"),
    [("2/4", (2, 4)), (" 0 / 1 ", (0, 1)), ("5/4", None), ("D _", None), (3, None), (None, None)],
)
def test_vast_occupancy(value: Any, read: tuple[int, int] | None) -> None:
    assert vast_parse.occupancy(value) == read


def test_vast_machines_without_an_integer_id_are_left_out() -> None:
    doc = {"machines": [{"id": 1}, {"id": "2"}, {"id": True}, {"id": "x"}, {"name": "n"}, 5]}
    assert [vast_parse.machine_id(m) for m in vast_parse.machines(doc) or []] == [1, 2]
    assert vast_parse.machines({"machines": {}}) is None


def test_vast_listing_terms_need_a_gpu_price() -> None:
    machine = {"listed_gpu_cost": 0.4, "min_bid_price": "0.3", "credit_discount_max": 0.1}
    assert vast_parse.listing_terms(machine) == {"price_gpu": 0.4, "credit_discount_max": 0.1}
    assert vast_parse.listing_terms({"listed_gpu_cost": 0, "min_bid_price": 0.3}) == {}


def test_vast_earnings_readers_skip_what_is_not_money() -> None:
    doc = {
        "summary": {"total_gpu": 1.5, "total_stor": "x", "total_bwu": None},
        "current": {"balance": "7"},
        "per_day": [{"day": 3, "gpu_earn": 1}, {"day": 3, "sto_earn": 0.5}, {"day": "4"}, 9],
    }
    assert vast_parse.total(doc) == Decimal("1.5")
    assert vast_parse.balance(doc) is None  # a balance must be a number
    assert vast_parse.days(doc) == {3: Decimal("1.5")}
    assert vast_parse.total({"summary": []}) is None


@pytest.mark.parametrize("doc", ODD)
def test_odd_akash_answers_are_unknown(doc: Any) -> None:
    snap = akash_parse.provider_status(doc, None, 1.0)
    assert snap.state is NodeState.UNKNOWN and snap.message


@pytest.mark.parametrize(
    ("status", "leases"),
    [
        ({"cluster": {"leases": 3}}, 3),
        ({"cluster": {"leases": {"active": 2}}}, 2),
        ({"cluster": {"leases": -1}}, None),
        ({"cluster": {"leases": True}}, None),
        ({"cluster": []}, None),
        ([], None),
    ],
)
def test_akash_leases_from_either_shape_of_provider_status(status: Any, leases: int | None) -> None:
    assert akash_parse.leases_of(status) == leases


def test_akash_addresses_and_micro_units() -> None:
    assert akash_parse.ADDRESS.fullmatch("akash1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnrujsuw")
    for bad in (
        "akash1short",
        "cosmos1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnrujsuw",
        "akash1" + "b" * 38,
    ):
        assert not akash_parse.ADDRESS.fullmatch(bad)  # "b" is not in bech32
    earned = akash_parse.earned(
        {"earnings": {"totalUAktEarned": 1_500_000, "totalUUsdcEarned": float("inf")}}
    )
    assert earned is not None and [(m.unit, m.amount) for m in earned] == [("AKT", Decimal("1.5"))]
    assert akash_parse.earned({"earnings": None}) is None
    assert akash_parse.reputation({"uptime30d": 7, "isAudited": "yes"}) is None
