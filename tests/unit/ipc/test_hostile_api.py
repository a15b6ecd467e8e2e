"""Property: whatever a local client sends to any API route, the worker never answers 500,
and every refusal is JSON with a stable code and a message.

The routes are enumerated from the router that ``build_app`` returns (unwrapping
the gate), so a route added, renamed or re-typed later is covered without touching this
file. Behind the app runs the REAL worker service (settings file, SQLite ledger, job
service with the simulated runner, the network supervisor with the practice network, the
guard), built by the composition root with Docker reported absent and an in-memory
keyring, so hostile values travel through every validator and into the parts behind them.

Bodies, path parameters, query strings and the protocol header are drawn from
tests/unit/ipc/hostile_json.py. Two more properties pin every job-spec field and every
settings key with a hostile value each.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import keyring
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.hardware.simulated import SimulatedBackend
from desktop.ipc.asgi import Route
from desktop.ipc.server import build_app
from desktop.jobs.spec import KNOWN_KEYS
from desktop.jobs.validate import JOB_ID_RE
from desktop.paths import Paths
from desktop.settings import FIELDS, SettingsStore
from desktop.worker.gpus import GpuMonitor
from desktop.worker.service import WorkerService
from desktop.worker.wiring import EngineProbe, build
from tests.unit.ipc.hostile_json import HOSTILE_TEXT, bodies, dump, json_values
from tests.unit.networks.conftest import MemoryKeyring

TOKEN = "ab" * 32
IMAGE = "rigpilot-test/busybox:latest"
SKIPPED = ("/shutdown",)  # it stops the worker under test; its refusals are in test_server
REQUEST_FIELDS = ("scope", "gpu", "network", "until_ts", "reason", "credentials", "days")
QUERY_NAMES = ("since", "wait", "limit", "gpu", "range", "state", "days", "tail", "x")
BASE_SPEC = {
    "job_id": "base-1",
    "image": IMAGE,
    "memory_mb": 64,
    "deadline_s": 30,
    "load_profile": [{"seconds": 0.2, "load": 0.5}],
}
FIELD_NAMES = st.sampled_from(sorted({*KNOWN_KEYS, *FIELDS, *REQUEST_FIELDS}))
KEYS = FIELD_NAMES | st.sampled_from(HOSTILE_TEXT) | st.text(max_size=8)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Api:
    """The running service and a client over the app, on one event loop."""

    loop: asyncio.AbstractEventLoop
    http: httpx.AsyncClient

    def send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        request = self.http.request(method, url, **kw)
        return self.loop.run_until_complete(asyncio.wait_for(request, 30))


def routes_of(app: Any) -> list[Route]:
    """The routes behind any number of middleware layers."""
    while not hasattr(app, "routes"):
        app = app.app
    return [r for r in app.routes if isinstance(r, Route)]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("hostile")
    paths = Paths(root / "config", root / "data", root / "logs", root / "run").ensure()
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    loop = asyncio.new_event_loop()
    backend = SimulatedBackend(["warm"], seed=7, speed=1.0)
    monitor = GpuMonitor(backend, clock=backend.clock)
    store = SettingsStore(paths.settings_file)
    store.patch({"jobs.allowed_local_images": [IMAGE]})
    wired = build("demo", paths, store, monitor, probe=EngineProbe(False, "no engine (test)"))
    service = WorkerService(mode="demo", monitor=monitor, parts=wired.parts, bus=wired.bus)
    app = build_app(service, TOKEN)
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://localhost",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    loop.run_until_complete(service.start())
    try:
        yield Api(loop, http)
    finally:
        service.begin_stop()
        loop.run_until_complete(service.close())
        loop.run_until_complete(http.aclose())
        loop.close()
        keyring.set_keyring(previous)


def check(answer: httpx.Response, what: str) -> dict[str, Any]:
    """No 500; a JSON object; a refusal carries a code and a message."""
    assert answer.status_code < 500, f"{what} -> {answer.status_code} {answer.text[:300]}"
    assert answer.headers.get("content-type", "").startswith("application/json"), what
    body = json.loads(answer.content)
    assert isinstance(body, dict), what
    if answer.status_code >= 400:
        assert isinstance(body.get("code"), str) and re.fullmatch(r"[a-z_]+", body["code"]), what
        assert isinstance(body.get("message"), str) and body["message"], what
    return body


# Names that exist, so that hostile bodies also reach the parts behind a real resource.
PATH_NAMES = ["demo", "nosana", "enroll", "pause", "resume", "remove", "base-1", "status"]


def path_values() -> st.SearchStrategy[str]:
    return st.sampled_from(PATH_NAMES) | st.sampled_from(HOSTILE_TEXT) | st.text(max_size=10)


query_values = (
    st.sampled_from([t for t in HOSTILE_TEXT if t.isascii() or "\ud800" not in t])
    | st.integers(-3, 3).map(str)
    | st.sampled_from(["1e400", "nan", "inf", "10m", "running", "9" * 5000, "0.5", "-0"])
).filter(lambda t: not any(0xD800 <= ord(c) <= 0xDFFF for c in t))


class _NotCalled:
    """Stands in for the controller while only the routes are listed (nothing is called)."""

    def __getattr__(self, name: str) -> Any:
        async def never(*args: Any) -> None:
            raise AssertionError(f"{name} was called while the routes were only listed")

        return never


def route_methods() -> list[tuple[str, str]]:
    """Every (method, path template) of the app, listed when the tests are collected."""
    app = build_app(_NotCalled(), TOKEN)  # type: ignore[arg-type]
    return [
        (method, route.path)
        for route in routes_of(app)
        if not route.path.endswith(SKIPPED)
        for method in sorted(route.methods - {"HEAD"})
    ]


@st.composite
def requests(draw: st.DrawFn, method: str, template: str) -> tuple[str, dict[str, Any]]:
    """A request to one route: hostile path parameters, query, body and header."""
    parameter = re.compile(r"{(\w+)(?::\w+)?}")
    values = {
        name: quote(draw(path_values()), safe="", errors="surrogatepass")
        for name in parameter.findall(template)
    }
    path = parameter.sub(lambda m: values[m.group(1)], template)
    kw: dict[str, Any] = {
        "params": draw(st.dictionaries(st.sampled_from(QUERY_NAMES), query_values, max_size=3))
    }
    if method in ("POST", "PATCH", "PUT"):
        kw["content"] = draw(bodies(KEYS, BASE_SPEC))
    if draw(st.integers(0, 3)) == 0:
        version = draw(st.sampled_from(["1", "1.0", "2", "²", "", "x", "9" * 40, " 1 "]))
        kw["headers"] = {"RigPilot-Protocol": version.encode("utf-8")}
    return path, kw


@pytest.mark.parametrize(("method", "template"), route_methods())
@given(data=st.data())
@SETTINGS
def test_no_route_answers_500_to_anything(
    api: Api, method: str, template: str, data: st.DataObject
) -> None:
    path, kw = data.draw(requests(method, template))
    check(api.send(method, path, **kw), f"{method} {path} {kw}")


def test_the_property_reaches_every_route(api: Api) -> None:
    """Guard the enumeration itself: the app has the routes docs/api.md lists."""
    paths = {path for _, path in route_methods()}
    assert {"/v1/status", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/settings", "/v1/pause"} <= paths
    assert len(paths) >= 14


@pytest.mark.parametrize("field", sorted(KNOWN_KEYS))
@given(value=json_values(KEYS))
@SETTINGS
def test_every_job_spec_field_takes_hostile_values(api: Api, field: str, value: Any) -> None:
    spec = {**BASE_SPEC, "job_id": None, field: value}
    body = dump(spec).encode("utf-8", "surrogatepass")
    answer = api.send("POST", "/v1/jobs", content=body)
    result = check(answer, f"{field}={dump(value)[:200]}")
    if answer.status_code == 201:  # accepted: what reached the ledger is well-formed
        job_id = result["job"]["job_id"]
        assert JOB_ID_RE.fullmatch(job_id), job_id
        api.send("POST", f"/v1/jobs/{job_id}/stop")


@pytest.mark.parametrize("key", sorted(FIELDS))
@given(value=json_values(KEYS))
@SETTINGS
def test_every_setting_takes_hostile_values(api: Api, key: str, value: Any) -> None:
    body = dump({key: value}).encode("utf-8", "surrogatepass")
    answer = api.send("PATCH", "/v1/settings", content=body)
    check(answer, f"{key}={dump(value)[:200]}")
    settings_now = check(api.send("GET", "/v1/settings"), "GET /v1/settings")["settings"]
    json.dumps(settings_now, allow_nan=False)  # what is in force is plain, finite JSON


def test_the_settings_file_is_still_readable(api: Api, tmp_path: Path) -> None:
    answer = check(api.send("GET", "/v1/settings"), "GET /v1/settings")
    assert answer["warnings"] == []
