"""Ledger performance figures (issue 5): insert rates with full sync, and the 24 h chart query.

``measure()`` returns {metric: {"value", "unit", "target"}} for the lead's perf runner;
``python tests/perf/ledger_perf.py`` prints them. It writes to a temporary folder on the
default temp filesystem (set TMPDIR to measure another disk: fsync cost is the disk's).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from desktop.ledger import Ledger
from desktop.model import GpuSample, Money

EARNINGS = 300  # one commit (and fsync) each, as the worker records them
BATCHES, BATCH = 60, 60  # a minute of 1 Hz samples per commit
DAY = 86400


def _sample(ts: float, i: int) -> GpuSample:
    return GpuSample(
        ts=ts, gpu_index=0, uuid="GPU-0", core_temp_c=60.0 + i % 20, mem_temp_c=None,
        power_w=180.0 + i % 30, energy_j=200.0 * i, gpu_util_pct=95.0, mem_util_pct=40.0,
        vram_used_mib=8000.0, vram_total_mib=24000.0, fan_pct=55.0, sm_clock_mhz=1800.0,
        mem_clock_mhz=9500.0, clock_event_reasons=0, pstate=2, power_limit_w=250.0,
    )  # fmt: skip


def _earnings_rate(ledger: Ledger) -> float:
    start = time.perf_counter()
    for i in range(EARNINGS):
        ledger.record_earning(f"perf:{i}", "demo", "job", Money(Decimal("0.01"), "DEMO"), float(i))
    return EARNINGS / (time.perf_counter() - start)


def _telemetry_rate(ledger: Ledger, t0: float) -> float:
    batches = [[_sample(t0 + b * BATCH + i, i) for i in range(BATCH)] for b in range(BATCHES)]
    start = time.perf_counter()
    for batch in batches:
        ledger.add_samples(batch)
    return BATCHES * BATCH / (time.perf_counter() - start)


def _day_query_ms(ledger: Ledger, now: float) -> tuple[float, float, int]:
    """Fill 24 h of 1 Hz samples, roll up, then time the 24 h query (median of 7)."""
    start = now - DAY
    for hour in range(24):
        ledger.add_samples(_sample(start + hour * 3600 + s, s) for s in range(3600))
    t = time.perf_counter()
    ledger.rollup(now=now)
    rollup_s = time.perf_counter() - t
    times, points = [], 0
    for _ in range(7):
        t = time.perf_counter()
        resolution, pts = ledger.telemetry(0, now - DAY, now, now=now)
        times.append((time.perf_counter() - t) * 1000)
        points = len(pts)
        assert resolution == "1m"
    return statistics.median(times), rollup_s, points


def measure() -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="rigpilot-perf-") as tmp:
        with Ledger.open(Path(tmp) / "ledger.sqlite") as ledger:
            earn = _earnings_rate(ledger)
            now = time.time() // 60 * 60
            samples = _telemetry_rate(ledger, now - 3 * DAY)
            query_ms, rollup_s, points = _day_query_ms(ledger, now)
    return {
        "ledger_earnings_insert_rate": {
            "value": earn, "unit": "rows/s", "target": "info (one fsynced commit per row)"},
        "ledger_telemetry_insert_rate": {
            "value": samples, "unit": "samples/s", "target": f"info (batches of {BATCH})"},
        "ledger_telemetry_24h_query": {
            "value": query_ms, "unit": "ms", "target": f"< 50 ms ({points} 1-minute points)"},
        "ledger_rollup_24h_backlog": {
            "value": rollup_s * 1000, "unit": "ms", "target": "info (86,400 raw samples at once)"},
    }  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
