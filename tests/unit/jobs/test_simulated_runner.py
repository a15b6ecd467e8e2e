"""The simulated runner plays load profiles on the simulated GPU, with the runner contract."""

from __future__ import annotations

from typing import Any

from desktop.jobs.runner import GpuSlot, Runner
from desktop.jobs.simulated_runner import DEFAULT_RUN_S, SimulatedRunner
from desktop.jobs.spec import HostLimits, JobSpec, parse_spec
from desktop.model import ExitReason, JobState

GPU = GpuSlot(0, "GPU-sim-0", simulated=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(**spec: Any) -> tuple[SimulatedRunner, Clock, list[tuple[int, float]], JobSpec]:
    clock = Clock()
    loads: list[tuple[int, float]] = []
    runner = SimulatedRunner(lambda i, f: loads.append((i, f)), clock)
    data = {"job_id": "sim-1", "image": "demo/job:1", "gpus": 1, "deadline_s": 100, **spec}
    return runner, clock, loads, parse_spec(data, ["demo/job:1"], HostLimits(4, 8000))


def test_is_a_runner() -> None:
    assert isinstance(SimulatedRunner(), Runner)


def test_plays_the_profile_then_exits_zero() -> None:
    runner, clock, loads, spec = make(
        load_profile=[{"seconds": 10, "load": 0.5}, {"seconds": 20, "load": 1.0}]
    )
    job = runner.start(spec, GPU)
    assert loads == [(0, 0.5)]
    clock.now += 5
    assert runner.poll(job) is None and loads == [(0, 0.5)]
    clock.now += 10
    assert runner.poll(job) is None and loads[-1] == (0, 1.0)
    clock.now += 16
    info = runner.poll(job)
    assert info is not None and info.reason is ExitReason.EXITED and info.exit_code == 0
    assert info.state is JobState.SUCCEEDED
    assert loads[-1] == (0, 0.0)
    assert "finished its load profile" in info.logs_tail
    assert runner.poll(job) is info  # later polls repeat the ending


def test_pause_stops_the_load_and_the_profile_clock() -> None:
    runner, clock, loads, spec = make(load_profile=[{"seconds": 10, "load": 0.8}])
    job = runner.start(spec, GPU)
    clock.now += 4
    runner.pause(job)
    assert loads[-1] == (0, 0.0) and job.paused
    clock.now += 50  # paused time does not count
    assert runner.poll(job) is None
    runner.unpause(job)
    assert loads[-1] == (0, 0.8) and not job.paused
    clock.now += 5
    assert runner.poll(job) is None
    clock.now += 2
    info = runner.poll(job)
    assert info is not None and info.reason is ExitReason.EXITED


def test_deadline_kills_the_job() -> None:
    runner, clock, loads, spec = make(deadline_s=30, load_profile=[{"seconds": 60, "load": 1}])
    job = runner.start(spec, GPU)
    clock.now += 29
    assert runner.poll(job) is None
    clock.now += 1
    info = runner.poll(job)
    assert info is not None and info.reason is ExitReason.DEADLINE and info.exit_code == 137
    assert info.state is JobState.FAILED and loads[-1] == (0, 0.0)


def test_profile_that_ended_after_the_deadline_is_a_deadline() -> None:
    runner, clock, _, spec = make(deadline_s=30, load_profile=[{"seconds": 20, "load": 1}])
    job = runner.start(spec, GPU)
    runner.pause(job)
    clock.now += 15
    runner.unpause(job)
    clock.now += 25  # the profile ended at +35, after the deadline at +30
    info = runner.poll(job)
    assert info is not None and info.reason is ExitReason.DEADLINE


def test_stop_and_kill_record_who_ended_it() -> None:
    runner, clock, loads, spec = make()
    job = runner.start(spec, GPU)
    runner.stop(job, ExitReason.GUARD)
    info = runner.poll(job)
    assert info is not None and info.reason is ExitReason.GUARD and info.state is JobState.STOPPED
    assert loads[-1] == (0, 0.0)
    runner2, _, _, spec2 = make()
    job2 = runner2.start(spec2, GPU)
    runner2.kill(job2, ExitReason.USER)
    runner2.stop(job2, ExitReason.GUARD)  # a second request does not rewrite the reason
    assert job2.exit is not None and job2.exit.reason is ExitReason.USER


def test_cpu_job_without_profile_runs_the_default_time_without_touching_a_gpu() -> None:
    runner, clock, loads, spec = make(gpus=0, deadline_s=600)
    job = runner.start(spec, None)
    clock.now += DEFAULT_RUN_S + 1
    info = runner.poll(job)
    assert info is not None and info.reason is ExitReason.EXITED and loads == []


def test_reconcile_interrupts_every_ledger_job_not_live() -> None:
    runner = SimulatedRunner()
    result = runner.reconcile(["a", "b", "c"], ["b"])
    assert result.interrupted_ids == ["a", "c"] and result.removed_refs == []
