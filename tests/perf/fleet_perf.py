"""Performance figures of the Prometheus exporter (issue 16).

The same worker (``--simulate warm``, a reading every second) twice, over the same
window: once with metrics off (the default), once listening on loopback and scraped every
15 s as Prometheus would; the worker's CPU (psutil's CPU times of the process) and
resident memory side by side, with each scrape's duration and size.

``measure(window_s)`` returns ``{name: {"value", "unit", "target"}}``; run this file to
print them.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

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


def measure(window_s: float = 120.0) -> dict[str, dict[str, Any]]:
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
