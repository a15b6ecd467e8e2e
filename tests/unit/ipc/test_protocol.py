"""The shared contract: pause orders, error bodies, version parsing."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.ipc.protocol import ApiError, PauseRequest, parse_protocol

NOW = 1_800_000_000.0


def test_pause_defaults_to_everything() -> None:
    assert PauseRequest.from_json({}, now=NOW) == PauseRequest("all", None, None, None, "")


def test_pause_of_one_gpu_for_an_hour() -> None:
    order = PauseRequest.from_json(
        {"scope": "gpu", "gpu": 1, "until_ts": NOW + 3600, "reason": " gaming "}, now=NOW
    )
    assert order == PauseRequest("gpu", 1, None, NOW + 3600, "gaming")
    assert PauseRequest.from_json(order.to_json(), now=NOW) == order


def test_scope_drops_unrelated_targets() -> None:
    order = PauseRequest.from_json({"scope": "network", "network": "nosana", "gpu": 2}, now=NOW)
    assert (order.gpu, order.network) == (None, "nosana")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "planet"}, "scope"),
        ({"scope": "gpu"}, "gpu"),
        ({"scope": "gpu", "gpu": -1}, "gpu"),
        ({"scope": "gpu", "gpu": True}, "gpu"),
        ({"scope": "gpu", "gpu": "0"}, "gpu"),
        ({"scope": "network"}, "network"),
        ({"scope": "network", "network": "  "}, "network"),
        ({"until_ts": NOW - 1}, "until_ts"),
        ({"until_ts": NOW + 400 * 86400}, "until_ts"),
        ({"until_ts": "tomorrow"}, "until_ts"),
        ({"until_ts": float("inf")}, "until_ts"),
        ({"reason": 5}, "reason"),
        ({"reason": "x" * 201}, "reason"),
        ({"scope": "all", "colour": "red"}, "colour"),
    ],
)
def test_bad_pause_orders_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ApiError) as caught:
        PauseRequest.from_json(body, now=NOW)
    assert caught.value.code == "invalid_request"
    assert caught.value.status == 422
    assert caught.value.field == field


def test_resume_ignores_until() -> None:
    order = PauseRequest.from_json({"until_ts": NOW - 10}, now=NOW, resume=True)
    assert order.until_ts is None


def test_api_error_round_trips_through_json() -> None:
    error = ApiError("invalid_setting", "too hot", 422, "thermal.pause_limit_c", "55 to 100")
    body = error.to_json()
    assert body["protocol"] == 1
    again = ApiError.from_json(422, body)
    assert (again.code, again.message, again.status, again.field, again.allowed) == (
        "invalid_setting",
        "too hot",
        422,
        "thermal.pause_limit_c",
        "55 to 100",
    )


def test_status_defaults_from_the_code() -> None:
    assert ApiError("unavailable", "x").status == 503
    assert ApiError("not_found", "x").status == 404


@pytest.mark.parametrize(
    ("header", "major"), [("1", 1), ("1.4", 1), ("2", 2), (" 3.0 ", 3), ("x", None), (None, None)]
)
def test_protocol_header_major(header: str | None, major: int | None) -> None:
    assert parse_protocol(header) == major
