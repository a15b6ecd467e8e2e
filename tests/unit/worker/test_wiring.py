"""The composition root without Docker: parts built, started, joined and closed in order.

A real SQLite ledger in tmp_path, a simulated GPU and the simulated runner (the engine
probe is handed in as "not reachable"), so each test runs the real service in a fresh
event loop in well under a second or two.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from desktop.errors import DomainError
from desktop.hardware.simulated import SimulatedBackend
from desktop.ipc.schema import PauseRequest, PauseScope, ResumeRequest
from desktop.ipc.schema_data import EarningsQuery, JobRef, TelemetryQuery, TelemetryRange
from desktop.jobs.profile import LABEL_INSTALL, LABEL_JOB, LABEL_MANAGED, LABEL_WORKER
from desktop.jobs.simulated_runner import SimulatedRunner
from desktop.ledger import Ledger
from desktop.ledger.health import LedgerHealth
from desktop.model import JobState
from desktop.paths import Paths
from desktop.settings import SettingsStore
from desktop.worker.adapters import NoEngineRunner
from desktop.worker.control_loop import Probes
from desktop.worker.gpus import GpuMonitor
from desktop.worker.service import WorkerService
from desktop.worker.wiring import (
    EngineProbe,
    Wiring,
    allowed_images,
    build,
    choose_runner,
    missing_engine_socket,
)

T = TypeVar("T")
IMAGE = "rigpilot-test/busybox:latest"
DOWN = EngineProbe(False, "the Docker engine is not reachable (test)")
QUIET = Probes(lambda: set(), lambda: None, lambda: None)  # no game on this machine


def paths_in(root: Path) -> Paths:
    return Paths(root / "config", root / "data", root / "logs", root / "run").ensure()


def make(tmp_path: Path, mode: str = "simulated") -> tuple[WorkerService, Wiring]:
    paths = paths_in(tmp_path)
    backend = SimulatedBackend(["warm"], seed=3, speed=1.0)
    monitor = GpuMonitor(backend)
    store = SettingsStore(paths.settings_file)
    store.patch({"jobs.allowed_local_images": [IMAGE]})
    wired = build(mode, paths, store, monitor, probe=DOWN, probes=QUIET)
    wired.pump.flush_every_s = 0.05
    service = WorkerService(
        mode=mode, monitor=monitor, parts=wired.parts, bus=wired.bus, user=wired.user
    )
    return service, wired


def run(service: WorkerService, scenario: Callable[[WorkerService], Awaitable[T]]) -> T:
    async def main() -> T:
        await service.start()
        try:
            return await scenario(service)
        finally:
            service.begin_stop()
            await service.close()

    return asyncio.run(main())


async def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
    return result


def spec(job_id: str, seconds: float = 0.2, **extra: Any) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "image": IMAGE,
        "gpus": 1,
        "memory_mb": 64,
        "load_profile": [{"seconds": seconds, "load": 0.9}],
        **extra,
    }


def test_runner_choice_follows_the_engine_and_the_mode(tmp_path: Path) -> None:
    paths = paths_in(tmp_path)
    runner, note = choose_runner("simulated", paths, DOWN, None, IMAGE)
    assert isinstance(runner, SimulatedRunner) and "not reachable" in note
    runner, note = choose_runner("nvml", paths, DOWN, None, IMAGE)
    assert isinstance(runner, NoEngineRunner) and "not reachable" in note
    no_image = EngineProbe(True, images={IMAGE: False})
    runner, note = choose_runner("demo", paths, no_image, None, IMAGE)
    assert isinstance(runner, SimulatedRunner) and IMAGE in note


def test_no_engine_socket_is_said_without_asking_docker(tmp_path: Path) -> None:
    gone = tmp_path / "docker.sock"
    assert missing_engine_socket({"DOCKER_HOST": f"unix://{gone}"}) == str(gone)
    assert missing_engine_socket({"DOCKER_HOST": f"unix://{tmp_path}"}) is None  # there
    assert missing_engine_socket({"DOCKER_HOST": "tcp://127.0.0.1:2375"}) is None  # a ping
    assert missing_engine_socket({"DOCKER_HOST": "npipe:////./pipe/docker_engine"}) is None


def test_allowed_images_come_from_settings_env_and_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    monkeypatch.setenv("RIGPILOT_ALLOWED_IMAGES", "env/one:1, env/two:2")
    read = allowed_images(store, ["demo/image:1"])
    assert read() == ["env/one:1", "env/two:2", "demo/image:1"]
    store.patch({"jobs.allowed_local_images": ["mine/job:3"]})
    assert read()[0] == "mine/job:3"  # read at every submit: a change applies at once
    with pytest.raises(ValueError, match="not an image name"):
        store.patch({"jobs.allowed_local_images": ["two words"]})


def test_a_job_runs_and_every_record_reaches_the_ledger(tmp_path: Path) -> None:
    service, wired = make(tmp_path)

    async def scenario(service: WorkerService) -> tuple[Any, ...]:
        jobs = service.parts.jobs
        assert jobs is not None
        idle = wired.jobs.needs_poll()  # no job, no lease: the poll does not wake a thread
        submitted = await jobs.submit(spec("unit-1"))
        watched = wired.jobs.needs_poll()
        done = await until(
            lambda: (r := wired.jobs.get("unit-1")) is not None and r.state.finished and r
        )
        shown = await jobs.get_job("unit-1")
        status = await service.status()
        return (idle, watched, wired.jobs.needs_poll()), submitted, done, shown, status

    polls, submitted, done, shown, status = run(service, scenario)
    assert polls == (False, True, False)
    assert submitted.state is JobState.RUNNING and done.state is JobState.SUCCEEDED
    assert "finished its load profile" in shown[1]
    assert status.components.jobs and status.jobs_running == 0
    assert status.earnings_today is not None and status.earnings_today.gross >= 0
    with Ledger.open(paths_in(tmp_path).ledger_file) as ledger:  # closed by the service
        assert [t.state for t in ledger.transitions("unit-1")][-1] is JobState.SUCCEEDED
        kinds = [e.kind for e in ledger.events(0, 100)]
        assert {"jobs.runner", "job.started", "job.finished", "worker.stopping"} <= set(kinds)


def test_refusals_and_unknown_jobs_become_api_errors(tmp_path: Path) -> None:
    service, _ = make(tmp_path)

    async def scenario(service: WorkerService) -> list[DomainError]:
        errors = []
        for call in (
            service.submit_job({"image": "not/allowed:1"}),
            service.submit_job({**spec("x"), "privileged": True}),
            service.job(JobRef(job_id="nope")),
            service.stop_job(JobRef(job_id="nope")),
        ):
            with pytest.raises(DomainError) as caught:
                await call
            errors.append(caught.value)
        return errors

    errors = run(service, scenario)
    assert [(type(e).__name__, e.code) for e in errors] == [
        ("Refused", "image_not_pinned"),
        ("Refused", "privileged_refused"),
        ("NotFound", "not_found"),
        ("NotFound", "not_found"),
    ]


def test_a_real_gpu_worker_without_docker_refuses_jobs_with_the_reason(tmp_path: Path) -> None:
    service, wired = make(tmp_path)
    wired.jobs.runner = NoEngineRunner(DOWN.reason)

    async def scenario(service: WorkerService) -> DomainError:
        with pytest.raises(DomainError) as caught:
            await service.submit_job(spec("gpu-1"))
        return caught.value

    error = run(service, scenario)
    assert error.code == "unavailable"
    assert "not reachable" in error.message and "rigpilot doctor" in error.message


def test_user_pauses_freeze_and_release_the_jobs(tmp_path: Path) -> None:
    service, wired = make(tmp_path)

    async def scenario(service: WorkerService) -> list[JobState]:
        await service.submit_job(spec("long-1", seconds=30))
        seen = []
        gpu = PauseScope.GPU
        for call in (
            lambda: service.pause(PauseRequest()),
            lambda: service.resume(ResumeRequest()),
            lambda: service.pause(PauseRequest(scope=gpu, gpu=0)),
            lambda: service.resume(ResumeRequest(scope=gpu, gpu=0)),
        ):
            await call()
            record = wired.jobs.get("long-1")
            assert record is not None
            seen.append(record.state)
        refused = None
        await service.pause(PauseRequest())
        try:
            await service.submit_job(spec("while-paused"))
        except DomainError as exc:
            refused = exc.code
        assert refused == "paused"
        return seen

    assert run(service, scenario) == [
        JobState.PAUSED,
        JobState.RUNNING,
        JobState.PAUSED,
        JobState.RUNNING,
    ]


def test_event_numbers_go_on_after_a_restart(tmp_path: Path) -> None:
    first, _ = make(tmp_path)
    run(first, lambda s: asyncio.sleep(0))
    last = first.bus.last_seq
    second, _ = make(tmp_path)
    assert second.bus.last_seq == last  # taken from the ledger before the first event
    run(second, lambda s: asyncio.sleep(0))
    with Ledger.open(paths_in(tmp_path).ledger_file) as ledger:
        seqs = [e.seq for e in ledger.events(0, 1000)]
    assert seqs == sorted(set(seqs)) and seqs[-1] == second.bus.last_seq > last


def test_samples_reach_the_ledger_and_old_telemetry_is_read_from_it(tmp_path: Path) -> None:
    service, _ = make(tmp_path)

    async def scenario(service: WorkerService) -> tuple[Any, ...]:
        sample = await until(lambda: service.monitor.buffer.latest_of(0))
        base = sample.ts - 3000.0
        for i in range(5):  # older than memory: only the ledger can answer for them
            older = replace(sample, ts=base + i)
            service.parts.on_sample[0](older)
        ledger_file = paths_in(tmp_path).ledger_file

        def stored() -> int:
            with closing(sqlite3.connect(ledger_file)) as conn:
                return int(conn.execute("SELECT count(*) FROM telemetry_raw").fetchone()[0])

        await until(lambda: stored() >= 5)
        old = await service.telemetry(TelemetryQuery(gpu=0, since=base - 1))
        day = await service.telemetry(TelemetryQuery(range=TelemetryRange.HOURS_24))
        live = await service.telemetry(TelemetryQuery(gpu=0, since=sample.ts))  # in memory
        return old, day, live, base

    old, day, live, base = run(service, scenario)
    assert old.source == "ledger" and old.resolution == "raw"  # under 2 h: raw
    assert [p.ts for p in old.points[:5]] == [base + i for i in range(5)]
    assert old.points[-1].ts > base + 2000  # completed with what memory holds
    assert day.source == "ledger" and day.resolution == "1m" and day.points
    assert live.source == "memory"


def test_nosana_containers_are_not_job_orphans() -> None:
    """Job reconcile removes managed containers of this install; the reaper those of one
    worker: a Nosana node carries neither label, so neither can take it down."""
    from desktop.networks.nosana_node import NodeContainerConfig, labels

    for role in ("node", "podman"):
        found = labels(NodeContainerConfig(key_path=Path("key.json")), role)
        assert found[LABEL_MANAGED] == "1"
        assert not {LABEL_INSTALL, LABEL_WORKER, LABEL_JOB} & set(found)


def test_a_ledger_problem_is_an_event_and_a_problem_in_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, wired = make(tmp_path)
    full = LedgerHealth("disk_full", "The disk holding the ledger is full.", "ledger.sqlite", 1.0)

    async def scenario(service: WorkerService) -> tuple[Any, list[str], Any]:
        start = service.bus.last_seq
        monkeypatch.setattr(wired.ledger, "health", lambda: full)  # as a full disk leaves it
        assert wired.ledger.on_health is not None
        wired.ledger.on_health(full)
        status = await service.status()
        await until(lambda: service.bus.since(start))
        kinds = [e.kind for e in service.bus.since(start)]
        monkeypatch.undo()
        return status, kinds, await service.status()

    status, kinds, later = run(service, scenario)
    [problem] = status.problems
    assert problem.code == "ledger_disk_full" and "full" in problem.message
    assert "ledger.disk_full" in kinds
    assert later.problems == []


READING: contextvars.ContextVar[bool] = contextvars.ContextVar("reading", default=False)


def test_reading_status_and_earnings_never_writes_to_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write made on behalf of a read (the context travels into its threads) is caught;
    the worker's own background writes (samples, network history) are not reads."""
    service, wired = make(tmp_path, mode="demo")  # the practice network runs: energy periods
    wired.pump.flush_every_s = 3600.0
    db = wired.ledger._db  # noqa: SLF001 - the one place writes go through
    writers: list[str] = []
    write = db.write

    def watched(*args: Any, **kwargs: Any) -> Any:
        if READING.get():
            writers.append(threading.current_thread().name)
        return write(*args, **kwargs)

    monkeypatch.setattr(db, "write", watched)

    async def scenario(service: WorkerService) -> None:
        energy = wired.supervisor.money.energy
        unwritten = lambda: any(o.ts > o.written_ts for o in energy._open.values())  # noqa: E731, SLF001
        await until(unwritten)  # a period has energy the ledger does not hold yet
        token = READING.set(True)
        try:
            for _ in range(3):
                await service.status()
                await service.earnings(EarningsQuery(days=7))
        finally:
            READING.reset(token)

    run(service, scenario)
    assert writers == []
