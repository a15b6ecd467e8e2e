"""The API app over a fake typed controller: the gate, validation from the endpoint table,
typed answers, and domain errors mapped to HTTP statuses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from desktop.errors import Conflict, InvalidSetting, NotFound, Refused, Unavailable
from desktop.ipc import schema_money as m
from desktop.ipc.schema import (
    HoldsAnswer,
    Operation,
    OperationState,
    PauseRequest,
    PauseScope,
    ResumeRequest,
    StatusAnswer,
)
from desktop.ipc.schema_data import (
    EarningsAnswer,
    EarningsQuery,
    EventsAnswer,
    EventsQuery,
    GpusAnswer,
    JobAnswer,
    JobRef,
    JobsAnswer,
    JobsQuery,
    LatestAnswer,
    LogsAnswer,
    LogsQuery,
    SettingsAnswer,
    SettingsPatched,
    ShutdownAnswer,
    TelemetryAnswer,
    TelemetryQuery,
)
from desktop.ipc.schema_fleet import (
    AlertsAnswer,
    AlertTestAnswer,
    ExporterAnswer,
    TokenAnswer,
    TokenRequest,
    TopicRequest,
)
from desktop.ipc.schema_networks import (
    EnrollRequest,
    NetworkAnswer,
    NetworkChange,
    NetworkRef,
    NetworksAnswer,
    OperationAnswer,
    OperationRef,
)
from desktop.ipc.server import build_app
from desktop.model import JobRecord, JobState
from tests import api_samples as sample

TOKEN = "cd" * 32
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOW = sample.NOW


class FakeController:
    """Answers typed objects and records the typed requests it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.operation: Operation | None = None

    def _seen(self, name: str, request: Any) -> None:
        self.calls.append((name, request))

    async def status(self) -> StatusAnswer:
        hot = sample.sample(core_temp_c=float("nan"))  # a sensor's NaN travels as null
        return sample.status(gpus=[sample.gpu(sample=hot)])

    async def gpus(self) -> GpusAnswer:
        raise RuntimeError("boom at /secret/path")

    async def telemetry(self, query: TelemetryQuery) -> TelemetryAnswer:
        self._seen("telemetry", query)
        if query.gpu == 7:
            raise NotFound("there is no GPU 7; this worker's GPUs: 0", field="gpu")
        return msgspec.convert(
            {"gpu": query.gpu, "resolution": "raw", "points": [], "source": "memory"},
            TelemetryAnswer,
        )

    async def telemetry_latest(self) -> LatestAnswer:
        return LatestAnswer(samples=[sample.sample()])

    async def events(self, query: EventsQuery) -> EventsAnswer:
        self._seen("events", query)
        return EventsAnswer(events=[], last_seq=query.since)

    async def pause(self, request: PauseRequest) -> HoldsAnswer:
        self._seen("pause", request)
        return HoldsAnswer(user_holds=[sample.user_hold()])

    async def resume(self, request: ResumeRequest) -> HoldsAnswer:
        self._seen("resume", request)
        if request.scope is PauseScope.GPU:
            raise Conflict("all work is paused, so GPU 0 cannot resume alone")
        return HoldsAnswer(user_holds=[])

    async def settings(self) -> SettingsAnswer:
        raise Unavailable("Settings are not available in this worker yet")

    async def patch_settings(self, changes: dict[str, Any]) -> SettingsPatched:
        self._seen("patch_settings", changes)
        raise InvalidSetting("bad", field="sampling.interval_s", allowed="1 to 5")

    async def networks(self) -> NetworksAnswer:
        return NetworksAnswer(networks=[sample.record()])

    async def network(self, request: NetworkRef) -> NetworkAnswer:
        return NetworkAnswer(network=sample.record(request.network))

    async def enroll(self, request: EnrollRequest) -> NetworkChange:
        self._seen("enroll", request)
        if request.credentials.get("api_key") == "wrong":
            raise Refused("the key does not check out", field="api_key")
        return NetworkChange(status=sample.record(request.network), operation=self.operation)

    async def remove(self, request: NetworkRef) -> NetworkChange:
        return NetworkChange(status=sample.record(request.network))

    async def operation(self, request: OperationRef) -> OperationAnswer:
        raise NotFound(f"there is no operation {request.id!r}")

    async def jobs(self, query: JobsQuery) -> JobsAnswer:
        self._seen("jobs", query)
        return JobsAnswer(jobs=[])

    async def job(self, request: JobRef) -> JobAnswer:
        return JobAnswer(job=job(request.job_id))

    async def submit_job(self, spec: dict[str, Any]) -> JobAnswer:
        self._seen("submit_job", spec)
        if spec.get("image") == "evil":
            raise Refused("the image is not pinned", field="image", code="image_not_pinned")
        return JobAnswer(job=job("j1"))

    async def stop_job(self, request: JobRef) -> JobAnswer:
        return HoldsAnswer(user_holds=[])  # type: ignore[return-value]  # a wrong answer

    async def earnings(self, query: EarningsQuery) -> EarningsAnswer:
        self._seen("earnings", query)
        return msgspec.convert(
            {
                "days": [],
                "totals": msgspec.to_builtins(sample.totals()),
                "tariff": {"price_per_kwh": "0.2", "system_overhead_w": "0", "currency": "USD"},
            },
            EarningsAnswer,
        )

    async def earning_rows(self, query: m.EarningRowsQuery) -> m.EarningRowsAnswer:
        self._seen("earning_rows", query)
        totals = msgspec.to_builtins(sample.totals())
        return msgspec.convert(
            {"currency": "USD", "rows": [], "electricity": [], "totals": totals},
            m.EarningRowsAnswer,
        )

    async def history(self, query: m.HistoryQuery) -> m.HistoryAnswer:
        self._seen("history", query)
        totals = msgspec.to_builtins(sample.totals())
        return msgspec.convert(
            {"currency": "USD", "days": [], "totals": totals, "use": [], "reputation": [],
             "rates": []},
            m.HistoryAnswer,
        )  # fmt: skip

    async def roi(self, query: m.RoiQuery) -> m.RoiAnswer:
        self._seen("roi", query)
        zero = "0"
        return msgspec.convert(
            {"currency": "USD", "configured": False, "card_cost": None, "purchase_date": None,
             "card_value_now": None, "net_so_far": zero, "gross_so_far": zero,
             "electricity_so_far": zero, "gross_per_day": zero, "electricity_per_day": zero,
             "window_days": 1, "to_recover": None, "scenarios": [], "what_if": False},
            m.RoiAnswer,
        )  # fmt: skip

    async def estimates(self, query: m.EstimatesQuery) -> m.EstimatesAnswer:
        self._seen("estimates", query)
        return msgspec.convert(
            {"gpu_name": query.gpu or "RTX 3080", "model": "RTX 3080", "power_w": "320",
             "utilisation_pct": "70", "price_per_kwh": "0.3", "currency": "USD",
             "networks": []},
            m.EstimatesAnswer,
        )  # fmt: skip

    async def wear(self) -> m.WearAnswer:
        return m.WearAnswer(gpus=[])

    async def logs(self, query: LogsQuery) -> LogsAnswer:
        return LogsAnswer(lines=[str(query.tail)], file=None)

    async def shutdown(self) -> ShutdownAnswer:
        self._seen("shutdown", None)
        return ShutdownAnswer(stopping=True)

    async def exporter(self) -> ExporterAnswer:
        return ExporterAnswer(listen=None, serving=None, url=None, token_set=False,
                              token_required=False, problem=None, scrapes=0, refused=0,
                              last_scrape_ts=None)  # fmt: skip

    async def exporter_token(self, request: TokenRequest) -> TokenAnswer:
        self._seen("exporter_token", request)
        return TokenAnswer(token="t" * 43, new=request.rotate)

    async def alerts(self) -> AlertsAnswer:
        return AlertsAnswer(ntfy_server="https://ntfy.sh", ntfy_topic_set=False,
                            webhook_url=None, network_failing_min=10, repeat_after_min=60,
                            destinations=[], held_back=0, recent=[])  # fmt: skip

    async def set_ntfy_topic(self, request: TopicRequest) -> AlertsAnswer:
        self._seen("set_ntfy_topic", request)
        return await self.alerts()

    async def test_alerts(self) -> AlertTestAnswer:
        raise Refused("No alert destination is set.")


def job(job_id: str) -> JobRecord:
    return JobRecord(job_id, "local", "busybox", JobState.RUNNING, None, NOW)


@pytest.fixture
def controller() -> FakeController:
    return FakeController()


class ApiCaller:
    """A blocking face over httpx's in-process ASGI transport (no socket, no thread)."""

    def __init__(self, controller: FakeController) -> None:
        self.transport = httpx.ASGITransport(app=build_app(controller, TOKEN, now=lambda: NOW))

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(
                transport=self.transport, base_url="http://localhost"
            ) as http:
                return await http.request(method, url, **kw)

        return asyncio.run(go())

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, headers=kw.pop("headers", AUTH), **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, headers=kw.pop("headers", AUTH), **kw)


@pytest.fixture
def client(controller: FakeController) -> ApiCaller:
    return ApiCaller(controller)


# --- the gate ----------------------------------------------------------------------------


def test_every_answer_carries_protocol_2(client: ApiCaller) -> None:
    ok = client.get("/v1/status")
    assert ok.status_code == 200 and ok.headers["RigPilot-Protocol"] == "3"
    body = ok.json()
    assert body["protocol"] == 3 and body["gpus"][0]["sample"]["core_temp_c"] is None
    assert body["gpus"][0]["state"] == "working"
    refused = client.request("GET", "/v1/status")
    assert refused.status_code == 401 and refused.json()["protocol"] == 3


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer " + "00" * 32}, {"Authorization": TOKEN}],
    ids=["no token", "wrong token", "no scheme"],
)
def test_without_the_token_401(client: ApiCaller, headers: dict[str, str]) -> None:
    answer = client.request("GET", "/v1/status", headers=headers)
    assert answer.status_code == 401 and answer.json()["code"] == "unauthorized"


def test_foreign_host_403_even_with_the_token(client: ApiCaller) -> None:
    answer = client.request("GET", "/v1/status", headers={**AUTH, "Host": "evil.example"})
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden_host"


def test_oversized_bodies_413(client: ApiCaller) -> None:
    answer = client.post("/v1/pause", content=b"x" * (1024 * 1024 + 1), headers={})
    assert answer.status_code == 413 and answer.json()["code"] == "body_too_large"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(12):
            yield b"x" * 100_000

    streamed = client.post("/v1/pause", content=chunks())
    assert streamed.status_code == 413 and streamed.json()["code"] == "body_too_large"


def test_other_major_protocol_400(client: ApiCaller) -> None:
    answer = client.request("GET", "/v1/status", headers={**AUTH, "RigPilot-Protocol": "1"})
    assert answer.status_code == 400 and answer.json()["code"] == "protocol_mismatch"
    same = client.request("GET", "/v1/status", headers={**AUTH, "RigPilot-Protocol": "3.3"})
    assert same.status_code == 200


def test_unknown_route_and_method_are_json(client: ApiCaller) -> None:
    missing = client.get("/v1/nothing")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    wrong = client.request("DELETE", "/v1/status", headers=AUTH)
    assert wrong.status_code == 405 and wrong.json()["code"] == "invalid_request"
    gone = client.post("/v1/networks/demo/pause")  # protocol 2: POST /pause {scope: network}
    assert gone.status_code == 404


# --- request validation: 4xx naming the field, never a 500 --------------------------------


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [
        (b'{"scope": "gpu"}', 422, "gpu", "scope 'gpu' needs 'gpu'"),
        (b'{"scope": "all", "gpu": 1}', 422, "gpu", "goes with scope 'gpu' only"),
        (b'{"scope": "al"}', 422, "scope", "must be one of all, gpu, network"),
        (b'{"scope": "gpu", "gpu": "1"}', 422, "gpu", "'gpu' must be a whole number"),
        (b'{"scope": "gpu", "gpu": 64}', 422, "gpu", "of at most 63"),
        (b'{"scope": "gpu", "gpu": true}', 422, "gpu", "'gpu' must be a whole number"),
        (b'{"until_ts": "soon"}', 422, "until_ts", "'until_ts' must be a number"),
        (b'{"until_ts": 5}', 422, "until_ts", "in the past"),
        (b'{"until_ts": 1900000000}', 422, "until_ts", "at most a year"),
        (b'{"reason": "' + b"x" * 201 + b'"}', 422, "reason", "at most 200 characters"),
        (b'{"sope": "all"}', 422, "sope", "unknown field 'sope'; the fields are scope, gpu"),
        (b'{"scope": "all"} trailing', 400, "body", "not valid JSON"),
        (b"{nope", 400, "body", "not valid JSON"),
        (b"[1, 2]", 400, "body", "must be a JSON object"),
        (b'"all"', 400, "body", "must be a JSON object"),
        (b'{"scope": "network", "network": "Bad Id!"}', 422, "network", "of the form"),
    ],
)
def test_bad_pause_bodies_are_refused_naming_the_field(
    client: ApiCaller,
    controller: FakeController,
    body: bytes,
    status: int,
    field: str,
    words: str,
) -> None:
    answer = client.post("/v1/pause", content=body)
    assert answer.status_code == status, answer.text
    error = answer.json()
    assert error["protocol"] == 3 and error["field"] == field
    assert words in error["message"]
    assert controller.calls == []  # nothing reached the worker


def test_enum_refusal_lists_the_allowed_values(client: ApiCaller) -> None:
    answer = client.get("/v1/telemetry?range=3h")
    assert answer.status_code == 422
    assert answer.json()["allowed"] == ["10m", "1h", "24h", "7d"]
    assert answer.json()["message"] == "'range' must be one of 10m, 1h, 24h, 7d (got '3h')"


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("wait=26", "wait", "of at most 25"),
        ("wait=-1", "wait", "of at least 0"),
        ("since=x", "since", "a whole number (got 'x')"),
        ("limit=0", "limit", "of at least 1"),
        ("limit=1&limit=2", "limit", "given twice"),
        ("sinse=4", "sinse", "unknown parameter 'sinse'; the parameters are since, wait, limit"),
    ],
)
def test_bad_queries_are_refused_naming_the_parameter(
    client: ApiCaller, query: str, field: str, words: str
) -> None:
    answer = client.get(f"/v1/events?{query}")
    assert answer.status_code == 422
    assert answer.json()["field"] == field and words in answer.json()["message"]


def test_queries_reach_the_controller_typed(client: ApiCaller, controller: FakeController) -> None:
    assert client.get("/v1/events?since=5&wait=2.5&limit=").json()["last_seq"] == 5
    assert controller.calls[-1] == ("events", EventsQuery(since=5, wait=2.5, limit=500))
    client.get("/v1/telemetry?gpu=1&since=12.5")
    assert controller.calls[-1] == ("telemetry", TelemetryQuery(gpu=1, since=12.5))
    both = client.get("/v1/telemetry?range=1h&since=1")
    assert both.status_code == 422 and both.json()["field"] == "range"
    client.get("/v1/jobs?state=running&limit=3")
    assert controller.calls[-1] == ("jobs", JobsQuery(limit=3, state=JobState.RUNNING))
    assert client.get("/v1/earnings?days=4000").json()["field"] == "days"
    assert client.get("/v1/logs?tail=7").json()["lines"] == ["7"]


def test_path_fields_come_from_the_path_only(
    client: ApiCaller, controller: FakeController
) -> None:
    ok = client.post("/v1/networks/demo/enroll", json={"credentials": {"k": "v"}})
    assert ok.status_code == 200
    assert controller.calls[-1] == ("enroll", EnrollRequest(network="demo", credentials={"k": "v"}))
    twice = client.post("/v1/networks/demo/enroll", json={"network": "nosana"})
    assert twice.status_code == 422 and twice.json()["field"] == "network"
    bad_id = client.get("/v1/networks/..%2Fetc")
    assert bad_id.status_code in (404, 422)
    wrong = client.post("/v1/networks/demo/enroll", json={"credentials": {"k": 5}})
    assert wrong.status_code == 422 and wrong.json()["field"] == "credentials"


# --- answers and errors --------------------------------------------------------------------


def test_domain_errors_map_to_their_status(client: ApiCaller) -> None:
    missing = client.get("/v1/telemetry?gpu=7")
    assert (missing.status_code, missing.json()["code"], missing.json()["field"]) == (
        404,
        "not_found",
        "gpu",
    )
    conflict = client.post("/v1/resume", json={"scope": "gpu", "gpu": 0})
    assert (conflict.status_code, conflict.json()["code"]) == (409, "conflict")
    unavailable = client.get("/v1/settings")
    assert (unavailable.status_code, unavailable.json()["code"]) == (503, "unavailable")
    refused = client.post("/v1/networks/demo/enroll", json={"credentials": {"api_key": "wrong"}})
    assert (refused.status_code, refused.json()["field"]) == (422, "api_key")
    setting = client.request(
        "PATCH", "/v1/settings", json={"sampling.interval_s": 9}, headers=AUTH
    )
    assert setting.status_code == 422
    assert setting.json() == {
        "protocol": 3,
        "code": "invalid_setting",
        "message": "bad",
        "field": "sampling.interval_s",
        "allowed": "1 to 5",
    }
    spec = client.post("/v1/jobs", json={"image": "evil"})
    assert (spec.status_code, spec.json()["code"]) == (422, "image_not_pinned")


def test_a_crash_or_a_wrong_answer_is_a_500_without_details(client: ApiCaller) -> None:
    crash = client.get("/v1/gpus")
    assert crash.status_code == 500 and crash.json()["code"] == "internal"
    assert "boom" not in crash.text and "/secret" not in crash.text
    wrong = client.post("/v1/jobs/j1/stop")
    assert wrong.status_code == 500 and wrong.json()["code"] == "internal"


def test_created_and_accepted_statuses(client: ApiCaller, controller: FakeController) -> None:
    created = client.post("/v1/jobs", json={"image": "x"})
    assert created.status_code == 201 and created.json()["job"]["job_id"] == "j1"
    assert client.post("/v1/networks/demo/enroll").status_code == 200
    controller.operation = Operation(
        id="op1",
        kind="enroll",
        network="demo",
        state=OperationState.RUNNING,
        message="pulling the image",
        started_ts=NOW,
    )
    accepted = client.post("/v1/networks/demo/enroll")
    assert accepted.status_code == 202
    assert accepted.json()["operation"]["state"] == "running"


def test_empty_body_is_an_empty_request(client: ApiCaller, controller: FakeController) -> None:
    assert client.post("/v1/resume").status_code == 200
    assert controller.calls[-1] == ("resume", ResumeRequest())
    assert client.post("/v1/shutdown").json() == {"protocol": 3, "stopping": True}
