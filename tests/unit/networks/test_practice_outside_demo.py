"""The practice network on a worker that is not in demo mode (issue 7, item 5).

Its offers use a local image that is refused unless the user allowed it, and a real-GPU
worker (no Docker: the NoEngineRunner) never pretends to run them. Enrolling then says
why and what to do ("start `rigpilot --demo`", or allow the image) instead of enrolling a
network that would never get a job done. The real job service and runners are used.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from desktop import clock as the_clock
from desktop.ipc.protocol import ApiError
from desktop.jobs.runner import GpuSlot
from desktop.jobs.simulated_runner import SimulatedRunner
from desktop.jobs.spec import HostLimits
from desktop.ledger.ledger import Ledger
from desktop.model import NodeState
from desktop.networks import registry
from desktop.networks.base import EnrollmentError
from desktop.networks.demo import DemoNetwork
from desktop.networks.spec import AdapterContext
from desktop.secrets import SecretStore
from desktop.worker.adapters import NoEngineRunner
from desktop.worker.jobs_service import JobService
from desktop.worker.supervisor import Supervisor
from tests.unit.networks.conftest import FakeClock, MemoryKeyring
from tests.unit.networks.fakes import settle

IMAGE = "rigpilot-test/busybox:latest"


def job_service(ledger: Ledger, runner: Any, allowed: list[str]) -> JobService:
    return JobService(
        runner,
        ledger,
        lambda: [GpuSlot(0, "GPU-sim-0", simulated=True)],
        lambda event: None,
        allowed_images=lambda: allowed,
        limits=HostLimits(cpus=2.0, memory_mb=4096),
    )


@pytest.fixture(autouse=True)
def wall(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The test's clock is the one clock (desktop.clock.now) every part reads."""
    monkeypatch.setattr(the_clock, "now", clock)
    return clock


def practice(jobs: JobService, clock: FakeClock, check: bool = True) -> DemoNetwork:
    """The practice network as the worker builds it (its module's SPEC, no clock given)."""
    context = AdapterContext(
        submit_job=lambda spec: jobs.submit(spec).job_id,
        check_job=jobs.check if check else None,
        stop_job=jobs.stop,
        env={"RIGPILOT_DEMO_IMAGE": IMAGE},
    )
    demo = registry.build_all(context, [DEMO])["demo"]
    assert isinstance(demo, DemoNetwork)
    demo.market.tick_interval_s = None  # the test ticks it
    return demo


DEMO = next(s for s in registry.load_specs({}) if s.id == "demo")


def supervise(demo: DemoNetwork, ledger: Ledger, memory_keyring: MemoryKeyring) -> Supervisor:
    secrets = SecretStore(backend=memory_keyring)
    return Supervisor([DEMO], {"demo": demo}, ledger, secrets, lambda e: None)


def test_an_image_not_allowed_refuses_enrollment_with_the_way_out(
    ledger: Ledger, clock: FakeClock
) -> None:
    demo = practice(job_service(ledger, SimulatedRunner(None), []), clock)
    with pytest.raises(EnrollmentError) as info:
        demo.enroll({})
    message = str(info.value)
    assert "runs in demo mode" in message and "rigpilot --demo" in message
    assert f"rigpilot settings set jobs.allowed_local_images {IMAGE}" in message
    assert "refused it" not in message  # "not allowed" is said once, not twice
    assert demo.status().state is NodeState.NOT_ENROLLED


def test_a_real_gpu_worker_without_docker_never_fakes_the_jobs(
    ledger: Ledger, clock: FakeClock
) -> None:
    runner = NoEngineRunner("the Docker engine is not reachable")
    demo = practice(job_service(ledger, runner, [IMAGE]), clock)  # allowed, yet no engine
    with pytest.raises(EnrollmentError, match="Docker engine is not reachable") as info:
        demo.enroll({})
    assert "rigpilot --demo" in str(info.value)


def test_an_allowed_image_enrolls_and_its_jobs_run(ledger: Ledger, clock: FakeClock) -> None:
    jobs = job_service(ledger, SimulatedRunner(None), [IMAGE])
    demo = practice(jobs, clock)
    assert demo.enroll({}) is None
    demo.start()
    for _ in range(3600):
        clock.advance(1)
        demo.tick()
        if jobs.running_count:
            break
    assert jobs.running_count == 1 and demo.status().state is NodeState.BUSY
    assert ledger.job("demo-probe") is None  # the enrollment check ran nothing


def test_the_supervisor_answers_422_and_records_nothing(
    ledger: Ledger, clock: FakeClock, memory_keyring: MemoryKeyring
) -> None:
    demo = practice(job_service(ledger, SimulatedRunner(None), []), clock)
    sup = supervise(demo, ledger, memory_keyring)
    with pytest.raises(ApiError) as info:
        asyncio.run(sup.enroll("demo", {}))
    assert info.value.status == 422 and "rigpilot --demo" in info.value.message
    assert ledger.enrollment("demo") is None and not sup.is_enrolled("demo")


def test_without_the_check_the_first_refused_offer_says_it(
    ledger: Ledger, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker that does not wire the dry run still tells the user, after one offer."""
    allowed: list[str] = []
    demo = practice(job_service(ledger, SimulatedRunner(None), allowed), clock, check=False)
    demo.enroll({})
    demo.start()
    for _ in range(3600):  # many refused offers
        clock.advance(1)
        demo.tick()
    status = demo.status()
    assert status.state is NodeState.ERROR and "rigpilot --demo" in status.message
    assert caplog.text.count("the job runner refused offer") == 1  # said once, not per offer
    allowed.append(IMAGE)  # the user allows the image: the next offer runs
    for _ in range(3600):
        clock.advance(1)
        demo.tick()
        if demo.status().state is NodeState.BUSY:
            break
    assert demo.status().state is NodeState.BUSY


def test_a_saved_enrollment_that_no_longer_holds_says_why_after_a_restart(
    ledger: Ledger, clock: FakeClock, memory_keyring: MemoryKeyring
) -> None:
    allowed = [IMAGE]
    jobs = job_service(ledger, SimulatedRunner(None), allowed)

    first = supervise(practice(jobs, clock), ledger, memory_keyring)
    asyncio.run(first.enroll("demo", {}))
    settle(first)
    asyncio.run(first.close())
    allowed.clear()  # the user takes the image off the list, then restarts the worker
    second = supervise(practice(jobs, clock), ledger, memory_keyring)

    async def restart() -> dict[str, Any]:
        await second.start()
        await second.poll_once()  # not polled into "not enrolled": the reason stays
        return await second.network_status("demo")

    shown = asyncio.run(restart())
    assert shown["enrolled"] is True and shown["state"] == "error"
    assert "rigpilot --demo" in shown["next_step"] and second.owners() == []
    allowed.append(IMAGE)  # allowed again: enrolling again brings it back
    answer = asyncio.run(second.enroll("demo", {}))
    settle(second)
    asyncio.run(second.poll_once())
    assert answer["operation"]["kind"] == "start" and second.summary()[0]["state"] == "idle"
    assert second.owners() == ["demo"]
    asyncio.run(second.close())
