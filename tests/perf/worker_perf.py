"""Performance figures of the worker and its local API (issue 4).

- idle CPU of ``rigpilot worker --simulate warm`` sampling one GPU every second, over a
  window (target < 1 % of one core), from psutil's CPU times of the worker process;
- the worker's resident memory after that window (target < 80 MB);
- ``GET /v1/status`` round trip through ``WorkerClient`` over the real socket, p50 and
  p99 of ~200 requests (target p50 < 5 ms);
- the delay from a sample being taken to a client seeing it, polling
  ``GET /v1/telemetry?since=<last ts>`` once a second like the dashboard (target < 1.5 s).

``measure(window_s)`` returns ``{name: {"value", "unit", "target"}}``; run this file to
print them (``--window 10`` for a quick look).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from desktop.ipc import endpoints
from desktop.ipc.client import WorkerClient, WorkerNotRunning
from desktop.ipc.schema_data import TelemetryQuery
from desktop.paths import Paths
from desktop.settings import SettingsStore

STATUS_REQUESTS = 200
SETTLE_S = 3.0


def _paths(home: Path) -> Paths:
    return Paths(home / "config", home / "data", home / "logs", home / "run")


def _start(home: Path) -> subprocess.Popen[bytes]:
    paths = _paths(home).ensure()
    SettingsStore(paths.settings_file).patch({"sampling.interval_s": 1})
    env = {**os.environ, "RIGPILOT_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "worker", "--simulate", "warm"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = WorkerClient(paths)
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                client.status()
                return process
            except WorkerNotRunning:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the worker did not start; see its log") from None
                time.sleep(0.05)
    finally:
        client.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def idle_cpu(pid: int, window_s: float) -> tuple[float, float]:
    """(percent of one core, RSS in MB) of the process over ``window_s`` of idling."""
    proc = psutil.Process(pid)
    before, t0 = proc.cpu_times(), time.monotonic()
    time.sleep(window_s)
    after, t1 = proc.cpu_times(), time.monotonic()
    used = (after.user + after.system) - (before.user + before.system)
    return 100.0 * used / (t1 - t0), proc.memory_info().rss / 2**20


def status_round_trip(client: WorkerClient, count: int = STATUS_REQUESTS) -> list[float]:
    """Milliseconds per ``GET /v1/status``, over a kept-alive connection like the GUI's."""
    for _ in range(10):
        client.status()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        client.status()
        times.append((time.perf_counter() - started) * 1000)
    return times


def sample_latency(client: WorkerClient, polls: int) -> list[float]:
    """Seconds from each sample's timestamp to the poll that first returned it."""
    latest = client.call(endpoints.TELEMETRY, TelemetryQuery(gpu=0)).points
    since = latest[-1].ts if latest else time.time()
    delays: list[float] = []
    for _ in range(polls):
        time.sleep(1.0)
        points = client.call(endpoints.TELEMETRY, TelemetryQuery(gpu=0, since=since)).points
        seen = time.time()
        for point in points:
            delays.append(seen - point.ts)
            since = max(since, point.ts)
    return delays


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(window_s: float = 60.0) -> dict[str, dict[str, Any]]:
    home = Path(tempfile.mkdtemp(prefix="rp-perf-"))
    process = _start(home)
    client = WorkerClient(_paths(home))
    try:
        time.sleep(SETTLE_S)
        cpu, rss = idle_cpu(process.pid, window_s)
        times = status_round_trip(client)
        delays = sample_latency(client, polls=max(5, min(20, int(window_s // 3))))
    finally:
        client.close()
        _stop(process)
        shutil.rmtree(home, ignore_errors=True)
    if not delays:
        raise RuntimeError("no sample reached the client")
    return {
        "worker.idle_cpu": {
            "value": round(cpu, 3),
            "unit": "% of a core",
            "target": "< 1 % of one core",
        },
        "worker.rss": {"value": round(rss, 1), "unit": "MB", "target": "< 80 MB"},
        "worker.status_rtt_p50": {
            "value": round(statistics.median(times), 3),
            "unit": "ms",
            "target": "< 5 ms",
        },
        "worker.status_rtt_p99": {
            "value": round(_percentile(times, 0.99), 3),
            "unit": "ms",
            "target": "informational",
        },
        "worker.sample_to_client_max": {
            "value": round(max(delays), 3),
            "unit": "s",
            "target": "< 1.5 s",
        },
        "worker.sample_to_client_p50": {
            "value": round(statistics.median(delays), 3),
            "unit": "s",
            "target": "informational",
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=60.0, help="idle window in seconds")
    args = parser.parse_args()
    for name, figure in measure(args.window).items():
        print(f"{name:32} {figure['value']:>10} {figure['unit']:<12} {figure['target']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
