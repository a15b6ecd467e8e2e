"""Performance figures of the Prometheus exporter (issue 16).

The same worker (``--simulate warm``, a reading every second) twice, over the same
window: once with metrics off (the default), once listening on loopback and scraped every
15 s as Prometheus would; the worker's CPU (psutil's CPU times of the process) and
resident memory side by side, with each scrape's duration and size. Then how long an
emergency stop takes from the guard's event to a webhook on loopback (the alerter's own
sending thread, as in the worker; the issue asks for "within a sample period").

``measure(window_s)`` returns ``{name: {"value", "unit", "target"}}``; run this file to
print them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psutil

from desktop.fleet.alert_delivery import Deliverer, Destination
from desktop.fleet.alert_rules import from_event
from desktop.model import Event, Severity
from desktop.settings import SettingsStore

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.perf.worker_perf import SETTLE_S, _paths, _start, _stop  # noqa: E402

SCRAPE_EVERY_S = 15.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(window_s: float, listen: str | None) -> tuple[float, float, list[float], int]:
    """(CPU % of a core, RSS MB, scrape ms, bytes of the last scrape) over the window."""
    home = Path(tempfile.mkdtemp(prefix="rp-perf-fleet-"))
    paths = _paths(home).ensure()
    if listen is not None:
        SettingsStore(paths.settings_file).patch({"metrics.listen": listen})
    process = _start(home)
    scrapes: list[float] = []
    size = [0]
    stop = threading.Event()

    def scrape() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            with urllib.request.urlopen(f"http://{listen}/metrics", timeout=10) as response:
                size[0] = len(response.read())
            scrapes.append((time.perf_counter() - started) * 1000)
            stop.wait(SCRAPE_EVERY_S)

    try:
        time.sleep(SETTLE_S)
        proc = psutil.Process(process.pid)
        scraper = threading.Thread(target=scrape, daemon=True) if listen else None
        before, t0 = proc.cpu_times(), time.monotonic()
        if scraper is not None:
            scraper.start()
        time.sleep(window_s)
        after, t1 = proc.cpu_times(), time.monotonic()
        stop.set()
        rss = proc.memory_info().rss / 2**20
    finally:
        _stop(process)
        shutil.rmtree(home, ignore_errors=True)
    used = (after.user + after.system) - (before.user + before.system)
    return 100.0 * used / (t1 - t0), rss, scrapes, size[0]


def _alert_latencies_ms(count: int = 20) -> list[float]:
    """From an emergency-stop event handed to the sender to its arrival at a webhook."""
    arrived: dict[int, float] = {}

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            arrived[int(body["gpu"])] = time.perf_counter()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    deliverer = Deliverer(lambda: [Destination("webhook", url)], "perf", time.time)
    deliverer.start()
    sent: dict[int, float] = {}
    try:
        for gpu in range(count):
            event = Event(time.time(), "guard.kill", Severity.CRITICAL, "fan at 0 %", gpu_index=gpu)
            alert = from_event(event, "perf")
            assert alert is not None
            sent[gpu] = time.perf_counter()
            deliverer.put(alert)
            deadline = time.monotonic() + 10
            while gpu not in arrived and time.monotonic() < deadline:
                time.sleep(0.001)
    finally:
        deliverer.close()
        server.shutdown()
    return [(arrived[g] - sent[g]) * 1000 for g in sent if g in arrived]


def measure(window_s: float = 120.0) -> dict[str, dict[str, Any]]:
    latencies = _alert_latencies_ms()
    if not latencies:
        raise RuntimeError("no alert reached the webhook")
    off_cpu, off_rss, _, _ = _run(window_s, None)
    on_cpu, on_rss, scrapes, size = _run(window_s, f"127.0.0.1:{_free_port()}")
    if not scrapes:
        raise RuntimeError("no scrape was answered")
    return {
        "fleet.worker_cpu_metrics_off": {
            "value": round(off_cpu, 3), "unit": "% of a core", "target": "informational",
        },
        "fleet.worker_cpu_metrics_on_scraped_15s": {
            "value": round(on_cpu, 3), "unit": "% of a core", "target": "< 1 % of one core",
        },
        "fleet.worker_cpu_exporter_cost": {
            "value": round(on_cpu - off_cpu, 3), "unit": "% of a core", "target": "< 0.5",
        },
        "fleet.worker_rss_metrics_off": {
            "value": round(off_rss, 1), "unit": "MB", "target": "informational",
        },
        "fleet.worker_rss_metrics_on": {
            "value": round(on_rss, 1), "unit": "MB", "target": "< 80 MB",
        },
        "fleet.scrape_ms_p50": {
            "value": round(statistics.median(scrapes), 2), "unit": "ms", "target": "< 100 ms",
        },
        "fleet.scrape_ms_max": {
            "value": round(max(scrapes), 2), "unit": "ms", "target": "informational",
        },
        "fleet.scrape_bytes": {"value": size, "unit": "B", "target": "informational"},
        "fleet.scrapes": {"value": len(scrapes), "unit": "", "target": "informational"},
        "fleet.emergency_to_webhook_ms_p50": {
            "value": round(statistics.median(latencies), 2), "unit": "ms",
            "target": "< one sample period (1000 ms)",
        },
        "fleet.emergency_to_webhook_ms_max": {
            "value": round(max(latencies), 2), "unit": "ms", "target": "informational",
        },
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=120.0, help="window in seconds")
    args = parser.parse_args()
    for name, figure in measure(args.window).items():
        print(f"{name:42} {figure['value']:>10} {figure['unit']:<12} {figure['target']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
