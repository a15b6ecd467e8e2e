"""GuardActionsImpl: the guard's hands on the real job service, supervisor and backend."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
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
from desktop.secrets import SecretStore
from desktop.worker.guard_actions import GuardActionsImpl
from desktop.worker.jobs_service import JobService
from desktop.worker.supervisor import Supervisor
from tests.unit.networks.conftest import MemoryKeyring
from tests.unit.networks.fakes import Scripted, settle, spec_for

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


class FakeSupervisor:
    """The supervisor's AgentControl side: nosana enrolled, idle not; the user may hold one."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.held: set[str] = set()

    def penalties(self) -> dict[str, NetworkPenalties]:
        return {"nosana": NetworkPenalties(can_pause=False)}

    def owners(self) -> list[str]:
        return [n for n in ("nosana",) if n not in self.held]

    def pause_agent(self, network: str, reason: str) -> None:
        self.calls.append(f"pause:{network}")

    def resume_agent(self, network: str, reason: str) -> None:
        self.calls.append(f"resume:{network}")

    def stop_agent_now(self, network: str, reason: str) -> None:
        self.calls.append(f"stop_now:{network}")


def test_networks_are_paused_through_the_supervisor_and_user_holds_are_kept() -> None:
    sup = FakeSupervisor()
    acts = GuardActionsImpl(None, None, sup)
    assert list(acts.penalties()) == ["nosana"]  # only enrolled networks weigh
    acts.pause_network("nosana", "a game")
    acts.resume_network("nosana", "quiet again")
    assert sup.calls == ["pause:nosana", "resume:nosana"]
    sup.held.add("nosana")  # the user holds it: the guard leaves it alone
    acts.pause_network("nosana", "a game")
    acts.resume_network("nosana", "quiet")
    acts.pause_network("idle", "a game")  # not enrolled: nothing to pause
    assert sup.calls == ["pause:nosana", "resume:nosana"]


def test_an_emergency_stops_the_agent_at_once_and_a_resume_starts_it_again(
    tmp_path: Path,
) -> None:
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    agent = Scripted(time.time, "nosana")  # its graceful stop waits for the job, like Nosana
    events: list[Event] = []
    sup = Supervisor([spec_for(agent)], {"nosana": agent}, ledger,
                     SecretStore(backend=MemoryKeyring()), events.append)  # fmt: skip
    asyncio.run(sup.enroll("nosana", {"token": "t"}))
    settle(sup)
    acts = GuardActionsImpl(None, None, sup)
    agent.release.clear()  # the graceful pause waits for a job that does not end
    acts.pause_network("nosana", "a game")
    assert agent.stopping.wait(5)
    agent.stopping.clear()
    acts.stop_network_now("nosana", "GPU at 91 °C")  # must not queue behind it
    assert agent.stopping.wait(5), agent.calls
    assert "stop:False" in agent.calls
    stopped = [e for e in events if e.kind == "network.stopped"]
    assert stopped and "GPU at 91 °C" in stopped[0].message
    asyncio.run(sup.poll_once())  # stopped by the guard: not restarted as crashed
    assert agent.calls.count("start") == 1
    agent.release.set()
    settle(sup)
    acts.resume_network("nosana", "you pressed Resume")
    deadline = time.monotonic() + 10
    while agent.calls.count("start") < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    settle(sup)
    assert agent.calls.count("start") == 2
    ledger.close()


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
