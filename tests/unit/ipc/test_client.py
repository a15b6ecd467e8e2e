"""The typed client: requests built from the endpoint table, answers decoded into their
types, errors mapped, headers and timeouts, against scripted transports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop.ipc import endpoints
from desktop.ipc.auth import load_or_create_token
from desktop.ipc.client import (
    NOT_RUNNING,
    ApiError,
    BadAnswer,
    ProtocolMismatch,
    WorkerClient,
    WorkerNotRunning,
    WorkerUnreachable,
)
from desktop.ipc.schema import GpuStatus, HoldsAnswer, PauseRequest, PauseScope, StatusAnswer
from desktop.ipc.schema_data import EventsQuery, JobRef, TelemetryQuery
from desktop.ipc.schema_networks import NetworkRef
from desktop.model import GpuState, HoldKind
from desktop.paths import Paths
from tests import api_samples as sample


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    root = tmp_path / "home"
    return Paths(root / "config", root / "data", root / "logs", root / "run").ensure()


def scripted(handler: Any) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def answer(body: Any, status: int = 200, protocol: str = "3") -> httpx.Response:
    """A worker's answer: ``body`` is a typed value or a plain dict, sent as JSON."""
    data = sample.to_json(body)
    return httpx.Response(
        status, json={"protocol": 3, **data}, headers={"RigPilot-Protocol": protocol}
    )



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


def test_a_typed_request_goes_where_its_endpoint_says(paths: Paths) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(HoldsAnswer(user_holds=[sample.user_hold("gpu", gpu=1)]))

    client = WorkerClient(paths, token="ef" * 32, transport=scripted(handle))
    request = PauseRequest(scope=PauseScope.GPU, gpu=1, until_ts=123.0, reason="game")
    holds = client.call(endpoints.PAUSE, request)
    assert isinstance(holds, HoldsAnswer) and holds.user_holds[0].kind is HoldKind.USER
    sent = seen[0]
    assert (sent.method, sent.url.path) == ("POST", "/v1/pause")
    assert sent.headers["Authorization"] == "Bearer " + "ef" * 32
    assert sent.headers["RigPilot-Protocol"] == "3"
    assert json.loads(sent.content) == {
        "scope": "gpu",
        "gpu": 1,
        "network": None,
        "until_ts": 123.0,
        "reason": "game",
    }


def test_queries_leave_out_none_and_path_fields_fill_the_path(paths: Paths) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.startswith("/v1/jobs/"):
            return answer({"job": sample.to_json(sample_job())})
        return answer({"gpu": 0, "resolution": "raw", "points": [], "source": "memory"})

    client = WorkerClient(paths, token="ef" * 32, transport=scripted(handle))
    client.call(endpoints.TELEMETRY, TelemetryQuery(gpu=0))
    assert dict(seen[0].url.params) == {"gpu": "0"} and seen[0].method == "GET"
    client.call(endpoints.JOB, JobRef(job_id="j 1"))
    assert seen[1].url.raw_path == b"/v1/jobs/j%201"
    assert not seen[1].content


def sample_job() -> Any:
    from desktop.model import JobRecord, JobState

    return JobRecord("j 1", "local", "busybox", JobState.RUNNING, None, sample.NOW)


def test_the_status_answer_decodes_into_its_types(paths: Paths) -> None:
    paused = sample.paused_status(reason="gaming")
    client = WorkerClient(paths, token="ef" * 32, transport=scripted(lambda r: answer(paused)))
    status = client.status()
    assert isinstance(status, StatusAnswer) and status == paused
    (gpu,) = status.gpus
    assert isinstance(gpu, GpuStatus) and gpu.state is GpuState.PAUSED
    assert gpu.holds[0].reason == "gaming"
    assert status.networks[0].held is not None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"version": "0.1.0"}, "missing required field `pid`"),
        ({**sample.to_json(sample.status()), "pid": "forty-two"}, "Expected `int`, got `str`"),
        ([1, 2], "Expected `object`"),
    ],
    ids=["missing fields", "wrong type", "not an object"],
)
def test_a_malformed_answer_is_a_clear_ipc_error(paths: Paths, body: Any, words: str) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body, headers={"RigPilot-Protocol": "3"})

    client = WorkerClient(paths, token="ef" * 32, transport=scripted(handle))
    with pytest.raises(BadAnswer) as caught:
        client.status()
    assert "GET /status" in caught.value.message and words in caught.value.message
    assert "rigpilot worker stop" in caught.value.message


def test_a_newer_worker_may_add_fields(paths: Paths) -> None:
    body = {**sample.to_json(sample.status()), "something_new": {"x": 1}}
    client = WorkerClient(paths, token="ef" * 32, transport=scripted(lambda r: answer(body)))
    assert client.status().pid == 42


def test_long_poll_gets_a_longer_read_timeout(paths: Paths) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/events":
            return answer({"events": [], "last_seq": 0})
        return answer(sample.status())

    client = WorkerClient(paths, token="ef" * 32, transport=scripted(handle))
    client.call(endpoints.EVENTS, EventsQuery(since=3, wait=20))
    client.status()
    assert seen[0].extensions["timeout"]["read"] == 25.0
    assert seen[1].extensions["timeout"]["read"] == 5.0


def test_api_errors_keep_code_field_and_allowed(paths: Paths) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        body = {"code": "invalid_setting", "message": "no", "field": "a.b", "allowed": "1 to 5"}
        return answer(body, 422)

    client = WorkerClient(paths, token="ef" * 32, transport=scripted(handle))
    with pytest.raises(ApiError) as caught:
        client.call(endpoints.PATCH_SETTINGS, {"a.b": 9})
    assert (caught.value.code, caught.value.status, caught.value.field, caught.value.allowed) == (
        "invalid_setting",
        422,
        "a.b",
        "1 to 5",
    )


def test_an_error_without_a_body_is_still_an_api_error(paths: Paths) -> None:
    transport = scripted(lambda r: httpx.Response(502, text="<html>bad gateway"))
    with pytest.raises(ApiError, match="HTTP 502") as caught:
        WorkerClient(paths, token="ef" * 32, transport=transport).status()
    assert caught.value.status == 502


@pytest.mark.parametrize(
    "response",
    [
        answer({}, protocol="4"),
        answer({"code": "protocol_mismatch", "message": "old"}, 400),
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


def test_a_request_that_breaks_its_own_rules_is_never_sent(paths: Paths) -> None:
    sent: list[httpx.Request] = []
    client = WorkerClient(paths, token="ef" * 32, transport=scripted(sent.append))
    with pytest.raises(ValueError, match="scope 'gpu' needs 'gpu'"):
        client.call(endpoints.PAUSE, PauseRequest(scope=PauseScope.GPU))
    with pytest.raises(TypeError):
        client.call(endpoints.REMOVE)  # a network to remove must be named
    client.close()
    assert sent == []
    assert NetworkRef(network="demo").network == "demo"
