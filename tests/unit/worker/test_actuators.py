"""The reconciler's hands on the real job service, the GPU backend and network agents."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from desktop.hardware.gpu import GpuProcess
from desktop.hardware.simulated import SimulatedBackend
from desktop.jobs.runner import GpuSlot
from desktop.jobs.simulated_runner import SimulatedRunner
from desktop.jobs.spec import HostLimits, SpecRefused
from desktop.ledger import Ledger
from desktop.model import Event, ExitReason, JobState, NetworkPenalties
from desktop.worker.actuators import AgentDriver, BackendCard, JobServiceActuator
from desktop.worker.jobs_service import JobService

IMAGE = "demo/job:1"


@dataclass
class Held:
    """A stand-in for the record's admission: the GPUs something holds."""

    gpus: set[int] = field(default_factory=set)

    def __call__(self, gpu: int | None, network: str = "local") -> str | None:
        return "A guard holds this GPU." if gpu in self.gpus else None


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[SimulatedBackend, JobService, Held]]:
    backend = SimulatedBackend(["warm", "cool"])
    slots = [GpuSlot(i.index, i.uuid, simulated=True) for i in backend.devices()]
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    held = Held()
    jobs = JobService(SimulatedRunner(backend.set_load), ledger, lambda: slots, lambda e: None,
                      allowed_images=lambda: [IMAGE], limits=HostLimits(4, 8000),
                      admission=held)  # fmt: skip
    yield backend, jobs, held
    jobs.shutdown(timeout_s=0)
    ledger.close()


def submit(jobs: JobService, job_id: str, network: str = "demo") -> None:
    jobs.submit({"image": IMAGE, "job_id": job_id, "gpus": 1, "network": network,
                 "load_profile": [{"seconds": 600, "load": 1.0}]})  # fmt: skip


def state(jobs: JobService, job_id: str) -> JobState:
    record = jobs.get(job_id)
    assert record is not None
    return record.state


def test_job_actions_freeze_and_stop_the_jobs_of_one_gpu(
    stack: tuple[SimulatedBackend, JobService, Held],
) -> None:
    backend, jobs, held = stack
    acts = JobServiceActuator(jobs)
    submit(jobs, "a")
    submit(jobs, "b", network="other")  # lands on GPU 1
    assert acts.job_running(0) == {"demo": True} and acts.job_running(1) == {"other": True}
    acts.freeze(0, "too hot")
    assert state(jobs, "a") is JobState.PAUSED and state(jobs, "b") is JobState.RUNNING
    assert backend.sample(0).gpu_util_pct == 0  # a frozen job puts no load on the card
    acts.thaw(0, "cooled")
    assert state(jobs, "a") is JobState.RUNNING
    held.gpus.add(0)
    acts.stop(0, "a game")
    record = jobs.get("a")
    assert record is not None and record.exit_reason is ExitReason.GUARD
    assert (backend.sample(0).vram_used_mib or 0) < 1000  # its VRAM is free
    with pytest.raises(SpecRefused) as refused:  # new work waits while the record holds it
        submit(jobs, "c")
    assert refused.value.code == "paused" and "A guard holds this GPU." in refused.value.message
    held.gpus.clear()
    submit(jobs, "c")
    acts.stop(0, "emergency", at_once=True)
    assert state(jobs, "c") is JobState.STOPPED and acts.job_running(0) == {}


def test_a_duty_cycle_rests_and_wakes_without_job_events(tmp_path: Path) -> None:
    backend = SimulatedBackend(["hot"])
    slots = [GpuSlot(i.index, i.uuid, simulated=True) for i in backend.devices()]
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    events: list[Event] = []
    jobs = JobService(SimulatedRunner(backend.set_load), ledger, lambda: slots, events.append,
                      allowed_images=lambda: [IMAGE], limits=HostLimits(4, 8000))  # fmt: skip
    try:
        acts = JobServiceActuator(jobs)
        submit(jobs, "a")
        acts.freeze(0, "hot: resting 10 s of every 60 s", quiet=True)
        assert state(jobs, "a") is JobState.PAUSED and backend.sample(0).gpu_util_pct == 0
        acts.thaw(0, "hot", quiet=True)
        assert state(jobs, "a") is JobState.RUNNING
        assert [e.kind for e in events] == ["job.started"]  # the freeze and thaw: quiet
        acts.freeze(0, "too hot")  # a real pause is still announced
        acts.thaw(0, "cool")
        assert [e.kind for e in events] == ["job.started", "job.paused", "job.resumed"]
    finally:
        jobs.shutdown(timeout_s=0)
        ledger.close()


def test_power_limits_and_process_lists_go_to_the_backend() -> None:
    backend = SimulatedBackend(["hot"])
    card = BackendCard(backend)
    card.set_power_limit(0, 180.0)
    assert backend.devices()[0].power.enforced_w == 180.0
    card.restore_power_limit(0, 230.0)
    assert backend.devices()[0].power.enforced_w == 230.0
    backend.set_load(0, 1.0)
    backend.add_process(0, GpuProcess(777, 900.0, "blender"))
    assert card.gpu_processes(0) == [GpuProcess(777, 900.0, "blender")]  # not our own job
    assert JobServiceActuator(None).job_running(0) == {}
    assert JobServiceActuator(None).our_pids() == set()


class SlowAgents:
    """AgentControl whose graceful pause waits for its job (like a Nosana node)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.job_done = threading.Event()
        self.stopped = threading.Event()
        self.resumed = threading.Event()

    def owners(self) -> list[str]:
        return ["nosana"]

    def runs_own_agent(self, network: str) -> bool:
        return True

    def penalties(self) -> Mapping[str, NetworkPenalties]:
        return {"nosana": NetworkPenalties(can_pause=False)}

    def pause_agent(self, network: str, reason: str) -> None:
        self.calls.append("pause")
        self.job_done.wait(10)

    def resume_agent(self, network: str, reason: str) -> None:
        self.calls.append("resume")
        self.resumed.set()

    def stop_agent_now(self, network: str, reason: str) -> None:
        self.calls.append("stop_now")
        self.stopped.set()


def test_agents_pause_in_order_off_the_caller_and_an_emergency_never_queues() -> None:
    agents = SlowAgents()
    driver = AgentDriver(agents)
    driver.pause("nosana", "a game")  # graceful: waits for the agent's job, on its thread
    driver.stop_now("nosana", "GPU at 91 °C")  # must not queue behind the pause
    # both calls came back while the pause still waits: the caller never waited for it
    assert agents.stopped.wait(5) and not agents.job_done.is_set()
    driver.resume("nosana", "you pressed Resume")  # after the stop, in order after the pause
    time.sleep(0.05)
    assert not agents.resumed.is_set()  # still behind the graceful pause
    agents.job_done.set()
    assert agents.resumed.wait(5)
    assert agents.calls == ["pause", "stop_now", "resume"]
