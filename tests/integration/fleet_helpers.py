"""What the fleet tests share: the services' Prometheus, its HTTP API, and the catalog.

tests/services.sh starts two workers (two homes, simulated GPUs) exporting metrics and a
real Prometheus scraping both; it exports where they are in RIGPILOT_FLEET_* variables.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import missing_service

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "resources" / "grafana" / "rigpilot.json"
RULES = ROOT / "resources" / "prometheus" / "rigpilot-rules.yml"
RULES_TEST = ROOT / "tests" / "prometheus" / "rigpilot-rules.test.yml"
SCRAPE_LABELS = {"__name__", "instance", "job"}  # Prometheus adds these to every series


@dataclass(frozen=True)
class Fleet:
    prometheus: str
    homes: list[Path]
    targets: list[str]
    token_file: Path

    def api(self, path: str, **params: str) -> Any:
        """One GET of Prometheus's HTTP API; the ``data`` of a success."""
        query = urllib.parse.urlencode(params)
        url = f"{self.prometheus}/api/v1/{path}" + (f"?{query}" if query else "")
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        return list(self.api("query", query=expr)["result"])


def fleet() -> Fleet:
    prometheus = os.environ.get("RIGPILOT_FLEET_PROMETHEUS", "")
    if not prometheus:
        missing_service("the fleet of tests/services.sh (two workers and Prometheus)")
    return Fleet(
        prometheus,
        [Path(p) for p in os.environ["RIGPILOT_FLEET_HOMES"].split(":")],
        os.environ["RIGPILOT_FLEET_TARGETS"].split(","),
        Path(os.environ["RIGPILOT_FLEET_TOKEN_FILE"]),
    )


def wait_until(check: Callable[[], Any], timeout: float, what: Callable[[], str]) -> Any:
    """``check()`` until it is truthy; fails with ``what()`` (the state found) on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what()}")
        time.sleep(1.0)


def dashboard_exprs() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every target of the dashboard, with the rig variable set
    to its "All" value (as Grafana sends it)."""
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    rig = next(v for v in board["templating"]["list"] if v["name"] == "rig")
    metric, label = re.fullmatch(r"label_values\((\w+), (\w+)\)", rig["definition"]).groups()
    found = [("the rig variable", f"group by ({label}) ({metric})")]
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            found.append((panel["title"], target["expr"].replace("$rig", rig["allValue"])))
    return found


class Receiver:
    """A webhook on 127.0.0.1 that keeps what it was sent, in order."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.got.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [body for body in self.got if body.get("kind") == kind]


@pytest.fixture(name="receiver")
def receiver_fixture() -> Iterator[Receiver]:
    """A webhook for one test (import ``receiver_fixture`` to use ``receiver``)."""
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()
