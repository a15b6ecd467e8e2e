"""The in-memory telemetry: since= polls, bounded rings, rollups for long ranges."""

from __future__ import annotations

from desktop.model import GpuSample
from desktop.worker.telemetry import SampleFeed, TelemetryBuffer, rollup


def sample(ts: float, gpu: int = 0, temp: float | None = 50.0) -> GpuSample:
    return GpuSample(
        ts=ts,
        gpu_index=gpu,
        uuid=f"GPU-{gpu}",
        core_temp_c=temp,
        mem_temp_c=None,
        power_w=100.0 + ts % 10,
        energy_j=ts * 100,
        gpu_util_pct=90.0,
        mem_util_pct=None,
        vram_used_mib=None,
        vram_total_mib=None,
        fan_pct=40.0,
        sm_clock_mhz=None,
        mem_clock_mhz=None,
        clock_event_reasons=0,
        pstate=None,
        power_limit_w=200.0,
    )


def test_since_returns_newer_points_only() -> None:
    buffer = TelemetryBuffer()
    for ts in range(10):
        buffer.add(sample(float(ts)))
    points = buffer.since(0, 6.0)
    assert [p["ts"] for p in points] == [7.0, 8.0, 9.0]
    assert set(points[0]) == {
        "ts",
        "gpu_index",
        "core_temp_c",
        "mem_temp_c",
        "power_w",
        "power_limit_w",
        "gpu_util_pct",
        "fan_pct",
        "energy_j",
    }
    assert buffer.since(0, 9.0) == []
    assert buffer.since(3, 0.0) == []


def test_all_gpus_interleave_by_time_and_latest_is_per_gpu() -> None:
    buffer = TelemetryBuffer()
    for ts in range(3):
        buffer.add(sample(float(ts), gpu=0))
        buffer.add(sample(ts + 0.5, gpu=1))
    assert [(p["gpu_index"], p["ts"]) for p in buffer.since(None, 1.0)] == [
        (1, 1.5),
        (0, 2.0),
        (1, 2.5),
    ]
    assert [s.ts for s in buffer.latest()] == [2.0, 2.5]


def test_ring_is_bounded_and_refuses_time_going_back() -> None:
    buffer = TelemetryBuffer(capacity=5)
    for ts in range(20):
        buffer.add(sample(float(ts)))
    buffer.add(sample(3.0))
    assert [p["ts"] for p in buffer.since(0, -1)] == [15.0, 16.0, 17.0, 18.0, 19.0]


def test_fields_a_card_does_not_report_stay_none_and_the_ring_keeps_its_capacity() -> None:
    buffer = SampleFeed([], capacity=50)
    for ts in range(500):  # past the capacity and its slack, several times over
        buffer.add(sample(float(ts), temp=None if ts % 2 else 60.0))
    points = buffer.since(0, -1)
    assert [p["ts"] for p in points] == [float(ts) for ts in range(450, 500)]
    assert buffer.oldest_ts(0) == 450.0
    assert [p["core_temp_c"] for p in points[:2]] == [60.0, None]
    assert points[0]["mem_temp_c"] is None and points[0]["fan_pct"] == 40.0
    assert buffer.latest_of(0) == sample(499.0, temp=None)  # the whole sample, kept apart


def test_rollup_means_max_and_last_energy() -> None:
    points = [
        {
            "ts": 60.0 + i * 10,
            "gpu_index": 0,
            "core_temp_c": 40.0 + i,
            "mem_temp_c": None,
            "power_w": 100.0,
            "power_limit_w": 200.0,
            "gpu_util_pct": 50.0,
            "fan_pct": 30.0,
            "energy_j": 1000.0 + i,
        }
        for i in range(6)
    ]
    (bucket,) = rollup(points, 60.0)
    assert bucket["ts"] == 60.0 and bucket["samples"] == 6
    assert bucket["core_temp_c"] == 42.5 and bucket["core_temp_max_c"] == 45.0
    assert bucket["energy_j"] == 1005.0 and bucket["mem_temp_c"] is None


def test_window_picks_the_resolution_of_the_range() -> None:
    buffer = TelemetryBuffer()
    for ts in range(0, 3600, 10):
        buffer.add(sample(float(ts)))
    resolution, points = buffer.window(0, "10m", now=3595.0)
    assert resolution == "raw" and len(points) == 60
    resolution, points = buffer.window(0, "1h", now=3595.0)
    assert resolution == "1m" and len(points) == 60
