"""The API app over a fake controller: the gate's checks, routing, JSON errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from desktop.ipc.protocol import ApiError, unavailable
from desktop.ipc.schema import HoldsAnswer, PauseRequest, PauseScope, ResumeRequest
from desktop.ipc.server import build_app

TOKEN = "cd" * 32
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FakeController:
    """Answers with what it was asked, so tests see the parsed arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.shutdowns = 0

    async def status(self) -> dict[str, Any]:
        return {"mode": "simulated", "value": float("nan")}

    async def gpus(self) -> dict[str, Any]:
        raise RuntimeError("boom")

    async def telemetry(
        self, gpu: int | None, since: float | None, range_: str | None
    ) -> dict[str, Any]:
        return {"gpu": gpu, "since": since, "range": range_}

    async def telemetry_latest(self) -> dict[str, Any]:
        return {"samples": []}

    async def events(self, since: int, wait: float, limit: int) -> dict[str, Any]:
        return {"since": since, "wait": wait, "limit": limit}

    async def pause(self, request: PauseRequest) -> HoldsAnswer:
        self.calls.append(("pause", request))
        return HoldsAnswer(user_holds=[])

    async def resume(self, request: ResumeRequest) -> HoldsAnswer:
        self.calls.append(("resume", request))
        return HoldsAnswer(user_holds=[])

    async def settings(self) -> dict[str, Any]:
        return {"settings": {}}

    async def patch_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        raise ApiError("invalid_setting", "bad", 422, "sampling.interval_s", "1 to 5")

    async def networks(self) -> dict[str, Any]:
        raise unavailable("The networks service")

    async def network_enroll(self, network: str, credentials: dict[str, Any]) -> dict[str, Any]:
        return {"network": network, "credentials": credentials}

    async def network_action(self, network: str, action: str) -> dict[str, Any]:
        return {"network": network, "action": action}

    async def jobs(self, limit: int, state: str | None) -> dict[str, Any]:
        return {"limit": limit, "state": state}

    async def job(self, job_id: str) -> dict[str, Any]:
        return {"job": job_id}

    async def submit_job(self, spec: dict[str, Any]) -> dict[str, Any]:
        return {"job": spec}

    async def stop_job(self, job_id: str) -> dict[str, Any]:
        return {"job": job_id}

    async def earnings(self, days: int) -> dict[str, Any]:
        return {"days": days}

    async def logs(self, tail: int) -> dict[str, Any]:
        return {"lines": [str(tail)]}

    async def request_shutdown(self) -> None:
        self.shutdowns += 1


@pytest.fixture
def controller() -> FakeController:
    return FakeController()


class ApiCaller:
    """A blocking face over httpx's in-process ASGI transport (no socket, no thread)."""

    def __init__(self, controller: FakeController) -> None:
        self.transport = httpx.ASGITransport(app=build_app(controller, TOKEN))

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(
                transport=self.transport, base_url="http://localhost"
            ) as http:
                return await http.request(method, url, **kw)

        return asyncio.run(go())

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def patch(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", url, **kw)


@pytest.fixture
def client(controller: FakeController) -> ApiCaller:
    return ApiCaller(controller)


def test_every_answer_carries_the_protocol(client: ApiCaller) -> None:
    ok = client.get("/v1/status", headers=AUTH)
    assert ok.status_code == 200
    assert ok.headers["RigPilot-Protocol"] == "1"
    assert ok.json() == {"protocol": 1, "mode": "simulated", "value": None}  # NaN → null
    refused = client.get("/v1/status")
    assert refused.headers["RigPilot-Protocol"] == "1"
    assert refused.json()["protocol"] == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer " + "00" * 32}, {"Authorization": TOKEN}],
    ids=["no token", "wrong token", "no scheme"],
)
def test_without_the_token_401(client: ApiCaller, headers: dict[str, str]) -> None:
    answer = client.get("/v1/status", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthorized"


def test_foreign_host_403_even_with_the_token(client: ApiCaller) -> None:
    answer = client.get("/v1/status", headers={**AUTH, "Host": "evil.example"})
    assert answer.status_code == 403
    assert answer.json()["code"] == "forbidden_host"


def test_oversized_body_413_before_the_token_is_checked(client: ApiCaller) -> None:
    answer = client.post("/v1/pause", content=b"x" * (1024 * 1024 + 1))
    assert answer.status_code == 413
    assert answer.json()["code"] == "body_too_large"


def test_streamed_oversized_body_413(client: ApiCaller) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(12):
            yield b"x" * 100_000

    answer = client.post("/v1/pause", content=chunks(), headers=AUTH)
    assert answer.status_code == 413
    assert answer.json()["code"] == "body_too_large"


def test_other_major_protocol_400(client: ApiCaller) -> None:
    answer = client.get("/v1/status", headers={**AUTH, "RigPilot-Protocol": "2"})
    assert answer.status_code == 400
    assert answer.json()["code"] == "protocol_mismatch"
    same = client.get("/v1/status", headers={**AUTH, "RigPilot-Protocol": "1.3"})
    assert same.status_code == 200


def test_unknown_route_and_method_are_json(client: ApiCaller) -> None:
    missing = client.get("/v1/nothing", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    wrong = client.delete("/v1/status", headers=AUTH)
    assert wrong.status_code == 405 and wrong.json()["code"] == "invalid_request"


def test_controller_crash_is_a_json_500(client: ApiCaller) -> None:
    answer = client.get("/v1/gpus", headers=AUTH)
    assert answer.status_code == 500
    assert answer.json()["code"] == "internal"
    assert "boom" not in answer.text  # internals stay in the log


def test_settings_error_keeps_field_and_allowed(client: ApiCaller) -> None:
    answer = client.patch("/v1/settings", json={"sampling.interval_s": 9}, headers=AUTH)
    assert answer.status_code == 422
    assert answer.json() == {
        "protocol": 1,
        "code": "invalid_setting",
        "message": "bad",
        "field": "sampling.interval_s",
        "allowed": "1 to 5",
    }


def test_unwired_component_is_503(client: ApiCaller) -> None:
    answer = client.get("/v1/networks", headers=AUTH)
    assert answer.status_code == 503
    assert answer.json()["code"] == "unavailable"


def test_bad_json_body_400(client: ApiCaller) -> None:
    answer = client.patch("/v1/settings", content=b"{nope", headers=AUTH)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_json"
    answer = client.patch("/v1/settings", json=[1, 2], headers=AUTH)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_json"


def test_pause_body_is_validated_and_parsed(client: ApiCaller, controller: FakeController) -> None:
    answer = client.post(
        "/v1/pause", json={"scope": "gpu", "gpu": 1, "reason": "game"}, headers=AUTH
    )
    assert answer.status_code == 200
    assert controller.calls == [
        ("pause", PauseRequest(scope=PauseScope.GPU, gpu=1, reason="game"))
    ]
    bad = client.post("/v1/pause", json={"scope": "gpus"}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["field"] == "scope"
    unknown = client.post("/v1/pause", json={"scope": "all", "until": 5}, headers=AUTH)
    assert unknown.status_code == 422 and "until" in unknown.json()["message"]
    empty = client.post("/v1/resume", headers=AUTH)
    assert empty.status_code == 200
    assert controller.calls[-1] == ("resume", ResumeRequest())


@pytest.mark.parametrize(
    ("query", "field"),
    [("wait=26", "wait"), ("wait=-1", "wait"), ("since=x", "since"), ("limit=0", "limit")],
)
def test_event_query_is_range_checked(client: ApiCaller, query: str, field: str) -> None:
    answer = client.get(f"/v1/events?{query}", headers=AUTH)
    assert answer.status_code == 422
    assert answer.json()["field"] == field


def test_query_parameters_reach_the_controller(client: ApiCaller) -> None:
    assert client.get("/v1/events?since=5&wait=2.5", headers=AUTH).json() == {
        "protocol": 1,
        "since": 5,
        "wait": 2.5,
        "limit": 500,
    }
    assert client.get("/v1/telemetry?gpu=1&since=12.5", headers=AUTH).json()["since"] == 12.5
    assert client.get("/v1/telemetry?range=1h", headers=AUTH).json()["range"] == "1h"
    bad = client.get("/v1/telemetry?range=3h", headers=AUTH)
    assert bad.status_code == 422 and bad.json()["allowed"] == ["10m", "1h", "24h", "7d"]
    both = client.get("/v1/telemetry?range=1h&since=1", headers=AUTH)
    assert both.status_code == 422
    assert client.get("/v1/earnings?days=30", headers=AUTH).json()["days"] == 30
    assert client.get("/v1/earnings?days=400", headers=AUTH).status_code == 422
    assert client.get("/v1/logs?tail=7", headers=AUTH).json()["lines"] == ["7"]


def test_jobs_and_network_routes(client: ApiCaller, controller: FakeController) -> None:
    created = client.post("/v1/jobs", json={"image": "x"}, headers=AUTH)
    assert created.status_code == 201 and created.json()["job"] == {"image": "x"}
    assert client.get("/v1/jobs/j1", headers=AUTH).json()["job"] == "j1"
    assert client.post("/v1/jobs/j1/stop", headers=AUTH).json()["job"] == "j1"
    enroll = client.post("/v1/networks/demo/enroll", json={"credentials": {"k": "v"}}, headers=AUTH)
    assert enroll.json()["credentials"] == {"k": "v"}
    client.post("/v1/networks/demo/pause", headers=AUTH)  # one way to pause: a user hold
    assert controller.calls[-1] == (
        "pause",
        PauseRequest(scope=PauseScope.NETWORK, network="demo"),
    )
    assert client.post("/v1/networks/demo/explode", headers=AUTH).status_code == 404


def test_shutdown_answers_then_stops(client: ApiCaller, controller: FakeController) -> None:
    answer = client.post("/v1/shutdown", headers=AUTH)
    assert answer.json() == {"protocol": 1, "stopping": True}
    assert controller.shutdowns == 1
