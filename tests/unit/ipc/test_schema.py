"""The typed contract: every answer survives the wire, requests keep their own rules, and
the version header parses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest

from desktop.ipc.codec import decode_answer, encode, encode_answer, event_data
from desktop.ipc.endpoints import ENDPOINTS
from desktop.ipc.protocol import ApiError, parse_protocol
from desktop.ipc.schema import (
    HoldsAnswer,
    PauseRequest,
    PauseScope,
    RequestProblem,
    ResumeRequest,
    StatusAnswer,
)
from desktop.ipc.schema_data import (
    EarnedData,
    EarningsAnswer,
    EventsAnswer,
    GuardData,
    SettingsAnswer,
    TelemetryQuery,
)
from desktop.ipc.schema_networks import NetworkChange, NetworksAnswer
from desktop.model import Event, GpuState, Severity
from tests import api_samples as sample

NOW = sample.NOW


def round_trip(value: Any) -> Any:
    """What a client decodes of what the server encodes."""
    return decode_answer(encode_answer(value), type(value))


@pytest.mark.parametrize(
    "answer",
    [
        sample.status(),
        sample.paused_status(reason="gaming", until=NOW + 3600),
        HoldsAnswer(user_holds=[sample.user_hold()], gpus={0: [sample.user_hold()]}),
        NetworksAnswer(networks=[sample.record(), sample.record("nosana", enrolled=False)]),
        NetworkChange(status=sample.record()),
    ],
    ids=["status", "paused status", "holds", "networks", "network change"],
)
def test_answers_survive_the_wire(answer: Any) -> None:
    assert round_trip(answer) == answer


def test_the_wire_form_is_plain_json_with_the_protocol_first() -> None:
    raw = encode_answer(sample.paused_status())
    assert raw.startswith(b'{"protocol":3,')
    body = msgspec.json.decode(raw)
    assert body["gpus"][0]["state"] == "paused"
    assert body["user_holds"][0] == {
        "kind": "user",
        "action": "pause",
        "reason": "",
        "since": NOW - 60,
        "until": None,
        "scope": "all",
        "gpu": None,
        "network": None,
    }
    assert body["earnings_today"]["gross"] == "0.2460"  # money is a decimal string


def test_every_endpoint_answer_decodes_a_worker_answer() -> None:
    """The types of the table decode what the worker builds (money, enums, dataclasses)."""
    earnings = msgspec.convert(
        {
            "days": [
                {
                    "date": "2026-03-01",
                    "network": "demo",
                    "currency": "EUR",
                    "gross": "0.42",
                    "gross_now": None,
                    "energy_kwh": "0.2",
                    "running_hours": "1.5",
                    "electricity": "0.11",
                    "net": "0.31",
                    "unit_amounts": {"NOS": "42"},
                }
            ],
            "totals": sample.to_json(sample.totals()),
            "tariff": {"price_per_kwh": "0.40", "system_overhead_w": "60", "currency": "EUR"},
        },
        EarningsAnswer,
    )
    assert earnings.days[0].unit_amounts == {"NOS": Decimal("42")}
    assert round_trip(earnings) == earnings
    settings = msgspec.convert(
        {
            "settings": {"a.b": 3},
            "schema": {
                "a.b": {
                    "type": "number",
                    "default": 2,
                    "min": 1,
                    "max": 5,
                    "choices": None,
                    "nullable": False,
                    "unit": "s",
                    "help": "how often",
                    "allowed": "a number from 1 to 5 s",
                }
            },
            "warnings": [],
        },
        SettingsAnswer,
    )
    assert round_trip(settings) == settings
    event = Event(NOW, "user.pause", Severity.INFO, "Paused all work", seq=3)
    assert round_trip(EventsAnswer(events=[event], last_seq=3)).events == [event]
    assert {e.answer for e in ENDPOINTS} >= {StatusAnswer, HoldsAnswer, EarningsAnswer}


def test_pause_requests_keep_their_own_rules() -> None:
    assert PauseRequest() == PauseRequest(scope=PauseScope.ALL)
    with pytest.raises(RequestProblem) as caught:
        PauseRequest(scope=PauseScope.GPU)
    assert caught.value.field == "gpu"
    with pytest.raises(RequestProblem, match="with scope 'network' only"):
        ResumeRequest(network="demo")
    timed = PauseRequest(until_ts=NOW + 3600)
    timed.check(NOW)  # an hour ahead is fine
    with pytest.raises(RequestProblem, match="in the past"):
        timed.check(NOW + 7200)
    with pytest.raises(RequestProblem, match="at most a year"):
        PauseRequest(until_ts=NOW + 400 * 86400).check(NOW)
    with pytest.raises(msgspec.ValidationError, match="either 'since' or 'range'"):
        msgspec.convert({"since": 1, "range": "1h"}, TelemetryQuery)


def test_event_data_decodes_the_payloads_clients_read() -> None:
    earned = Event(
        NOW,
        "network.earned",
        Severity.INFO,
        "demo: +42 PLAY",
        network="demo",
        data={"job_id": "j1", "amount": "42", "unit": "PLAY", "usd": "0.042"},
    )
    assert event_data(earned, EarnedData) == EarnedData(
        job_id="j1", amount=Decimal("42"), unit="PLAY", usd=Decimal("0.042")
    )
    assert event_data(earned, GuardData) is None  # not a guard event's data


def test_states_are_enums_on_both_sides() -> None:
    status = round_trip(sample.status())
    assert status.gpus[0].state is GpuState.WORKING
    assert encode(GpuState.PAUSED) == b'"paused"'


def test_api_error_status_defaults_from_the_code() -> None:
    assert ApiError("unavailable", "x").status == 503
    assert ApiError("not_found", "x").status == 404
    assert ApiError("image_not_pinned", "x", 422).status == 422


@pytest.mark.parametrize(
    ("header", "major"), [("2", 2), ("2.4", 2), ("1", 1), (" 3.0 ", 3), ("x", None), (None, None)]
)
def test_protocol_header_major(header: str | None, major: int | None) -> None:
    assert parse_protocol(header) == major
