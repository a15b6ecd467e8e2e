"""Telemetry: rollup maths, incremental and idempotent rollups, retention, resolution choice."""

from __future__ import annotations

from dataclasses import replace

import pytest

from desktop.ledger import Ledger
from desktop.model import GpuSample

T0 = 1_700_000_000.0 - 1_700_000_000.0 % 3600  # an hour boundary


def sample(
    ts: float, temp: float | None = 60.0, gpu: int = 0, energy: float | None = None
) -> GpuSample:
    return GpuSample(
        ts=ts, gpu_index=gpu, uuid=f"GPU-{gpu}", core_temp_c=temp, mem_temp_c=None,
        power_w=100.0, energy_j=ts - T0 if energy is None else energy, gpu_util_pct=90.0,
        mem_util_pct=None, vram_used_mib=None, vram_total_mib=None, fan_pct=50.0,
        sm_clock_mhz=None, mem_clock_mhz=None, clock_event_reasons=0, pstate=None,
        power_limit_w=200.0,
    )  # fmt: skip


def fill(ledger: Ledger, start: float, seconds: int, step: float = 1.0, gpus: int = 1) -> None:
    ledger.add_samples(
        sample(start + i * step, 50.0 + (i % 60) / 2, gpu)
        for i in range(int(seconds / step))
        for gpu in range(gpus)
    )


def test_add_samples_ignores_repeats(ledger: Ledger) -> None:
    assert ledger.add_samples([sample(T0), sample(T0 + 1)]) == 2
    assert ledger.add_samples([sample(T0), sample(T0 + 2)]) == 1
    assert ledger.add_samples([]) == 0


def test_minute_rollup_means_max_and_last_energy(ledger: Ledger) -> None:
    no_counter = replace(sample(T0 + 59, 80.0), energy_j=None)
    ledger.add_samples(
        [sample(T0 + 0, 60.0), sample(T0 + 20, None), sample(T0 + 40, 70.0), no_counter]
    )
    assert ledger.rollup(now=T0 + 61) == {"1m": 1, "1h": 0}
    resolution, points = ledger.telemetry(0, T0 - 1, T0 + 3 * 3600, now=T0 + 3 * 3600)
    assert resolution == "1m"
    (p,) = points
    assert (p.ts, p.samples, p.core_temp_c, p.core_temp_max_c) == (T0, 4, 70.0, 80.0)
    assert p.energy_j == 40.0  # the last sample that had a counter value
    assert p.power_limit_w == 200.0 and p.mem_temp_c is None


def test_rollups_are_incremental_idempotent_and_catch_late_samples(ledger: Ledger) -> None:
    fill(ledger, T0, 3 * 3600 + 120, step=2.0, gpus=2)
    first = ledger.rollup(now=T0 + 3 * 3600 + 90)
    assert first == {"1m": 2 * (3 * 60 + 1), "1h": 2 * 3}
    snapshot = ledger.telemetry(1, T0, T0 + 3 * 3600, now=T0 + 3 * 3600 + 90)
    assert ledger.rollup(now=T0 + 3 * 3600 + 90) == {
        "1m": 2,
        "1h": 2,
    }  # the redo of the last buckets
    assert ledger.telemetry(1, T0, T0 + 3 * 3600, now=T0 + 3 * 3600 + 90) == snapshot
    # a late sample for the last finished minute is folded in on the next run
    last_minute = T0 + 3 * 3600
    ledger.add_samples([sample(last_minute + 59.5, 99.0, gpu=1)])
    ledger.rollup(now=T0 + 3 * 3600 + 150)
    _, pts = ledger.telemetry(1, last_minute - 1, last_minute + 200, now=T0 + 4 * 86400)
    assert [p.core_temp_max_c for p in pts if p.ts == last_minute] == [99.0]


def test_hour_rollup_weights_minutes_by_samples(ledger: Ledger) -> None:
    ledger.add_samples([sample(T0 + 10, 40.0)])  # one sample in the first minute
    ledger.add_samples(sample(T0 + 60 + i, 70.0) for i in range(30))  # thirty in the second
    ledger.rollup(now=T0 + 3600 + 60)
    resolution, (hour,) = ledger.telemetry(0, T0, T0 + 4 * 86400, now=T0 + 4 * 86400)
    assert resolution == "1h"
    assert hour.samples == 31
    assert hour.core_temp_c == pytest.approx((40 + 30 * 70) / 31)
    assert hour.energy_j == 60 + 29


def test_resolution_follows_span_and_age(ledger: Ledger) -> None:
    now = T0 + 5 * 86400
    fill(ledger, now - 3 * 3600, 3 * 3600, step=10.0)
    ledger.rollup(now=now)
    assert ledger.telemetry(0, now - 3600, now=now)[0] == "raw"
    res, pts = ledger.telemetry(0, now - 2 * 3600, now=now)
    assert res == "raw" and len(pts) == 719  # points after `since`, up to `until`
    assert ledger.telemetry(0, now - 24 * 3600, now=now)[0] == "1m"
    assert ledger.telemetry(0, now - 7 * 86400, now=now)[0] == "1h"
    # a short range older than raw retention is served from the minute rollups
    assert ledger.telemetry(0, now - 50 * 3600, now - 49 * 3600, now=now)[0] == "1m"
    assert ledger.telemetry(0, now - 40 * 86400, now - 39 * 86400, now=now)[0] == "1h"


def test_unrolled_tail_is_aggregated_on_the_fly(ledger: Ledger) -> None:
    fill(ledger, T0, 3600, step=1.0)
    # no rollup at all yet: the 24 h view still shows every minute
    res, pts = ledger.telemetry(0, T0 + 3600 - 86400, T0 + 3600, now=T0 + 3600)
    assert res == "1m" and len(pts) == 60 and all(p.samples == 60 for p in pts)
    ledger.rollup(now=T0 + 1800 + 30)  # half rolled up
    assert ledger.telemetry(0, T0 + 3600 - 86400, T0 + 3600, now=T0 + 3600)[1] == pts


def test_prune_keeps_retention_and_never_drops_unrolled_rows(ledger: Ledger) -> None:
    fill(ledger, T0, 2 * 3600, step=30.0)
    assert ledger.prune(now=T0 + 100 * 86400) == {"raw": 0, "1m": 0}  # nothing rolled up yet
    ledger.rollup(now=T0 + 2 * 3600 + 1)
    deleted = ledger.prune(now=T0 + 100 * 86400)
    assert deleted["raw"] == 2 * 120 - 2  # all but the last minute, kept for its redo
    assert deleted["1m"] == 60  # minutes of the first hour; the last hour's minutes stay
    assert ledger.prune(now=T0 + 100 * 86400) == {"raw": 0, "1m": 0}  # idempotent
    res, hours = ledger.telemetry(0, T0, T0 + 3 * 3600, now=T0 + 100 * 86400)
    assert res == "1h" and [h.samples for h in hours] == [120, 120]


def test_recent_rows_survive_prune(ledger: Ledger) -> None:
    now = T0 + 10 * 86400
    fill(ledger, now - 50 * 3600, 50 * 3600, step=60.0)
    ledger.maintain(now=now)
    res, pts = ledger.telemetry(0, now - 2 * 3600, now=now)
    assert res == "raw" and len(pts) == 119
    res, pts = ledger.telemetry(0, now - 50 * 3600, now=now)
    assert res == "1m" and len(pts) == 50 * 60 and pts[0].ts == now - 50 * 3600
    with ledger._db.read() as conn:
        oldest, count = conn.execute("SELECT min(ts), count(*) FROM telemetry_raw").fetchone()
    assert (oldest, count) == (now - 48 * 3600, 48 * 60)
