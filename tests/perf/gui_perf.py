"""Performance figures of the desktop app (issue 8), measured on real processes.

``measure()`` starts a simulated worker (1 s sampling) in a private RIGPILOT_HOME, then:
- runs the app as a subprocess with the dashboard on screen: resident memory and CPU;
- runs it again ``--minimized`` (hidden in the tray): CPU;
- times a cold start to the first painted window (RIGPILOT_EXIT_AFTER_FIRST_PAINT=1);
- times one redraw of a chart holding 24 h of 1 s data in 4 series (in a child process).
It needs an X display (tests/run.sh starts Xvfb); without one Qt's offscreen platform is used
and the tray figures are then not meaningful (reported as such in the unit).

    .venv/bin/python tests/perf/gui_perf.py        # prints the figures as JSON
"""

from __future__ import annotations

import json
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

WARMUP_S = 8.0
CPU_WINDOW_S = 20.0
COLD_STARTS = 3


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, RIGPILOT_HOME=str(home), PYTHONUNBUFFERED="1")
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


def _start_worker(home: Path) -> subprocess.Popen[bytes]:
    from desktop.ipc import endpoints
    from desktop.ipc.client import WorkerClient
    from desktop.ipc.launch import wait_until_ready
    from desktop.paths import Paths

    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "worker", "--simulate", "warm", "--foreground"],
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = WorkerClient(Paths(home / "config", home / "data", home / "logs", home / "run"))
    wait_until_ready(client, timeout=30, exited=process.poll)
    client.call(endpoints.PATCH_SETTINGS, {"sampling.interval_s": 1})
    client.close()
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _app_usage(home: Path, *args: str) -> tuple[float, float]:
    """(CPU % of one core over CPU_WINDOW_S after warm-up, RSS in MB at the end)."""
    app = subprocess.Popen(
        [sys.executable, "-m", "desktop", *args],
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        proc = psutil.Process(app.pid)
        time.sleep(WARMUP_S)
        before = proc.cpu_times()
        start = time.monotonic()
        time.sleep(CPU_WINDOW_S)
        after = proc.cpu_times()
        elapsed = time.monotonic() - start
        rss = proc.memory_info().rss / 2**20
        used = (after.user - before.user) + (after.system - before.system)
        return 100.0 * used / elapsed, rss
    finally:
        _stop(app)


def _cold_start(home: Path) -> float:
    """Seconds from launching the app process to its first painted window (median)."""
    times = []
    for _ in range(COLD_STARTS):
        started = time.time()
        done = subprocess.run(
            [sys.executable, "-m", "desktop"],
            env=_env(home, RIGPILOT_EXIT_AFTER_FIRST_PAINT="1"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        line = next(ln for ln in done.stdout.splitlines() if ln.startswith("first-paint "))
        times.append(float(line.split()[1]) - started)
    return statistics.median(times)


def _redraw_child() -> None:
    """In a child process: one chart, 4 series of 86 400 points, median full redraw in ms."""
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from desktop.ui import theme
    from desktop.ui.dashboard.charts import TimeChart

    app = QApplication(sys.argv[:1])
    chart = TimeChart("Temperature", "°C", theme.DARK)
    for i, key in enumerate(("core", "mem", "power", "limit")):
        chart.add_series(key, key, i)
    chart.resize(1250, 330)
    chart.show()
    app.processEvents()
    end = time.time()
    x = np.arange(end - 86_400, end, 1.0)
    rng = np.random.default_rng(0)
    runs = []
    for _ in range(12):
        ys = [60 + 10 * np.sin(x / 900 + k) + rng.normal(0, 1, len(x)) for k in range(4)]
        t0 = time.perf_counter()
        for key, y in zip(("core", "mem", "power", "limit"), ys, strict=True):
            chart.set_series(key, x, y)
        chart.set_window(end - 86_400, end)
        app.processEvents()  # the one repaint the new data scheduled
        runs.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"redraw_ms": statistics.median(runs[2:])}))


def _redraw_ms(home: Path) -> float:
    done = subprocess.run(
        [sys.executable, __file__, "--redraw-child"],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["redraw_ms"])


def measure() -> dict[str, dict[str, Any]]:
    home = Path(tempfile.mkdtemp(prefix="rp-perf-"))
    worker = _start_worker(home)
    display = "X11" if os.environ.get("DISPLAY") else "offscreen, no tray"
    try:
        visible_cpu, rss = _app_usage(home)
        hidden_cpu, _ = _app_usage(home, "--minimized")
        cold = _cold_start(home)
        redraw = _redraw_ms(home)
    finally:
        _stop(worker)
        shutil.rmtree(home, ignore_errors=True)
    return {
        "gui_rss_dashboard": {"value": round(rss, 1), "unit": "MB", "target": "< 200 MB"},
        "gui_cpu_dashboard_visible": {
            "value": round(visible_cpu, 2),
            "unit": f"% of one core (1 s sampling, {display})",
            "target": "< 3 %",
        },
        "gui_cpu_hidden_in_tray": {
            "value": round(hidden_cpu, 3),
            "unit": f"% of one core ({display})",
            "target": "< 0.3 %",
        },
        "gui_redraw_24h_4_series": {"value": round(redraw, 1), "unit": "ms", "target": "< 30 ms"},
        "gui_cold_start_first_paint": {"value": round(cold, 2), "unit": "s", "target": "< 2 s"},
    }


if __name__ == "__main__":
    if "--redraw-child" in sys.argv:
        _redraw_child()
    else:
        print(json.dumps(measure(), indent=2))
