"""Contract tests: the Nosana adapter against real local HTTP servers.

The servers answer in the documented shapes (tests/data/nosana/*.json, networks.md §1)
and then badly: 500s, timeouts, malformed JSON, missing fields, a state never seen
before. The adapter must report "unknown" with the reason, never crash, and back off
visibly in the log.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from desktop.model import NodeState
from desktop.networks.backoff import Backoff
from desktop.networks.nosana import NosanaAdapter
from desktop.networks.nosana_api import ApiUnavailable, DashboardApi, NodeApi
from desktop.networks.nosana_key import ensure_keypair
from desktop.networks.nosana_node import NodeContainerConfig

DATA = Path(__file__).resolve().parents[1] / "data" / "nosana"
Reply = tuple[int, bytes, float]  # status, body, delay before answering


def doc(name: str) -> bytes:
    return (DATA / name).read_bytes()


class FakeServer:
    """A real HTTP server on 127.0.0.1 whose answers each test scripts per path."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply] | Callable[[dict[str, list[str]]], Reply]] = {}
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                server.requests.append((url.path, query))
                route = server.routes.get(url.path)
                if route is None:
                    status, body, delay = 404, b'{"error":"not found"}', 0.0
                elif callable(route):
                    status, body, delay = route(query)
                else:
                    status, body, delay = route.pop(0) if len(route) > 1 else route[0]
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def hits(self, path: str) -> int:
        return sum(p == path for p, _ in self.requests)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class RunningContainers:
    """The container side is not under test here: the node container 'runs'."""

    def __init__(self, cfg: NodeContainerConfig) -> None:
        self.cfg = cfg

    def node_state(self) -> tuple[str, int | None]:
        return "running", None

    def start(self) -> None: ...

    def stop(self, timeout_s: int = 60) -> None: ...


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.close()


def adapter_for(server: FakeServer, tmp_path: Path, timeout: float = 2.0) -> NosanaAdapter:
    fast = {
        "backoff": Backoff(base=0.2, cap=1.0, jitter=0.1),
        "timeout": httpx.Timeout(timeout, connect=timeout),
    }
    cfg = NodeContainerConfig(key_path=tmp_path / "nosana_key.json")
    adapter = NosanaAdapter(
        key_path=cfg.key_path,
        node_api=NodeApi(server.url, **fast),
        dashboard=DashboardApi(server.url, **fast),
        containers=RunningContainers(cfg),  # type: ignore[arg-type]
    )
    adapter.enroll({})  # the dashboard does not know the node yet (404): fine here
    adapter._started_at = None  # long running: no start-up grace
    return adapter


def wait_for_gate(api: Any) -> None:
    deadline = time.monotonic() + 5
    while not api.gate.ready():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_documented_answers(server: FakeServer, tmp_path: Path) -> None:
    server.routes["/node/info"] = [(200, doc("node_info_queued.json"), 0.0)]
    server.routes["/api/jobs"] = [(200, doc("jobs.json"), 0.0)]
    server.routes["/api/stats/earning-history"] = [(200, doc("earning_history.json"), 0.0)]
    server.routes["/api/benchmarks/node-report"] = [(200, doc("node_report.json"), 0.0)]
    adapter = adapter_for(server, tmp_path)
    address = adapter.address
    assert address is not None
    server.routes[f"/api/nodes/{address}/specs"] = [(200, doc("specs.json"), 0.0)]

    snap = adapter.status()
    assert (snap.state, snap.native_state) == (NodeState.IDLE, "QUEUED")
    jobs = adapter.jobs()
    assert [j.job_id for j in jobs] == ["81234", "81240", "81251"]
    summary = adapter.earnings(start=1767225600.0)
    assert summary.by_day["2026-01-02"].amount == 2.5 and summary.claimable[0].unit == "NOS"
    reputation = adapter.reputation()
    assert reputation is not None and reputation.uptime_pct == 97.5
    # the documented query parameters were sent
    queries = {path: q for path, q in server.requests}
    assert queries["/api/jobs"]["node"] == [address] and "limit" in queries["/api/jobs"]
    history = queries["/api/stats/earning-history"]
    assert history == {"address": [address], "start_date": ["2026-01-01"], "group_by": ["day"]}
    assert queries["/api/benchmarks/node-report"] == {"node": [address]}


def test_enroll_asks_for_the_first_run_when_the_dashboard_does_not_know_the_node(
    server: FakeServer, tmp_path: Path
) -> None:
    fast = {"backoff": Backoff(base=0.1, jitter=0.0)}
    cfg = NodeContainerConfig(key_path=tmp_path / "k.json")
    adapter = NosanaAdapter(
        key_path=cfg.key_path,
        node_api=NodeApi(server.url, **fast),
        dashboard=DashboardApi(server.url, **fast),
        containers=RunningContainers(cfg),
    )  # type: ignore[arg-type]
    action = adapter.enroll({})  # the server answers 404 for every node
    assert action is not None and action.command and "node start" in action.command


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ((500, b"oops", 0.0), "answered HTTP 500"),
        ((503, b"", 0.0), "answered HTTP 503"),
        ((200, b"{not json", 0.0), "malformed JSON"),
        ((200, b"\xff\xfe garbage", 0.0), "malformed JSON"),
        ((200, b"[1, 2]", 0.0), "other than an object"),
        ((200, b'{"node": "x", "uptime": 5}', 0.0), "no state field"),
        ((200, b'{"node": "x", "state": "HIBERNATING"}', 0.0), "does not know: 'HIBERNATING'"),
        ((200, b'{"node": "x", "state": null, "info": 7}', 0.0), "no state field"),
    ],
)
def test_bad_node_answers_give_unknown_with_the_reason(
    server: FakeServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    reply: Reply,
    reason: str,
) -> None:
    server.routes["/node/info"] = [reply]
    adapter = adapter_for(server, tmp_path)
    with caplog.at_level(logging.WARNING):
        snap = adapter.status()
    assert snap.state is NodeState.UNKNOWN and reason in snap.message
    if reply[0] >= 500 or b"garbage" in reply[1] or b"{not" in reply[1]:
        assert "nosana: node API" in caplog.text and "retrying in" in caplog.text


def test_a_timeout_is_unknown_and_backs_off(
    server: FakeServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes["/node/info"] = [
        (200, doc("node_info_queued.json"), 1.5),
        (200, doc("node_info_queued.json"), 0.0),
    ]
    adapter = adapter_for(server, tmp_path, timeout=0.3)
    with caplog.at_level(logging.WARNING):
        snap = adapter.status()
    assert snap.state is NodeState.UNKNOWN and "timed out" in snap.message
    assert "nosana: node API timed out, retrying in" in caplog.text
    hits = server.hits("/node/info")
    again = adapter.status()  # inside the backoff: no request, still unknown
    assert again.state is NodeState.UNKNOWN and "next try in" in again.message
    assert server.hits("/node/info") == hits
    wait_for_gate(adapter.node_api)
    assert adapter.status().state is NodeState.IDLE  # recovered


def test_backoff_grows_while_the_node_api_keeps_failing(
    server: FakeServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes["/node/info"] = [(500, b"", 0.0)]
    adapter = adapter_for(server, tmp_path)
    delays = []
    with caplog.at_level(logging.WARNING):
        for _ in range(4):
            wait_for_gate(adapter.node_api)
            adapter.status()
            delays.append(adapter.node_api.gate.remaining)
    assert delays[0] < delays[2] and max(delays) <= 1.0 + 1e-6
    assert caplog.text.count("answered HTTP 500, retrying in") == 4


def test_unreachable_node_api(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dead = FakeServer()
    url = dead.url
    dead.close()  # nothing listens there now
    cfg = NodeContainerConfig(key_path=tmp_path / "k.json")
    adapter = NosanaAdapter(
        key_path=cfg.key_path,
        node_api=NodeApi(url, backoff=Backoff(base=0.1, jitter=0.0)),
        dashboard=DashboardApi(url, backoff=Backoff(base=0.1, jitter=0.0)),
        containers=RunningContainers(cfg),
    )  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING):
        adapter.enroll({})
        adapter._started_at = None
        snap = adapter.status()
    assert snap.state is NodeState.UNKNOWN and "unreachable" in snap.message
    assert "nosana: node API is unreachable" in caplog.text


def test_bad_dashboard_answers(
    server: FakeServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = adapter_for(server, tmp_path)
    server.routes["/api/jobs"] = [(500, b"", 0.0)]
    with caplog.at_level(logging.WARNING), pytest.raises(ApiUnavailable, match="HTTP 500"):
        adapter.jobs()
    assert "nosana: dashboard API answered HTTP 500, retrying in" in caplog.text
    wait_for_gate(adapter.dashboard)
    broken = {
        "jobs": [
            {"id": 1, "state": 2, "timeStart": 10, "timeEnd": 3610, "usdRewardPerHour": 0.5},
            {"state": 2},
            "junk",
        ],
        "totalJobs": 3,
    }
    server.routes["/api/jobs"] = [(200, json.dumps(broken).encode(), 0.0)]
    jobs = adapter.jobs()
    assert [j.job_id for j in jobs] == ["1"] and str(jobs[0].earned.usd) == "0.500000"  # type: ignore[union-attr]
    assert "skipped 2 malformed job entries" in caplog.text
    server.routes["/api/benchmarks/node-report"] = [(200, b'{"node": "x"}', 0.0)]
    assert adapter.reputation() is None
    server.routes["/api/stats/earning-history"] = [(200, b'{"results": "nope"}', 0.0)]
    assert adapter.earnings().earned[0].amount == 0


def test_enroll_checks_the_registration_within_the_requests_patience(
    server: FakeServer, tmp_path: Path
) -> None:
    """Enrollment asks the dashboard while the user's request waits (its client gives up
    after 5 s), so a dashboard answering in 4 s is "could not check", and checked again."""
    key = tmp_path / "nosana_key.json"
    address, _ = ensure_keypair(key)
    server.routes[f"/api/nodes/{address}/specs"] = [
        (200, doc("specs.json"), 4.0),  # in time for the usual 5 s, not for enrollment
        (200, doc("specs.json"), 0.0),
    ]
    adapter = NosanaAdapter(
        key_path=key,
        node_api=NodeApi(server.url),
        dashboard=DashboardApi(server.url, backoff=Backoff(base=0.1, jitter=0.0)),
        containers=RunningContainers(NodeContainerConfig(key_path=key)),  # type: ignore[arg-type]
    )
    action = adapter.enroll({})
    assert action is not None and "could not check the registration" in action.message
    assert "timed out" in action.message
    wait_for_gate(adapter.dashboard)
    assert adapter.enroll({}) is None  # the supervisor's later check: registered
