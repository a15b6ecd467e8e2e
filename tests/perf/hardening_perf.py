"""What the issue 17 defences cost: the ledger's checks and backup, and the API under load.

* ``ledger_open_quick_check``: opening a ledger holding 48 h of raw telemetry for two GPUs
  (what the worker keeps) with the ``quick_check`` every start now runs;
* ``ledger_daily_backup``: the daily backup of that ledger (SQLite's backup API, then
  ``integrity_check`` of the copy), which runs in the ledger's writer thread;
* ``api_status_idle_500``: a status request's round trip while 500 connections are held open
  (half idle, half sending a head that never ends), next to the same without them.

``measure(quick=True)`` uses 12 h of telemetry instead of 48 h.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from desktop.ipc.auth import load_or_create_token
from desktop.ipc.client import WorkerClient
from desktop.ipc.server import build_app
from desktop.ipc.transport import ApiServer
from desktop.ledger import Ledger
from desktop.model import GpuSample
from desktop.paths import Paths

HOUR = 3600


def _sample(gpu: int, ts: int) -> GpuSample:
    return GpuSample(
        ts=float(ts), gpu_index=gpu, uuid=f"GPU-{gpu}", core_temp_c=60.0 + ts % 20,
        mem_temp_c=None, power_w=180.0 + ts % 30, energy_j=200.0 * ts, gpu_util_pct=95.0,
        mem_util_pct=40.0, vram_used_mib=8000.0, vram_total_mib=24000.0, fan_pct=55.0,
        sm_clock_mhz=1800.0, mem_clock_mhz=9500.0, clock_event_reasons=0, pstate=2,
        power_limit_w=250.0,
    )  # fmt: skip


def _ledger_figures(folder: Path, hours: int) -> tuple[float, float, float]:
    path = folder / "ledger.sqlite"
    with Ledger.open(path) as ledger:
        for start in range(0, hours * HOUR, HOUR):
            ledger.add_samples(_sample(g, t) for t in range(start, start + HOUR) for g in (0, 1))
    size_mb = path.stat().st_size / 2**20
    started = time.perf_counter()
    ledger = Ledger.open(path)
    open_s = time.perf_counter() - started
    try:
        started = time.perf_counter()
        ledger.backup_if_due(time.time())
        backup_s = time.perf_counter() - started
    finally:
        ledger.close()
    return size_mb, open_s, backup_s


class _Status:
    """The one controller method the measurement calls."""

    async def status(self) -> dict[str, Any]:
        return {"mode": "simulated"}


def _status_ms(client: WorkerClient, rounds: int = 20) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        client.status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _api_figures(folder: Path) -> tuple[float, float]:
    paths = Paths(folder / "c", folder / "d", folder / "l", folder / "r").ensure()
    app = build_app(_Status(), load_or_create_token(paths.token_file))  # type: ignore[arg-type]

    async def run() -> tuple[float, float]:
        server = ApiServer(app, paths)
        await server.start()
        client = WorkerClient(paths)
        held: list[socket.socket] = []
        try:
            quiet = await asyncio.to_thread(_status_ms, client)
            for i in range(500):
                sock = socket.socket(socket.AF_UNIX)
                sock.connect(str(paths.socket_file))
                if i % 2:
                    sock.sendall(b"GET /v1/status HTTP/1.1\r\nHo")
                held.append(sock)
            await asyncio.sleep(0.2)
            loaded = await asyncio.to_thread(_status_ms, client)
        finally:
            for sock in held:
                sock.close()
            client.close()
            await server.stop()
        return quiet, loaded

    return asyncio.run(run())


def measure(quick: bool = False) -> dict[str, dict[str, Any]]:
    hours = 12 if quick else 48
    with tempfile.TemporaryDirectory(prefix="rigpilot-perf-") as tmp:
        size_mb, open_s, backup_s = _ledger_figures(Path(tmp), hours)
    figures: dict[str, dict[str, Any]] = {
        "ledger_open_quick_check": {
            "value": open_s * 1000, "unit": "ms",
            "target": f"info ({size_mb:.0f} MB: {hours} h of 1 Hz telemetry, 2 GPUs)"},
        "ledger_daily_backup": {
            "value": backup_s * 1000, "unit": "ms",
            "target": f"info (backup API + integrity_check of {size_mb:.0f} MB, once a day)"},
    }  # fmt: skip
    if sys.platform != "win32":
        with tempfile.TemporaryDirectory(prefix="rp-") as tmp:
            quiet, loaded = _api_figures(Path(tmp))
        target = f"< 1000 ms (median of 20; {quiet:.1f} ms with no idle connections)"
        figures["api_status_idle_500"] = {"value": loaded, "unit": "ms", "target": target}
    return figures


if __name__ == "__main__":
    print(json.dumps(measure("--quick" in sys.argv), indent=2))
