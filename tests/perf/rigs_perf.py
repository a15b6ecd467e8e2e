"""Performance figures of the remote-API networks and the doctor's link check (issue 14).

- requests an adapter sends its API per hour while the supervisor polls its status every
  5 s (Clore.ai allows one a second, Akash's Console is public): the status is reused for
  ``FRESH_S``, so at most 3600 / FRESH_S per endpoint (simulated hour, moved clock, real
  HTTP to a local server; without it, 720);
- ``status()`` of Clore.ai against a local server when it does ask (p50 of 50, ms);
- one doctor link measurement (latency, download, upload, public address) against a local
  stand-in for the speed-test endpoint, with the real time bounds (target: under 10 s;
  each transfer stops after 3 s).

``measure()`` returns ``{name: {"value", "unit", "target"}}``; run this file to print them.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from desktop.checks.link_probe import LinkProbe  # noqa: E402
from desktop.networks import registry  # noqa: E402
from desktop.networks.spec import AdapterContext  # noqa: E402
from tests.contract.harness import NetworkServer, Reply, Request, load_case  # noqa: E402

POLL_S = 5.0
ENDPOINTS = {"clore": 1, "vast": 1, "akash": 2}  # Akash: the Console and the provider's own


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _adapter(network: str, server: NetworkServer, tmp: Path) -> Any:
    case = load_case(network)
    case.serve(server)
    (spec,) = [s for s in registry.load_specs({}) if s.id == network]
    adapter = spec.build(AdapterContext(env=case.env(server.url, tmp), data_dir=tmp))
    adapter.enroll(case.credentials)
    return adapter


def requests_per_hour(network: str, tmp: Path) -> int:
    server = NetworkServer()
    try:
        adapter = _adapter(network, server, tmp / network)
        clock = Clock()
        adapter.recent.clock = clock
        before = len(server.requests)
        for _ in range(int(3600 / POLL_S)):
            adapter.status()
            clock.now += POLL_S
        return len(server.requests) - before
    finally:
        server.close()


def clore_status_ms(tmp: Path) -> float:
    server = NetworkServer()
    try:
        adapter = _adapter("clore", server, tmp / "clore-latency")
        times = []
        for _ in range(50):
            adapter.recent.forget()
            start = time.perf_counter()
            adapter.status()
            times.append((time.perf_counter() - start) * 1000)
        return round(statistics.median(times), 2)
    finally:
        server.close()


def link_seconds() -> float:
    server = NetworkServer()

    def down(request: Request) -> Reply:
        count = min(int(request.query.get("bytes", ["0"])[0]), 20_000_000)
        return Reply(200, bytes(count), headers=(("Content-Type", "application/octet-stream"),))

    server.routes["GET /__down"] = down
    server.routes["POST /__up"] = lambda r: Reply(200, json.dumps({"n": len(r.body)}).encode())
    server.routes["GET /cdn-cgi/trace"] = Reply(200, b"ip=127.0.0.1\n")
    try:
        start = time.perf_counter()
        measure = LinkProbe(server.url).measure()
        assert measure.measured, measure.error
        return round(time.perf_counter() - start, 2)
    finally:
        server.close()


def measure(window_s: float | None = None) -> dict[str, dict[str, Any]]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        figures = {
            f"{net} API requests per hour of 5 s polls": {
                "value": requests_per_hour(net, tmp),
                "unit": "requests",
                "target": f"<= {3600 / registry_fresh(net) * ENDPOINTS[net]:.0f}",
            }
            for net in ("clore", "vast", "akash")
        }
        figures["clore status() when it asks (p50)"] = {
            "value": clore_status_ms(tmp),
            "unit": "ms",
            "target": "< 100",
        }
    figures["doctor link measurement, local endpoint"] = {
        "value": link_seconds(),
        "unit": "s",
        "target": "< 10",
    }
    return figures


def registry_fresh(network: str) -> float:
    module = __import__(f"desktop.networks.{network}", fromlist=["FRESH_S"])
    return float(module.FRESH_S)


if __name__ == "__main__":
    for name, figure in measure().items():
        print(f"{name}: {figure['value']} {figure['unit']} (target {figure['target']})")
