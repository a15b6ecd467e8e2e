"""The worker's controller over a simulated GPU: status, pauses, settings, wiring slots."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from desktop.errors import DomainError, InvalidSetting, NotFound
from desktop.hardware.gpu import GpuError
from desktop.hardware.simulated import SimulatedBackend
from desktop.ipc.schema import PauseRequest, PauseScope, ResumeRequest
from desktop.ipc.schema_data import (
    EarningsQuery,
    JobRef,
    JobsQuery,
    LogsQuery,
    TelemetryQuery,
    TelemetryRange,
)
from desktop.model import GpuState, HoldKind, JobRecord, JobState
from desktop.settings import SettingsStore
from desktop.worker.actuators import BackendCard, JobServiceActuator
from desktop.worker.control_loop import ControlLoop, Probes
from desktop.worker.events import EventBus
from desktop.worker.gpus import GpuMonitor
from desktop.worker.main import WorkerOptions, open_gpus
from desktop.worker.service import Components, WorkerService
from desktop.worker.status_view import StatusView
from desktop.worker.user_holds import UserHolds
from tests.conftest import FakeClock

T = TypeVar("T")


def run(scenario: Callable[[WorkerService], Awaitable[T]], service: WorkerService) -> T:
    """Start the service in a fresh loop, run the scenario, close the service."""

    async def main() -> T:
        await service.start()
        try:
            return await scenario(service)
        finally:
            service.begin_stop()
            await service.close()

    return asyncio.run(main())


QUIET = Probes(lambda: set(), lambda: None, lambda: None)


def make_service(
    tmp_path: Path, *, settings: bool = True, control: bool = False, **parts: Any
) -> WorkerService:
    clock = FakeClock()
    backend = SimulatedBackend(["warm"], seed=1)
    monitor = GpuMonitor(backend, clock=clock)
    store = SettingsStore(tmp_path / "settings.json") if settings else None
    log_path = tmp_path / "worker.log"
    log_path.write_text("one\ntwo\nthree\n")
    user = UserHolds(tmp_path / "user-holds.json", clock)
    bus = EventBus()
    loop = None
    if control:
        get = store.current.get if store is not None else (lambda key: None)
        loop = ControlLoop(monitor.infos, get, user, JobServiceActuator(None),
                           BackendCard(backend), bus.emit, clock, probes=QUIET,
                           tick_s=0.05)  # fmt: skip
    return WorkerService(
        bus=bus,
        mode="simulated",
        monitor=monitor,
        parts=Components(settings=store, control=loop, lifecycle=[Life(loop)] if loop else [],
                         **parts),  # fmt: skip
        log_path=log_path,
        user=user,
        clock=clock,
    )


class Life:
    def __init__(self, loop: ControlLoop) -> None:
        self.loop = loop

    async def start(self) -> None:
        await asyncio.to_thread(self.loop.start)

    async def close(self) -> None:
        await asyncio.to_thread(self.loop.restore)


async def wait_for_sample(service: WorkerService, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while service.monitor.buffer.latest_of(0) is None:
        assert time.monotonic() < deadline, "no sample arrived from the sampler thread"
        await asyncio.sleep(0.02)


async def kinds_until(
    service: WorkerService, since: int, kind: str, timeout: float = 10
) -> list[str]:
    """The kinds of the events after ``since``, waiting until ``kind`` is among them."""
    deadline = time.monotonic() + timeout
    kinds: list[str] = []
    while kind not in kinds:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {kind} event; saw {kinds}"
        found = await service.bus.wait_since(since, timeout=remaining)
        kinds += [e.kind for e in found]
        since = found[-1].seq if found else since
    return kinds


def test_status_shows_the_gpu_with_a_live_sample(tmp_path: Path) -> None:
    async def scenario(service: WorkerService) -> Any:
        await wait_for_sample(service)
        return await service.status()

    status = run(scenario, make_service(tmp_path))
    assert status.mode == "simulated" and status.gpu_error is None
    (gpu,) = status.gpus
    assert gpu.info.simulated is True and gpu.sample is not None
    assert 10 < (gpu.sample.core_temp_c or 0) < 100
    assert gpu.holds == [] and gpu.state is GpuState.UNUSED and gpu.work == "run"
    assert gpu.power.limit_w == gpu.info.power.enforced_w
    assert (status.components.guard, status.components.settings) == (False, True)
    assert status.jobs_running is None and status.networks == []


def test_pause_and_resume_publish_events(tmp_path: Path) -> None:
    async def scenario(service: WorkerService) -> tuple[Any, Any, list[str]]:
        start = service.bus.last_seq
        await service.pause(PauseRequest(reason="gaming"))
        status = await service.status()
        after = await service.resume(ResumeRequest())
        kinds = [e.kind for e in service.bus.since(start)]
        return status, after, kinds

    status, after, kinds = run(scenario, make_service(tmp_path, control=True))
    [hold] = status.user_holds
    assert hold.scope == "all" and hold.reason == "gaming"  # the user's own words
    gpu = status.gpus[0]
    assert gpu.state is GpuState.PAUSED and gpu.holds[0].kind is HoldKind.USER
    assert after.user_holds == [] and after.gpus == {0: []}
    assert [k for k in kinds if k.startswith("user.")] == ["user.pause", "user.resume"]
    assert "guard.pause" in kinds and kinds[-1] == "guard.run"  # the reconciler acted


def test_pause_of_an_unknown_gpu_and_lone_resume_under_a_global_pause(tmp_path: Path) -> None:
    async def scenario(service: WorkerService) -> tuple[NotFound, Any]:
        with pytest.raises(NotFound) as missing:
            await service.pause(PauseRequest(scope=PauseScope.GPU, gpu=4))
        await service.pause(PauseRequest())
        lone = await service.resume(ResumeRequest(scope=PauseScope.GPU, gpu=0))
        return missing.value, lone

    missing, lone = run(scenario, make_service(tmp_path, control=True))
    assert missing.field == "gpu" and "GPU 4" in missing.message
    # resuming one GPU under a pause of all work is no error: the answer says what holds it
    assert [h.scope for h in lone.gpus[0]] == ["all"]


def test_a_timed_pause_ends_by_itself(tmp_path: Path) -> None:
    async def scenario(service: WorkerService) -> tuple[list[str], list[Any]]:
        start = service.bus.last_seq
        await service.pause(PauseRequest(until_ts=service.clock() + 0.2))
        kinds = await kinds_until(service, start, "user.resume")
        return kinds, service.user.all()

    kinds, still = run(scenario, make_service(tmp_path, control=True))
    assert [k for k in kinds if k.startswith("user.")] == ["user.pause", "user.resume"]
    assert still == []


def test_settings_patch_applies_the_interval_live(tmp_path: Path) -> None:
    async def scenario(service: WorkerService) -> tuple[Any, float, InvalidSetting]:
        answer = await service.patch_settings({"sampling.interval_s": 3})  # the default is 1
        interval = service.monitor.interval_s
        with pytest.raises(InvalidSetting) as refused:
            await service.patch_settings({"sampling.interval_s": 1, "thermal.cooldown_s": 5})
        return answer, interval, refused.value

    answer, interval, refused = run(scenario, make_service(tmp_path))
    assert answer.applied == ["sampling.interval_s"] and interval == 3.0
    assert refused.code == "invalid_setting" and refused.field == "thermal.cooldown_s"
    assert refused.allowed
    saved = SettingsStore(tmp_path / "settings.json").load()
    assert saved.get("sampling.interval_s") == 3 and saved.get("thermal.cooldown_s") == 120


def test_unwired_parts_answer_unavailable(tmp_path: Path) -> None:
    async def scenario(service: WorkerService) -> list[str]:
        codes = []
        calls: list[Awaitable[Any]] = [
            service.networks(),
            service.jobs(JobsQuery(limit=10)),
            service.job(JobRef(job_id="x")),
            service.earnings(EarningsQuery(days=7)),
            service.submit_job({}),
            service.settings(),
        ]
        for call in calls:
            with pytest.raises(DomainError) as caught:
                await call
            codes.append(caught.value.code)
        return codes

    assert run(scenario, make_service(tmp_path, settings=False)) == ["unavailable"] * 6


def record(job_id: str, state: JobState) -> JobRecord:
    return JobRecord(job_id, "local", "busybox", state, "GPU-sim-0", 1.0)


class FakeJobs:
    async def list_jobs(self, limit: int, state: JobState | None) -> list[JobRecord]:
        return [record("j1", state or JobState.QUEUED)][:limit]

    async def get_job(self, job_id: str) -> tuple[JobRecord, str]:
        return record(job_id, JobState.RUNNING), "output"

    async def submit(self, spec: dict[str, Any]) -> JobRecord:
        return record(str(spec["job_id"]), JobState.STARTING)

    async def stop(self, job_id: str) -> JobRecord:
        return record(job_id, JobState.STOPPED)

    def running_count(self) -> int:
        return 2

    def jobs_on(self, gpu_index: int) -> int:
        return 0  # the two running jobs are on no GPU of this worker


def test_a_wired_part_is_delegated_to(tmp_path: Path) -> None:
    async def scenario(service: WorkerService) -> tuple[Any, ...]:
        return (
            await service.jobs(JobsQuery(limit=5, state=JobState.RUNNING)),
            await service.submit_job({"job_id": "new"}),
            await service.job(JobRef(job_id="j7")),
            await service.status(),
        )

    listed, submitted, shown, status = run(scenario, make_service(tmp_path, jobs=FakeJobs()))
    assert [(j.job_id, j.state) for j in listed.jobs] == [("j1", JobState.RUNNING)]
    assert submitted.job.job_id == "new" and shown.logs_tail == "output"
    assert status.jobs_running == 2 and status.gpus[0].jobs_running == 0


def test_telemetry_and_logs(tmp_path: Path) -> None:
    async def scenario(service: WorkerService) -> tuple[Any, ...]:
        await wait_for_sample(service)
        with pytest.raises(NotFound) as missing:
            await service.telemetry(TelemetryQuery(gpu=3))
        live = await service.telemetry(TelemetryQuery(gpu=0, since=0.0))
        window = await service.telemetry(TelemetryQuery(range=TelemetryRange.HOUR_1))
        return missing.value, live, window, await service.logs(LogsQuery(tail=2))

    missing, live, window, logs = run(scenario, make_service(tmp_path))
    assert missing.field == "gpu"
    assert live.resolution == "raw" and live.points[0].gpu_index == 0
    assert window.resolution == "1m" and window.points[0].core_temp_max_c is not None
    assert logs.lines == ["two", "three"]


def test_no_gpu_access_is_reported_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop.hardware.nvml as nvml

    def fail() -> None:
        raise GpuError("driver_not_loaded", "the NVIDIA driver is not loaded", "Install it.")

    monkeypatch.setattr(nvml, "open_backend", fail)
    monitor = open_gpus(WorkerOptions())
    service = WorkerService(mode="nvml", monitor=monitor)

    async def scenario(service: WorkerService) -> Any:
        return await service.status()

    status = run(scenario, service)
    assert status.gpus == [] and status.gpu_error is not None
    assert (status.gpu_error.code, status.gpu_error.cause, status.gpu_error.fix) == (
        "driver_not_loaded",
        "the NVIDIA driver is not loaded",
        "Install it.",
    )


def test_sampler_events_reach_the_bus(tmp_path: Path) -> None:
    async def scenario(service: WorkerService) -> list[str]:
        backend = service.monitor.backend
        assert isinstance(backend, SimulatedBackend)
        start = service.bus.last_seq
        backend.inject_fault(0, "gpu_lost")
        return await kinds_until(service, start, "gpu.lost")

    assert "gpu.lost" in run(scenario, make_service(tmp_path))


def test_a_reading_that_stopped_coming_is_not_shown_as_the_current_one() -> None:
    clock = FakeClock()
    backend = SimulatedBackend(["warm"], seed=1)
    monitor = GpuMonitor(backend, clock=clock)
    monitor.set_interval(1.0)
    view = StatusView("simulated", monitor, UserHolds(None, clock), None, clock)
    before = view.gpus()[0]
    assert before.sample is None and before.power.limit_w == monitor.infos[0].power.enforced_w
    reading = backend.sample(0)
    monitor.buffer.add(replace(reading, ts=clock()))
    fresh = view.gpus()[0]
    assert fresh.sample is not None and not fresh.degraded
    assert fresh.power.limit_w == reading.power_limit_w
    clock.advance(monitor.stale_after_s + 1)  # no reading since: the sampler hangs
    stale = view.gpus()[0]
    assert stale.sample is None and stale.degraded and stale.power.limit_w is None
    assert monitor.buffer.latest_of(0) is not None  # the telemetry keeps it, with its time
