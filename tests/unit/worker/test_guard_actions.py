"""GuardActionsImpl: the guard's hands on the real job service, supervisor and backend."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from desktop.hardware.gpu import GpuProcess
from desktop.hardware.simulated import SimulatedBackend
from desktop.jobs.runner import GpuSlot
from desktop.jobs.simulated_runner import SimulatedRunner
from desktop.jobs.spec import HostLimits, SpecRefused
from desktop.ledger import Ledger
from desktop.model import Event, ExitReason, JobState, NetworkPenalties
from desktop.worker.guard_actions import GuardActionsImpl
from desktop.worker.jobs_service import JobService
from desktop.worker.supervisor import Supervisor

IMAGE = "demo/job:1"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[SimulatedBackend, JobService]]:
    backend = SimulatedBackend(["warm", "cool"])
    slots = [GpuSlot(i.index, i.uuid, simulated=True) for i in backend.devices()]
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    jobs = JobService(SimulatedRunner(backend.set_load), ledger, lambda: slots, lambda e: None,
                      allowed_images=lambda: [IMAGE], limits=HostLimits(4, 8000))  # fmt: skip
    yield backend, jobs
    jobs.shutdown(timeout_s=0)
    ledger.close()


def submit(jobs: JobService, job_id: str, network: str = "demo") -> None:
    jobs.submit({"image": IMAGE, "job_id": job_id, "gpus": 1, "network": network,
                 "load_profile": [{"seconds": 600, "load": 1.0}]})  # fmt: skip


def state(jobs: JobService, job_id: str) -> JobState:
    record = jobs.get(job_id)
    assert record is not None
    return record.state


def test_gpu_actions_freeze_stop_and_hold_the_jobs_of_that_gpu(
    stack: tuple[SimulatedBackend, JobService],
) -> None:
    backend, jobs = stack
    acts = GuardActionsImpl(SimpleNamespace(backend=backend), jobs)  # a GpuMonitor's shape
    submit(jobs, "a")
    submit(jobs, "b", network="other")  # lands on GPU 1
    assert acts.job_running(0) == {"demo": True} and acts.job_running(1) == {"other": True}
    acts.pause_gpu(0, "too hot")
    assert state(jobs, "a") is JobState.PAUSED and state(jobs, "b") is JobState.RUNNING
    assert backend.sample(0).gpu_util_pct == 0  # a frozen job puts no load on the card
    acts.resume_gpu(0, "cooled")
    assert state(jobs, "a") is JobState.RUNNING
    acts.stop_gpu(0, "a game")
    record = jobs.get("a")
    assert record is not None and record.exit_reason is ExitReason.GUARD
    assert (backend.sample(0).vram_used_mib or 0) < 1000  # its VRAM is free
    with pytest.raises(SpecRefused):  # and new work waits for the game to end
        submit(jobs, "c")
    acts.resume_gpu(0, "game over")
    submit(jobs, "c")
    acts.kill_gpu(0, "emergency")
    assert state(jobs, "c") is JobState.STOPPED and acts.job_running(0) == {}


def test_a_duty_cycle_rests_and_wakes_without_job_events(tmp_path: Path) -> None:
    backend = SimulatedBackend(["hot"])
    slots = [GpuSlot(i.index, i.uuid, simulated=True) for i in backend.devices()]
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    events: list[Event] = []
    jobs = JobService(SimulatedRunner(backend.set_load), ledger, lambda: slots, events.append,
                      allowed_images=lambda: [IMAGE], limits=HostLimits(4, 8000))  # fmt: skip
    try:
        acts = GuardActionsImpl(backend, jobs)
        submit(jobs, "a")
        acts.rest_gpu(0, "hot: resting 10 s of every 60 s")
        assert state(jobs, "a") is JobState.PAUSED and backend.sample(0).gpu_util_pct == 0
        acts.wake_gpu(0, "hot")
        assert state(jobs, "a") is JobState.RUNNING
        assert [e.kind for e in events] == ["job.started"]  # the freeze and thaw: quiet
        acts.pause_gpu(0, "too hot")  # a real pause is still announced
        acts.resume_gpu(0, "cool")
        assert [e.kind for e in events] == ["job.started", "job.paused", "job.resumed"]
    finally:
        jobs.shutdown(timeout_s=0)
        ledger.close()


def test_power_limits_and_process_lists_go_to_the_backend() -> None:
    backend = SimulatedBackend(["hot"])
    acts = GuardActionsImpl(backend)
    acts.set_power_limit(0, 180.0)
    assert backend.devices()[0].power.enforced_w == 180.0
    acts.restore_power_limit(0, 230.0)
    assert backend.devices()[0].power.enforced_w == 230.0
    backend.set_load(0, 1.0)
    backend.add_process(0, GpuProcess(777, 900.0, "blender"))
    assert acts.gpu_processes(0) == [GpuProcess(777, 900.0, "blender")]  # not our own job
    assert acts.job_running(0) == {} and acts.our_pids() == set()


@dataclass
class FakeAdapter:
    calls: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def penalties(self) -> NetworkPenalties:
        return NetworkPenalties(can_pause=False)

    def pause(self) -> bool:
        self.calls.append("pause")
        return True

    def resume(self) -> None:
        self.calls.append("resume")
        self.done.set()


class FakeSupervisor:
    def __init__(self) -> None:
        self.adapters = {"nosana": FakeAdapter(), "idle": FakeAdapter()}
        self.rts = {
            "nosana": SimpleNamespace(enrolled=True, started=True, paused=False),
            "idle": SimpleNamespace(enrolled=False, started=False, paused=False),
        }

    def penalties(self) -> dict[str, NetworkPenalties]:
        return {n: a.penalties() for n, a in self.adapters.items()}

    def runtime(self, network: str) -> Any:
        return self.rts[network]


def test_networks_are_paused_in_order_off_the_caller_and_user_pauses_are_kept() -> None:
    sup = FakeSupervisor()
    acts = GuardActionsImpl(None, None, sup)
    assert list(acts.penalties()) == ["nosana"]  # only enrolled networks weigh
    acts.pause_network("nosana", "a game")
    acts.resume_network("nosana", "quiet again")
    assert sup.adapters["nosana"].done.wait(5)
    assert sup.adapters["nosana"].calls == ["pause", "resume"]
    sup.rts["nosana"].paused = True  # the user paused it: the guard leaves it alone
    acts.resume_network("nosana", "quiet")
    acts.pause_network("idle", "a game")  # not running: nothing to pause
    time.sleep(0.1)
    assert sup.adapters["nosana"].calls == ["pause", "resume"]
    assert sup.adapters["idle"].calls == []


class SlowAgent(FakeAdapter):
    """A network agent whose graceful pause waits for its job (like a Nosana node)."""

    def __init__(self) -> None:
        super().__init__()
        self.job_done = threading.Event()
        self.stopped = threading.Event()
        self.started = threading.Event()
        self.display_name = "Slow agent"

    def pause(self) -> bool:
        self.calls.append("pause")
        self.job_done.wait(10)
        return True

    def stop(self, graceful: bool = True, timeout_s: float = 120.0) -> None:
        self.calls.append(f"stop:{graceful}:{timeout_s:g}")
        self.stopped.set()

    def start(self) -> None:
        self.calls.append("start")
        self.started.set()


def test_an_emergency_stops_the_agent_at_once_and_a_resume_starts_it_again() -> None:
    agent = SlowAgent()
    events: list[Event] = []
    sup = Supervisor({"nosana": agent}, None, None, events.append)  # type: ignore[arg-type]
    rt = sup.runtime("nosana")
    rt.enrolled = rt.started = True
    acts = GuardActionsImpl(None, None, sup)
    acts.pause_network("nosana", "a game")  # graceful: waits for the agent's job
    acts.stop_network_now("nosana", "GPU at 91 °C")  # must not queue behind it
    assert agent.stopped.wait(5), agent.calls
    assert "stop:False:0" in agent.calls and not agent.job_done.is_set()
    assert not rt.started  # the supervisor's poll does not restart it as crashed
    stopped = [e for e in events if e.kind == "network.stopped"]
    assert stopped and "GPU at 91 °C" in stopped[0].message
    agent.job_done.set()
    acts.resume_network("nosana", "you pressed Resume")
    assert agent.started.wait(5), agent.calls
    assert agent.calls[-1] == "start" and rt.started
    assert sup.start_again("nosana") is False  # already running: nothing to do


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX process tree")
def test_our_pids_are_every_process_in_our_containers() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        container = SimpleNamespace(attrs={"State": {"Pid": os.getpid()}})
        seen: list[Any] = []

        def listing(filters: dict[str, Any]) -> list[Any]:
            seen.append(filters)
            return [container]

        client = SimpleNamespace(containers=SimpleNamespace(list=listing))
        jobs = SimpleNamespace(runner=SimpleNamespace(client=client))
        pids = GuardActionsImpl(None, jobs).our_pids()
        assert {os.getpid(), child.pid} <= pids
        assert seen == [{"label": "io.rigpilot.managed=1"}]
    finally:
        child.kill()
        child.wait()
