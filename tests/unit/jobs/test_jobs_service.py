"""The worker's job manager on the simulated runner, an in-memory ledger and a fake clock."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from desktop.jobs.runner import GpuSlot, ReconcileResult, RunnerError, RunningJob
from desktop.jobs.simulated_runner import SimulatedRunner
from desktop.jobs.spec import HostLimits, JobSpec, Pay, SpecRefused, pay_due
from desktop.model import Event, ExitReason, JobRecord, JobState, Money
from desktop.worker.jobs_service import JobLedger, JobService

IMAGE = "demo/job:1"
GPUS = [GpuSlot(0, "GPU-sim-0", True), GpuSlot(1, "GPU-sim-1", True)]


class FakeLedger:
    """The JobLedger protocol in memory, with the same exactly-once rules as SQLite's."""

    def __init__(self) -> None:
        self.jobs: dict[str, JobRecord] = {}
        self.transitions: dict[tuple[str, int], tuple[JobState, str]] = {}

    def upsert_job(self, job: JobRecord) -> None:
        self.jobs[job.job_id] = job

    def transition(self, job_id: str, state: JobState, ts: float, reason: str, seq: int) -> bool:
        assert job_id in self.jobs, "transition before upsert"
        if (job_id, seq) in self.transitions:
            return False
        self.transitions[(job_id, seq)] = (state, reason)
        return True

    def job(self, job_id: str) -> JobRecord | None:
        return self.jobs.get(job_id)

    def running_jobs(self) -> list[JobRecord]:
        active = (JobState.STARTING, JobState.RUNNING, JobState.PAUSED)
        return [j for j in self.jobs.values() if j.state in active]

    def mark_interrupted(self, job_id: str) -> bool:
        job = self.jobs.get(job_id)
        if job is None or job.state.finished:
            return False
        self.jobs[job_id] = replace(
            job, state=JobState.INTERRUPTED, exit_reason=ExitReason.INTERRUPTED
        )
        return True

    def states(self, job_id: str) -> list[JobState]:
        return [s for (j, _), (s, _) in sorted(self.transitions.items()) if j == job_id]


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    def __init__(self, ledger: FakeLedger | None = None) -> None:
        self.clock = Clock()
        self.loads: list[tuple[int, float]] = []
        self.events: list[Event] = []
        self.finished: list[JobRecord] = []
        self.credits: list[Money] = []
        self.ledger = ledger or FakeLedger()
        self.held: dict[int | None, str] = {}  # the record's holds, as admission reads them
        self.runner = SimulatedRunner(lambda i, f: self.loads.append((i, f)), self.clock)
        ledger_protocol: JobLedger = self.ledger
        self.service = JobService(
            self.runner,
            ledger_protocol,
            lambda: list(GPUS),
            self.events.append,
            self.clock,
            allowed_images=lambda: [IMAGE],
            on_finished=self._credit,
            limits=HostLimits(4, 8000),
            admission=lambda gpu, network: self.held.get(gpu),
        )
        self.pay = Pay(Decimal("0.5"), "USD", "job")

    def _credit(self, record: JobRecord) -> None:
        """A network crediting by the default policy."""
        self.finished.append(record)
        money = pay_due(record, self.pay)
        if money is not None:
            self.credits.append(money)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


def spec(job_id: str = "j1", **more: Any) -> dict[str, Any]:
    return {"job_id": job_id, "image": IMAGE, "gpus": 1, "deadline_s": 100, **more}


def test_submit_runs_to_success_and_is_credited() -> None:
    h = Harness()
    record = h.service.submit(spec(load_profile=[{"seconds": 10, "load": 0.7}]))
    assert record.state is JobState.RUNNING and record.gpu_uuid == "GPU-sim-0"
    assert h.loads == [(0, 0.7)]
    h.clock.now += 11
    [done] = h.service.poll()
    assert done.state is JobState.SUCCEEDED and done.exit_reason is ExitReason.EXITED
    assert h.ledger.jobs["j1"].state is JobState.SUCCEEDED
    assert h.ledger.states("j1") == [JobState.STARTING, JobState.RUNNING, JobState.SUCCEEDED]
    assert h.kinds() == ["job.started", "job.finished"]
    assert h.credits == [Money(Decimal("0.5"), "USD")]
    assert h.service.get("j1") == done and h.service.list() == [done]
    assert "finished its load profile" in h.service.logs_tail("j1")


def test_refusals_leave_no_trace() -> None:
    h = Harness()
    with pytest.raises(SpecRefused) as info:
        h.service.submit(spec(privileged=True))
    assert info.value.code == "privileged_refused"
    assert h.ledger.jobs == {} and h.events == [] and h.service.list() == []


def test_one_job_per_gpu_then_gpu_unavailable() -> None:
    h = Harness()
    assert h.service.submit(spec("a")).gpu_uuid == "GPU-sim-0"
    assert h.service.submit(spec("b")).gpu_uuid == "GPU-sim-1"
    assert h.service.submit(spec("cpu", gpus=0)).gpu_uuid is None
    with pytest.raises(SpecRefused) as info:
        h.service.submit(spec("c"))
    assert info.value.code == "gpu_unavailable"


def test_same_spec_twice_is_idempotent_a_different_one_is_refused() -> None:
    h = Harness()
    first = h.service.submit(spec())
    assert h.service.submit(spec()) == first
    assert len(h.ledger.running_jobs()) == 1
    with pytest.raises(SpecRefused) as info:
        h.service.submit(spec(deadline_s=50))
    assert info.value.code == "duplicate_job"


def test_a_job_id_from_an_earlier_session_is_refused_and_still_shown() -> None:
    old = Harness()
    old.service.submit(spec())
    old.clock.now += 200
    old.service.poll()
    later = Harness(old.ledger)  # a new session on the same ledger
    with pytest.raises(SpecRefused) as info:
        later.service.submit(spec())
    assert info.value.code == "duplicate_job"
    shown = later.service.get("j1")
    assert shown is not None and shown.state is JobState.SUCCEEDED
    assert later.service.get("nope") is None


def test_deadline_and_no_credit() -> None:
    h = Harness()
    h.service.submit(spec(deadline_s=20, load_profile=[{"seconds": 60, "load": 1}]))
    h.clock.now += 21
    [done] = h.service.poll()
    assert done.exit_reason is ExitReason.DEADLINE and done.state is JobState.FAILED
    assert h.credits == [] and h.finished == [done]
    assert h.loads[-1] == (0, 0.0)


def test_guard_pause_per_gpu_and_resume() -> None:
    h = Harness()
    h.service.submit(spec("a", load_profile=[{"seconds": 30, "load": 1}]))
    h.service.submit(spec("b", load_profile=[{"seconds": 30, "load": 1}]))
    assert h.service.freeze(0, "too hot") == ["a"]
    assert h.service.get("a").state is JobState.PAUSED  # type: ignore[union-attr]
    assert h.service.get("b").state is JobState.RUNNING  # type: ignore[union-attr]
    assert (0, 0.0) in h.loads
    h.clock.now += 100  # paused time does not count towards the profile
    assert h.service.thaw(0, "cooled down") == ["a"]
    assert h.service.get("a").state is JobState.RUNNING  # type: ignore[union-attr]
    assert h.ledger.states("a") == [
        JobState.STARTING, JobState.RUNNING, JobState.PAUSED, JobState.RUNNING
    ]  # fmt: skip
    assert "job.paused" in h.kinds() and "job.resumed" in h.kinds()


def test_new_jobs_avoid_held_gpus_and_say_why() -> None:
    h = Harness()
    h.held.update({0: "GPU 0 is too hot.", 1: "GPU 1 is too hot."})
    with pytest.raises(SpecRefused) as info:
        h.service.submit(spec("c"))
    assert info.value.code == "paused" and "GPU 0 is too hot." in info.value.message
    del h.held[1]
    assert h.service.submit(spec("c")).gpu_uuid == "GPU-sim-1"
    with pytest.raises(SpecRefused) as busy:  # GPU 1 is taken now, GPU 0 still held
        h.service.submit(spec("d"))
    assert busy.value.code == "paused"
    del h.held[0]
    h.service.submit(spec("d"))
    with pytest.raises(SpecRefused) as full:
        h.service.submit(spec("e"))
    assert full.value.code == "gpu_unavailable"


def test_a_pause_of_all_work_holds_jobs_with_no_gpu_and_freezing_is_per_gpu() -> None:
    h = Harness()
    h.service.submit(spec("a"))
    h.service.submit(spec("cpu", gpus=0))
    h.held[None] = "You paused all work."
    with pytest.raises(SpecRefused) as info:
        h.service.submit(spec("cpu2", gpus=0))
    assert info.value.code == "paused"
    assert h.service.freeze(None, "user pause") == ["cpu"]  # no GPU: only the CPU job
    assert h.service.freeze(0, "user pause") == ["a"]
    assert h.service.thaw(1, "nothing here") == []
    assert sorted(h.service.thaw(0, "resumed") + h.service.thaw(None, "resumed")) == ["a", "cpu"]


def test_stop_by_user_and_stop_all_by_guard_earn_nothing() -> None:
    h = Harness()
    h.service.submit(spec("a"))
    h.service.submit(spec("b"))
    stopped = h.service.stop("a")
    assert stopped.state is JobState.STOPPED and stopped.exit_reason is ExitReason.USER
    assert h.service.stop("a") == stopped  # stopping a finished job is a no-op
    assert h.service.stop_all(ExitReason.GUARD, gpu_index=1) == ["b"]
    assert h.service.get("b").exit_reason is ExitReason.GUARD  # type: ignore[union-attr]
    assert h.credits == [] and len(h.finished) == 2
    with pytest.raises(KeyError):
        h.service.stop("nope")


def test_start_failure_is_recorded_as_failed() -> None:
    h = Harness()

    def broken(spec: JobSpec, gpu: GpuSlot | None) -> RunningJob:
        raise RunnerError("start_failed", "Docker could not start the job: boom")

    h.runner.start = broken  # type: ignore[method-assign]
    record = h.service.submit(spec())
    assert record.state is JobState.FAILED and record.exit_reason is ExitReason.ERROR
    assert "boom" in record.message and h.ledger.jobs["j1"].state is JobState.FAILED
    assert h.service.list(state=JobState.RUNNING) == []


def test_reconcile_after_a_crash_interrupts_exactly_once() -> None:
    crashed = Harness()
    crashed.service.submit(spec("a"))
    crashed.service.submit(spec("cpu", gpus=0))
    ledger = crashed.ledger  # the worker dies here; the ledger survives
    restarted = Harness(ledger)
    result = restarted.service.reconcile()
    assert sorted(result.interrupted_ids) == ["a", "cpu"]
    assert {r.state for r in restarted.service.list()} == {JobState.INTERRUPTED}
    assert [e.kind for e in restarted.events] == ["job.interrupted", "job.interrupted"]
    assert restarted.credits == [] and len(restarted.finished) == 2
    again = Harness(ledger)  # a second restart finds nothing left to interrupt
    assert again.service.reconcile().interrupted_ids == []
    assert again.events == [] and again.finished == []


def test_reconcile_reports_removed_orphans() -> None:
    h = Harness()
    h.runner.reconcile = lambda running, live: ReconcileResult([], ["c1", "c2"])  # type: ignore[method-assign]
    h.service.reconcile()
    [event] = h.events
    assert event.kind == "job.orphans_removed" and event.data["containers"] == ["c1", "c2"]


def test_shutdown_interrupts_live_jobs() -> None:
    h = Harness()
    h.service.submit(spec("a"))
    h.service.shutdown()
    record = h.service.get("a")
    assert record is not None and record.state is JobState.INTERRUPTED
    assert h.service.running_count == 0 and h.credits == []


def test_an_outage_is_announced_once_per_job_and_its_end_once() -> None:
    h = Harness()
    h.service.submit(spec("a", load_profile=[{"seconds": 100, "load": 1}]))
    h.service.submit(spec("b", load_profile=[{"seconds": 100, "load": 1}]))
    real_poll = h.runner.poll
    engine_down = True

    def poll(job: RunningJob) -> Any:
        if engine_down:
            raise RunnerError("engine_error", "the Docker engine is not reachable")
        return real_poll(job)

    h.runner.poll = poll  # type: ignore[method-assign]
    for _ in range(30):  # half a minute of polls every second while Docker is down
        h.clock.now += 1
        h.service.poll()
    errors = [e for e in h.events if e.kind == "job.error"]
    assert sorted(e.data["job_id"] for e in errors) == ["a", "b"]
    assert all("not reachable" in e.message for e in errors)
    engine_down = False
    for _ in range(5):
        h.clock.now += 1
        h.service.poll()
    recovered = [e.data["job_id"] for e in h.events if e.kind == "job.recovered"]
    assert sorted(recovered) == ["a", "b"]
    engine_down = True  # a second outage is a new one: announced again, once
    for _ in range(10):
        h.clock.now += 1
        h.service.poll()
    assert sum(e.kind == "job.error" for e in h.events) == 4


def test_a_job_that_ends_during_an_outage_is_not_recovered() -> None:
    h = Harness()
    h.service.submit(spec("a", load_profile=[{"seconds": 100, "load": 1}]))

    def down(job: RunningJob) -> Any:
        raise RunnerError("engine_error", "the Docker engine is not reachable")

    real_poll = h.runner.poll
    h.runner.poll = down  # type: ignore[method-assign]
    h.service.poll()
    h.runner.poll = real_poll  # type: ignore[method-assign]
    h.service.stop("a")
    assert [e.kind for e in h.events] == ["job.started", "job.error", "job.finished"]


def test_check_is_a_dry_run_of_submit() -> None:
    h = Harness()
    checked = h.service.check(spec("probe"))
    assert checked.job_id == "probe" and checked.image == IMAGE
    assert h.ledger.jobs == {} and h.events == [] and h.service.running_count == 0
    with pytest.raises(SpecRefused) as info:
        h.service.check(spec("probe", image="busybox:latest"))
    assert info.value.code == "image_not_pinned"

    def no_engine(spec: JobSpec) -> None:
        raise RunnerError("engine_unavailable", "Jobs cannot run: Docker is down.")

    h.runner.preflight = no_engine  # type: ignore[method-assign]
    with pytest.raises(RunnerError, match="Docker is down"):
        h.service.check(spec("probe"))
