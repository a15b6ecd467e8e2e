"""Hostile bodies and headers get a 4xx JSON answer whose code names the problem.

Each case here was a 500 ``internal`` (or plain text) before: deep nesting, integers too
large for a float, NaN, duplicate keys, lone surrogates, odd ``RigPilot-Protocol`` and
``Content-Length`` values. Over the real app and the fake controller of test_server.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from desktop.ipc.body import MAX_DEPTH, parse_json_object
from desktop.ipc.protocol import ApiError
from tests.unit.ipc.test_server import AUTH, ApiCaller, FakeController

DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
def client() -> ApiCaller:
    return ApiCaller(FakeController())


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"a":' + DEEP + b"}", "json_too_deep"),
        (b'{"a":' + b"[" * 900 + b"]" * 900 + b"}", "json_too_deep"),  # decodes, too deep
        (b'{"until_ts":1' + b"0" * 400 + b"}", "number_out_of_range"),
        (b'{"until_ts":1' + b"0" * 5000 + b"}", "number_out_of_range"),  # past int()'s limit
        (b'{"until_ts":1e999}', "number_out_of_range"),
        (b'{"until_ts":NaN}', "number_out_of_range"),
        (b'{"until_ts":-Infinity}', "number_out_of_range"),
        (b'{"scope":"all","scope":"gpu"}', "duplicate_key"),
        (b'{"reason":"\\ud800"}', "invalid_text"),
        (b'{"\\udfff":1}', "invalid_text"),
        (b"\xff\xfe{}", "invalid_json"),
        (b'{"a":1', "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'"text"', "invalid_json"),
    ],
)
@pytest.mark.parametrize("route", ["POST /v1/pause", "PATCH /v1/settings", "POST /v1/jobs"])
def test_hostile_bodies_are_400_with_a_code(
    client: ApiCaller, route: str, body: bytes, code: str
) -> None:
    method, path = route.split()
    answer = client.request(method, path, content=body, headers=AUTH)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["code"] == code
    assert answer.json()["message"].startswith("the request body")


def test_a_duplicate_key_is_named() -> None:
    with pytest.raises(ApiError) as info:
        parse_json_object(b'{"settings": {"x": 1, "x": 2}}')
    assert info.value.field == "x" and "'x'" in info.value.message


def test_the_depth_bound_is_exact() -> None:
    def nested(depth: int) -> bytes:
        return b'{"a":' * (depth - 1) + b"1" + b"}" * (depth - 1) if depth > 1 else b"{}"

    assert parse_json_object(nested(MAX_DEPTH))
    with pytest.raises(ApiError):
        parse_json_object(nested(MAX_DEPTH + 1))


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63) + 1, 1.5e308, 0, -0.0])
def test_numbers_in_range_pass(value: Any) -> None:
    assert parse_json_object(f'{{"n": {value!r}}}'.encode())["n"] == value


@pytest.mark.parametrize("value", ["²", "٣", "9" * 5000, "1.x", "", "one"])
def test_an_odd_protocol_header_is_a_400_with_a_code(client: ApiCaller, value: str) -> None:
    answer = client.get("/v1/status", headers={**AUTH, "RigPilot-Protocol": value.encode()})
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_header"
    assert answer.json()["field"] == "RigPilot-Protocol"


@pytest.mark.parametrize("value", ["²", "1e3", "-1", " 1"])
def test_an_odd_content_length_is_a_400(client: ApiCaller, value: str) -> None:
    headers = {**AUTH, "Content-Length": value.encode()}
    answer = client.post("/v1/pause", content=b"{}", headers=headers)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_header"


@pytest.mark.parametrize("network", ["a\nb", "demo\n", "../x", "DEMO", "", "٣"])
def test_a_pause_for_an_odd_network_id_is_refused(client: ApiCaller, network: str) -> None:
    body = {"scope": "network", "network": network}
    answer = client.post("/v1/pause", json=body, headers=AUTH)
    assert answer.status_code == 422 and answer.json()["field"] == "network"
