"""The client's error mapping, headers and timeouts, against scripted transports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop.ipc.auth import load_or_create_token
from desktop.ipc.client import (
    NOT_RUNNING,
    ApiError,
    ProtocolMismatch,
    WorkerClient,
    WorkerNotRunning,
    WorkerUnreachable,
)
from desktop.paths import Paths


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    root = tmp_path / "home"
    return Paths(root / "config", root / "data", root / "logs", root / "run").ensure()


def scripted(handler: Any) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def answer(body: dict[str, Any], status: int = 200, protocol: str = "1") -> httpx.Response:
    return httpx.Response(status, json=body, headers={"RigPilot-Protocol": protocol})


def test_not_running_without_token_or_socket(paths: Paths) -> None:
    with pytest.raises(WorkerNotRunning) as caught:
        WorkerClient(paths).status()
    assert caught.value.message == NOT_RUNNING
    load_or_create_token(paths.token_file)
    with pytest.raises(WorkerNotRunning):  # token but no socket: a stopped worker
        WorkerClient(paths).status()


def test_not_running_when_the_socket_refuses(paths: Paths) -> None:
    load_or_create_token(paths.token_file)
    paths.socket_file.touch()  # a leftover path with no listener
    with pytest.raises(WorkerNotRunning):
        WorkerClient(paths).status()


def test_requests_carry_token_and_protocol(paths: Paths) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer({"protocol": 1, "ok": True})

    client = WorkerClient(paths, token="ef" * 32, transport=scripted(handle))
    assert client.pause(gpu=1, until_ts=123.0, reason="game") == {"protocol": 1, "ok": True}
    request = seen[0]
    assert request.url.path == "/v1/pause"
    assert request.headers["Authorization"] == "Bearer " + "ef" * 32
    assert request.headers["RigPilot-Protocol"] == "1"
    assert json.loads(request.content) == {
        "scope": "gpu",
        "gpu": 1,
        "until_ts": 123.0,
        "reason": "game",
    }


def test_none_parameters_are_left_out(paths: Paths) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer({"protocol": 1})

    client = WorkerClient(paths, token="ef" * 32, transport=scripted(handle))
    client.telemetry(gpu=0, since=None)
    assert dict(seen[0].url.params) == {"gpu": "0"}


def test_long_poll_gets_a_longer_read_timeout(paths: Paths) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer({"protocol": 1, "events": [], "last_seq": 0})

    client = WorkerClient(paths, token="ef" * 32, transport=scripted(handle))
    client.events(since=3, wait=20)
    client.status()
    assert seen[0].extensions["timeout"]["read"] == 25.0
    assert seen[1].extensions["timeout"] == {"connect": 1.0, "read": 5.0, "write": 5.0, "pool": 1.0}


def test_api_errors_keep_code_field_and_allowed(paths: Paths) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        body = {
            "protocol": 1,
            "code": "invalid_setting",
            "message": "no",
            "field": "a.b",
            "allowed": "1 to 5",
        }
        return answer(body, 422)

    client = WorkerClient(paths, token="ef" * 32, transport=scripted(handle))
    with pytest.raises(ApiError) as caught:
        client.patch_settings({"a.b": 9})
    assert (caught.value.code, caught.value.status, caught.value.field, caught.value.allowed) == (
        "invalid_setting",
        422,
        "a.b",
        "1 to 5",
    )


@pytest.mark.parametrize(
    "response",
    [
        answer({"protocol": 2}, protocol="2"),
        answer({"protocol": 1, "code": "protocol_mismatch", "message": "old"}, 400),
    ],
    ids=["newer worker", "worker refuses us"],
)
def test_protocol_mismatch_is_its_own_error(paths: Paths, response: httpx.Response) -> None:
    client = WorkerClient(paths, token="ef" * 32, transport=scripted(lambda r: response))
    with pytest.raises(ProtocolMismatch):
        client.status()


def test_timeouts_and_broken_links_are_unreachable(paths: Paths) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("closed", request=request)

    with pytest.raises(WorkerUnreachable, match="did not answer"):
        WorkerClient(paths, token="ef" * 32, transport=scripted(slow)).status()
    with pytest.raises(WorkerUnreachable, match="broke"):
        WorkerClient(paths, token="ef" * 32, transport=scripted(broken)).status()


def test_permission_denied_is_not_reported_as_not_running(paths: Paths) -> None:
    def denied(request: httpx.Request) -> httpx.Response:
        try:
            raise PermissionError(13, "Permission denied")
        except PermissionError as exc:
            raise httpx.ConnectError("denied", request=request) from exc

    with pytest.raises(WorkerUnreachable, match="another user"):
        WorkerClient(paths, token="ef" * 32, transport=scripted(denied)).status()


def test_a_non_json_answer_is_an_error(paths: Paths) -> None:
    transport = scripted(lambda r: httpx.Response(200, text="<html>"))
    with pytest.raises(ApiError, match="not a JSON object"):
        WorkerClient(paths, token="ef" * 32, transport=transport).status()


def test_pause_refuses_two_targets(paths: Paths) -> None:
    client = WorkerClient(paths, token="ef" * 32, transport=scripted(lambda r: answer({})))
    with pytest.raises(ValueError, match="not both"):
        client.pause(gpu=0, network="demo")
