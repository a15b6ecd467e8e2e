"""The sampler: beat, health events, process-list pacing, on a simulated backend."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from desktop.hardware.gpu import GpuError, GpuProcess
from desktop.hardware.sampler import Sampler
from desktop.hardware.simulated import SimulatedBackend
from desktop.model import Event, GpuInfo, GpuSample, Severity

T0 = 1_000_000.0


class Recorder:
    """Collects what the sampler reports."""

    def __init__(self) -> None:
        self.samples: list[GpuSample] = []
        self.events: list[Event] = []
        self.got_two = threading.Event()

    def on_sample(self, sample: GpuSample) -> None:
        self.samples.append(sample)
        if len(self.samples) >= 2:
            self.got_two.set()

    def on_event(self, event: Event) -> None:
        self.events.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


class Counting:
    """Wraps a backend to count calls and to make calls slow on a fake timer."""

    def __init__(self, inner: SimulatedBackend) -> None:
        self.inner = inner
        self.calls: dict[str, int] = {"sample": 0, "processes": 0, "devices": 0}
        self.now = 0.0
        self.delay = 0.0

    def timer(self) -> float:
        return self.now

    def devices(self) -> list[GpuInfo]:
        self.calls["devices"] += 1
        return self.inner.devices()

    def sample(self, index: int) -> GpuSample:
        self.calls["sample"] += 1
        self.now += self.delay
        return self.inner.sample(index)

    def processes(self, index: int) -> list[GpuProcess]:
        self.calls["processes"] += 1
        return self.inner.processes(index)

    def set_power_limit(self, index: int, watts: float) -> None:
        self.inner.set_power_limit(index, watts)

    def close(self) -> None:
        self.inner.close()


def make(profiles: list[str], **kwargs: Any) -> tuple[Sampler, Recorder, Counting, list[float]]:
    clock = [T0]
    sim = SimulatedBackend(profiles, clock=lambda: clock[0])
    backend = Counting(sim)
    rec = Recorder()
    sampler = Sampler(
        backend,
        kwargs.pop("interval_s", 2.0),
        rec.on_sample,
        rec.on_event,
        clock=lambda: clock[0],
        timer=backend.timer,
        **kwargs,
    )
    return sampler, rec, backend, clock


def test_a_tick_reads_every_gpu_once() -> None:
    sampler, rec, backend, _ = make(["warm", "hot"])
    sampler.tick()
    assert [s.gpu_index for s in rec.samples] == [0, 1]
    assert backend.calls == {"sample": 2, "processes": 0, "devices": 1}
    assert sampler.latest(1) is rec.samples[1]
    assert sampler.latest(5) is None
    sampler.tick()
    assert backend.calls["devices"] == 1  # the device list is read once


@pytest.mark.parametrize("bad", [0.5, 0.99, 5.01, 60.0])
def test_interval_outside_1_to_5_seconds_is_refused(bad: float) -> None:
    sampler, *_ = make(["warm"])
    with pytest.raises(ValueError, match="between 1 and 5 seconds"):
        sampler.set_interval(bad)
    with pytest.raises(ValueError, match="between 1 and 5 seconds"):
        make(["warm"], interval_s=bad)
    sampler.set_interval(1)
    assert sampler.interval_s == 1.0


def test_three_failed_reads_in_a_row_raise_one_sensor_failure() -> None:
    sampler, rec, backend, _ = make(["warm"])
    backend.inner.inject_fault(0, "read_error", count=2)
    sampler.tick()
    sampler.tick()
    sampler.tick()  # the third read works: the streak is broken
    assert "sensor.failure" not in rec.kinds()
    backend.inner.inject_fault(0, "read_error", count=5)
    for _ in range(5):
        sampler.tick()
    failures = [e for e in rec.events if e.kind == "sensor.failure"]
    assert len(failures) == 1
    assert failures[0].severity is Severity.ERROR and failures[0].gpu_index == 0
    assert failures[0].data["code"] == "read_error"
    sampler.tick()
    assert rec.kinds()[-1] == "sensor.recovered"


def test_gpu_lost_raises_one_critical_event_and_others_keep_sampling() -> None:
    sampler, rec, backend, _ = make(["warm", "hot"])
    backend.inner.inject_fault(1, "gpu_lost")
    for _ in range(3):
        sampler.tick()
    lost = [e for e in rec.events if e.kind == "gpu.lost"]
    assert len(lost) == 1
    assert lost[0].severity is Severity.CRITICAL and lost[0].gpu_index == 1
    assert lost[0].data["fix"]
    assert [s.gpu_index for s in rec.samples] == [0, 0, 0]
    assert "sensor.failure" not in rec.kinds()


def test_a_slow_call_marks_the_gpu_degraded_once() -> None:
    sampler, rec, backend, _ = make(["warm"])
    sampler.tick()
    assert not sampler.degraded(0)
    backend.delay = 0.3
    sampler.tick()
    sampler.tick()
    assert sampler.degraded(0)
    degraded = [e for e in rec.events if e.kind == "sensor.degraded"]
    assert len(degraded) == 1 and degraded[0].severity is Severity.WARNING
    assert degraded[0].data["seconds"] == pytest.approx(0.3)
    backend.delay = 0.01
    for _ in range(10):
        sampler.tick()
    assert not sampler.degraded(0)
    assert rec.kinds()[-1] == "sensor.recovered"


def test_the_sampler_never_lists_processes() -> None:
    """The process list is the activity guard's to pace; the beat reads only readings."""
    sampler, _, backend, clock = make(["warm", "hot"])
    for _ in range(30):
        sampler.tick()
        clock[0] += 2.0
    assert backend.calls["processes"] == 0


def test_a_failing_callback_does_not_stop_sampling() -> None:
    sim = SimulatedBackend(["warm"], clock=lambda: T0)
    seen: list[GpuSample] = []

    def broken(sample: GpuSample) -> None:
        seen.append(sample)
        raise RuntimeError("consumer bug")

    sampler = Sampler(sim, 2.0, broken, None)
    sampler.tick()
    sampler.tick()
    assert len(seen) == 2


def test_device_list_failure_is_reported_and_retried() -> None:
    sampler, rec, backend, _ = make(["warm"])
    calls = {"n": 0}
    real = backend.devices

    def flaky() -> list[GpuInfo]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise GpuError("timeout", "the NVIDIA driver did not answer in time", "retry")
        return real()

    backend.devices = flaky  # type: ignore[method-assign]
    sampler.tick()
    assert rec.kinds() == ["sensor.failure"] and rec.samples == []
    sampler.tick()
    assert len(rec.samples) == 1


def test_the_thread_samples_on_its_own_and_stops() -> None:
    sim = SimulatedBackend(["warm"])
    rec = Recorder()
    sampler = Sampler(sim, 1.0, rec.on_sample, rec.on_event)
    sampler.start()
    try:
        assert rec.got_two.wait(timeout=10.0)
    finally:
        sampler.stop()
    count = len(rec.samples)
    assert not any(t.name == "gpu-sampler" for t in threading.enumerate())
    assert len(rec.samples) == count


def test_an_unexpected_backend_exception_counts_as_a_failed_read() -> None:
    sampler, rec, backend, _ = make(["warm"])

    def broken(index: int) -> GpuSample:
        raise ZeroDivisionError("driver wrapper bug")

    backend.sample = broken  # type: ignore[method-assign]
    for _ in range(3):
        sampler.tick()
    [failure] = [e for e in rec.events if e.kind == "sensor.failure"]
    assert "driver wrapper bug" in failure.message and failure.data["code"] == "unknown"
