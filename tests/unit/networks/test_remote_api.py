"""The remote-API client every dedicated-rig and monitor adapter shares: refusals, backoff,
a refused credential remembered, requests spaced, and the status kept fresh briefly."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from desktop.networks.backoff import Backoff
from desktop.networks.memo import Memo
from desktop.networks.remote_api import (
    ApiRefused,
    ApiUnavailable,
    CredentialRefused,
    JsonApi,
    RecentStatus,
    env_float,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def api_answering(*replies: httpx.Response, clock: Clock | None = None, **kw: object) -> JsonApi:
    answers = list(replies)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0) if len(answers) > 1 else answers[0]

    clock = clock or Clock()
    api = JsonApi(
        "rig",
        "Rig API",
        "http://rig.invalid/v1",
        headers={"auth": "k"},
        transport=httpx.MockTransport(handler),
        clock=clock,
        sleep=clock.sleep,
        backoff=Backoff(base=2.0, cap=60.0, jitter=0.0),
        **kw,  # type: ignore[arg-type]
    )
    api.seen = seen  # type: ignore[attr-defined]
    return api


def test_a_good_answer_is_decoded_and_the_headers_and_body_are_sent() -> None:
    api = api_answering(httpx.Response(200, json={"code": 0}))
    assert api.request("GET", "/server_config", body={"server_name": "a"}) == {"code": 0}
    (sent,) = api.seen  # type: ignore[attr-defined]
    assert sent.headers["auth"] == "k" and json.loads(sent.content) == {"server_name": "a"}
    assert str(sent.url) == "http://rig.invalid/v1/server_config"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (httpx.Response(500), "answered HTTP 500"),
        (httpx.Response(429), "answered HTTP 429"),
        (httpx.Response(200, content=b"{nope"), "sent malformed JSON"),
    ],
)
def test_a_failure_backs_off_and_is_logged(
    reply: httpx.Response, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    api = api_answering(reply, clock=clock)
    with caplog.at_level(logging.WARNING), pytest.raises(ApiUnavailable, match=reason):
        api.get("/x")
    assert f"rig: the Rig API {reason}, retrying in 2.0 s" in caplog.text
    with pytest.raises(ApiUnavailable, match="failed recently; next try in 2 s"):
        api.get("/x")  # inside the backoff: nothing is sent
    assert len(api.seen) == 1  # type: ignore[attr-defined]
    clock.now += 2.0
    with pytest.raises(ApiUnavailable):
        api.get("/x")
    assert api.gate.remaining == pytest.approx(4.0)  # the delay doubled


def test_a_refused_credential_is_remembered_and_not_asked_again_for_a_minute() -> None:
    clock = Clock()
    api = api_answering(httpx.Response(401), httpx.Response(200, json={}), clock=clock)
    with pytest.raises(CredentialRefused, match="refused the credential"):
        api.get("/x")
    clock.now += 30
    with pytest.raises(CredentialRefused):  # the same step for the user, no request
        api.get("/x")
    assert len(api.seen) == 1  # type: ignore[attr-defined]
    clock.now += 31
    assert api.get("/x") == {}


def test_another_refusal_says_the_status_and_leaves_the_api_usable() -> None:
    api = api_answering(httpx.Response(404), httpx.Response(200, json=[1]))
    with pytest.raises(ApiRefused, match="HTTP 404 for /machines/7") as info:
        api.get("/machines/7")
    assert not isinstance(info.value, CredentialRefused) and info.value.status_code == 404
    assert api.get("/other") == [1]


def test_requests_are_kept_apart_by_the_spacing() -> None:
    clock = Clock()
    api = api_answering(httpx.Response(200, json={}), clock=clock, spacing_s=1.0)
    api.get("/a")
    api.get("/b")
    clock.now += 5
    api.get("/c")
    assert clock.slept == [pytest.approx(1.0)]


def test_none_query_values_are_left_out() -> None:
    api = api_answering(httpx.Response(200, json={}))
    api.get("/earn", {"owner": "me", "machid": None})
    assert api.seen[0].url.params == httpx.QueryParams({"owner": "me"})  # type: ignore[attr-defined]


def test_env_float_takes_only_numbers_in_range() -> None:
    env = {"A": "2.5", "B": "nan", "C": "-1", "D": "x"}
    assert env_float(env, "A", 1.0, 0.0, 10.0) == 2.5
    assert [env_float(env, k, 1.0, 0.0, 10.0) for k in "BCDE"] == [1.0] * 4


def test_a_recent_status_is_kept_for_its_time_then_asked_again() -> None:
    clock = Clock()
    recent = RecentStatus(15.0, clock)
    assert recent.get() is None
    recent.put("idle")
    clock.now += 14
    assert recent.get() == "idle"
    clock.now += 1
    assert recent.get() is None
    recent.put("busy")
    recent.forget()
    assert recent.get() is None


def test_a_memo_survives_a_new_adapter_and_a_damaged_file_reads_empty(tmp_path: Path) -> None:
    path = tmp_path / "rig.json"
    Memo(path).write(available=False, server="a")
    assert Memo(path).read() == {"available": False, "server": "a"}
    path.write_text("{damaged")
    assert Memo(path).read() == {}
    memo = Memo(path)
    memo.write(server="b")
    memo.clear()
    assert not path.exists() and Memo(None).read() == {}
