"""Secrets with the real gnome-keyring, and the demo network end to end.

A canary secret goes in through enrollment (the practice network's API key); the network
then runs real jobs through the job service (Docker with the busybox image, or the
simulated runner), pay lands in the real ledger, an interruption costs the job's pay and
reputation, and the net matches a hand computation. Afterwards the canary must not appear
in the data folder, the logs or ``docker inspect``. With the failing keyring backend
forced, enrollment is refused with the message saying how to get a keyring.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest

from desktop import clock as desktop_clock
from desktop.ipc.protocol import ApiError
from desktop.jobs.spec import HostLimits
from desktop.ledger.ledger import Ledger
from desktop.model import Event, JobRecord, JobState, NodeState
from desktop.money.valuation import Tariff
from desktop.networks.demo import SPEC as DEMO_SPEC
from desktop.networks.demo import DemoNetwork
from desktop.networks.demo_offers import OfferTerms
from desktop.paths import get_paths
from desktop.secrets import SecretStore
from desktop.worker.jobs_service import JobService
from desktop.worker.supervisor import Supervisor
from desktop.worker.supervisor_money import NetworkMoney
from tests.clocks import RunningClock

pytestmark = pytest.mark.keyring


@pytest.fixture
def real_keyring(secret_service: str) -> SecretStore:
    store = SecretStore(service=f"rigpilot-test-{uuid.uuid4().hex[:8]}")
    problem = store.problem()
    assert problem is None, f"expected the Secret Service backend, got {store.backend_name()}"
    store.check()
    return store


@pytest.fixture
def log_file(rigpilot_home: Path) -> Iterator[Path]:
    """Everything logged during the test, into the installation's log folder."""
    paths = get_paths().ensure()
    path = paths.log_dir / "worker.log"
    handler = logging.FileHandler(path)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(old_level)
    handler.close()


def test_real_keyring_round_trip(real_keyring: SecretStore) -> None:
    real_keyring.set("demo", "api_key", "round-trip-value")
    assert real_keyring.get("demo", "api_key") == "round-trip-value"
    assert real_keyring.delete("demo", "api_key") and real_keyring.get("demo", "api_key") is None


def test_failing_backend_refuses_enrollment(secret_service: str, tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        ledger = Ledger.open(tmp_path / "ledger.sqlite")
        demo = DemoNetwork(tick_interval_s=None)
        sup = Supervisor([DEMO_SPEC], {"demo": demo}, ledger, SecretStore(), lambda e: None)
        with pytest.raises(ApiError) as info:
            asyncio.run(sup.enroll("demo", {"api_key": "canary-refused"}))
        assert info.value.code == "invalid_request"
        assert (
            "dbus-run-session" in info.value.message
            and "gnome-keyring" in info.value.message.lower()
        )
        assert ledger.enrollment("demo") is None
        ledger.close()
    finally:
        keyring.set_keyring(previous)


def _runner(kind: str, request: pytest.FixtureRequest, install_id: str) -> tuple[Any, str]:
    if kind == "simulated":
        from desktop.jobs.simulated_runner import SimulatedRunner

        return SimulatedRunner(), "rigpilot-test/busybox:latest"
    request.getfixturevalue("docker_host")
    from desktop.jobs.docker_runner import DockerRunner

    return DockerRunner(install_id=install_id), str(request.getfixturevalue("test_image"))


@pytest.mark.parametrize("kind", ["simulated", pytest.param("docker", marks=pytest.mark.docker)])
def test_demo_end_to_end_and_the_canary_never_leaks(
    kind: str,
    request: pytest.FixtureRequest,
    real_keyring: SecretStore,
    rigpilot_home: Path,
    log_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = RunningClock()  # real speed on a fixed day: the day's totals are one day's
    monkeypatch.setattr(desktop_clock, "now", clock)  # every part built below reads it
    canary = f"canary-{uuid.uuid4().hex}"
    install_id = f"rp-test-{uuid.uuid4().hex[:8]}"
    runner, image = _runner(kind, request, install_id)
    paths = get_paths().ensure()
    ledger = Ledger.open(paths.ledger_file)
    events: list[Event] = []
    tariff = Tariff(price_per_kwh=Decimal("0.40"), system_overhead_w=Decimal("50"))
    finished: list[JobRecord] = []

    def on_finished(record: JobRecord) -> None:
        finished.append(record)
        sup.job_finished(record.network, record.job_id, record.state, record.exit_reason)

    jobs = JobService(
        runner,
        ledger,
        lambda: [],
        events.append,
        allowed_images=lambda: [image],
        on_finished=on_finished,
        limits=HostLimits(cpus=2.0, memory_mb=2048),
    )
    money = NetworkMoney(ledger, events.append, lambda: tariff, clock)
    demo = DemoNetwork(
        submit_job=lambda spec: jobs.submit(spec).job_id,
        credit=money.credit,
        stop_job=lambda job_id: jobs.stop(job_id),
        speed=60.0,
        seed=7,
        image=image,
        terms=OfferTerms(mean_gap_s=30.0, duration_s=(60.0, 90.0), gpus=0),
        tick_interval_s=0.1,
    )
    sup = Supervisor([DEMO_SPEC], {"demo": demo}, ledger, real_keyring, events.append, money=money)

    counter = [1000.0]  # the GPU's cumulative energy counter (J)

    async def until(predicate: Any, limit_s: float) -> None:
        deadline = time.monotonic() + limit_s
        while not predicate():
            assert time.monotonic() < deadline, "timed out"
            await asyncio.to_thread(jobs.poll)
            await sup.poll_once()
            counter[0] += 40.0  # 200 W at this 0.2 s step
            sup.record_energy("GPU-sim-0", counter[0], owner="demo")  # the GPU works for it
            await asyncio.sleep(0.2)

    async def scenario() -> dict[str, Any]:
        await sup.start()
        answer = await sup.enroll("demo", {"api_key": canary})
        assert answer["status"]["enrolled"] is True
        await until(lambda: sum(r.state is JobState.SUCCEEDED for r in finished) >= 2, 90)
        await until(lambda: demo.status().state is NodeState.BUSY, 60)
        score = demo.market.score.score
        sup.pause_agent("demo", "you paused it")  # interrupts the running job: pay forfeited
        await until(lambda: any(r.state is JobState.STOPPED for r in finished), 30)
        # -10 for the interruption; uptime recovery meanwhile is a tiny fraction of that
        assert demo.market.score.score < score - 9.9 and demo.market.score.interruptions == 1
        sup.money.energy.tick_all(clock())  # what the worker's ledger pump does every 10 s
        report = await sup.earnings(1)
        await sup.close()
        return report

    try:
        report = asyncio.run(scenario())
        succeeded = [r for r in finished if r.state is JobState.SUCCEEDED]
        stopped = [r for r in finished if r.state is JobState.STOPPED]
        earned = {e.job_id: e for e in ledger.earnings(network="demo")}
        assert set(earned) == {r.job_id for r in succeeded}  # pay for finished jobs only
        assert not set(earned) & {r.job_id for r in stopped}
        assert all(e.money.unit == "DEMO" for e in earned.values())

        (day,) = [d for d in report["days"] if d["network"] == "demo"]
        gross = sum((e.money.usd or Decimal(0) for e in earned.values()), Decimal(0))
        periods = ledger.energy_periods(0)
        kwh = Decimal(repr(sum(p.energy_j for p in periods) / 3.6e6)).quantize(Decimal("1e-6"))
        hours = Decimal(repr(sum(p.end_ts - p.start_ts for p in periods))) / 3600
        cost = ((kwh + Decimal(50) * hours / 1000) * Decimal("0.40")).quantize(Decimal("1e-6"))
        assert Decimal(day["gross"]) == gross.quantize(Decimal("1e-6")) and gross > 0
        assert Decimal(day["energy_kwh"]) == kwh and kwh > 0
        assert Decimal(day["electricity"]) == cost and day["currency"] == "practice $"
        assert Decimal(day["net"]) == Decimal(day["gross"]) - cost

        assert real_keyring.get("demo", "api_key") == canary  # it is in the keyring
        removal = sup.remove("demo")
        assert sup.operations.wait(removal.id, 30).state == "succeeded"
        assert real_keyring.get("demo", "api_key") is None  # removing the network forgot it
        ledger.close()
        leaks = [
            str(p)
            for p in rigpilot_home.rglob("*")
            if p.is_file() and canary.encode() in p.read_bytes()
        ]
        assert leaks == [], f"the canary leaked into {leaks}"
        assert log_file.stat().st_size > 0 and canary not in log_file.read_text()
        assert canary not in repr(events)
        if kind == "docker":
            import docker

            client = docker.from_env()
            inspected = [
                client.api.inspect_container(c.id)
                for c in client.containers.list(
                    ignore_removed=True, all=True, filters={"label": "io.rigpilot.managed=1"}
                )
            ]
            assert canary not in repr(inspected)
    finally:
        if sup.is_enrolled("demo"):
            sup.operations.wait(sup.remove("demo").id, 30)
        ledger.close()
        if hasattr(runner, "close"):
            runner.close()
        if kind == "docker":
            import docker

            client = docker.from_env()
            for c in client.containers.list(
                ignore_removed=True,
                all=True,
                filters={"label": f"io.rigpilot.install={install_id}"},
            ):
                c.remove(force=True)
