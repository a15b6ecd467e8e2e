"""io.net's Explorer side against a real local server (tests/contract/harness.py) on a
scripted clock: the token's end shown a week ahead, an ended or refused token asking for
a new one without a loop of refused calls, hires, and each finished day's block rewards."""

from __future__ import annotations

import base64
import datetime as dt
import json
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop.model import Money, NodeState
from desktop.networks.base import EnrollmentError
from desktop.networks.ionet import IonetAdapter
from desktop.networks.ionet_api import ExplorerApi
from desktop.networks.ionet_containers import IoContainer, Listing
from desktop.networks.records import HostFacts
from desktop.networks.summary import Standing, network_summary, next_step
from tests.contract.harness import DATA, NetworkServer, Reply

DAY = 86400.0
T0 = dt.datetime(2023, 9, 13, 5, 0, tzinfo=dt.UTC).timestamp()  # a hire of the paid file runs
DEVICE = "599ef4af-7fe6-44b5-aba3-25899bde2ab6"


def jwt(exp: float) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256'})}.{part({'exp': int(exp)})}.c2ln"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class RunningWorker:
    def listing(self) -> Listing:
        return Listing(
            io=[
                IoContainer("a", "w", "ionetcontainers/io-worker-vc:latest", "running", pid=1),
                IoContainer("b", "m", "ionetcontainers/io-worker-monitor:latest", "running"),
            ]
        )

    def stop(self, grace_s: int) -> list[str]:
        return []

    def agent_pids(self) -> set[int]:
        return set()


def answer(name: str) -> Reply:
    return Reply(200, (DATA / "ionet" / name).read_bytes())


@pytest.fixture
def server() -> Iterator[NetworkServer]:
    fake = NetworkServer()
    fake.routes.update(
        {
            "GET /v1/io-explorer/devices/*/summary": answer("device_summary.json"),
            "GET /v1/io-explorer/devices/*/details": answer("device_details_paid.json"),
            "GET /v1/io-explorer/devices/*/pow-summary": answer("pow_summary.json"),
            "GET /v1/io-blocks/devices/*/block-rewards-summary/*/*": answer(
                "block_rewards_summary.json"
            ),
        }
    )
    yield fake
    fake.close()


def adapter(server: NetworkServer, clock: Clock, tmp_path: Path, token: str) -> IonetAdapter:
    made = IonetAdapter(
        explorer=ExplorerApi(server.url),
        containers=RunningWorker(),  # type: ignore[arg-type]
        data_dir=tmp_path,
        clock_now=clock,
    )
    made.enroll(
        {
            "launch_binary": sys.executable,  # an absolute, executable file on every OS
            "device_id": DEVICE,
            "device_name": "rig",
            "token": "refresh",
            "explorer_token": token,
        }
    )
    return made


def explorer_calls(server: NetworkServer) -> int:
    return len(server.sent("GET /v1/*"))


def test_the_tokens_end_is_shown_a_week_ahead_and_the_worker_stays_up(
    server: NetworkServer, tmp_path: Path
) -> None:
    clock = Clock()
    ionet = adapter(server, clock, tmp_path, jwt(T0 + 30 * DAY))
    first = ionet.status()
    assert first.state is NodeState.IDLE and first.message == ""
    assert "action_required" not in first.extra
    clock.now = T0 + 25 * DAY  # five days left
    soon = ionet.status()
    assert soon.state is NodeState.IDLE
    assert "expires on 2023-10-13 (in 5 days)" in soon.message
    assert "rigpilot enroll ionet" in soon.message
    step = next_step("ionet", Standing(True), soon, [])
    assert step.startswith("Your io.net Explorer token expires on 2023-10-13")
    record = network_summary(
        _spec(), ionet, soon, Standing(True), [], None, None, {}
    )  # the Networks page's record carries the step, with the Explorer's address
    assert record["action_required"]["url"] == "https://explorer.io.net"


def test_an_ended_token_asks_for_a_new_one_and_is_not_sent_again(
    server: NetworkServer, tmp_path: Path
) -> None:
    clock = Clock()
    ionet = adapter(server, clock, tmp_path, jwt(T0 + DAY))
    assert ionet.status().state is NodeState.IDLE
    clock.now = T0 + 2 * DAY
    before = explorer_calls(server)
    for _ in range(5):
        ended = ionet.status()
        assert ionet.jobs() == [] and ionet.reputation() is None
    assert ended.state is NodeState.UNKNOWN
    assert "expired on 2023-09-14" in ended.message and "rigpilot enroll ionet" in ended.message
    assert explorer_calls(server) == before  # no loop of refused calls
    assert "io.net Explorer" in next_step("ionet", Standing(True), ended, [])


def test_a_refused_token_is_asked_for_once_then_never_sent_again(
    server: NetworkServer, tmp_path: Path
) -> None:
    clock = Clock()
    ionet = adapter(server, clock, tmp_path, jwt(T0 + 10 * DAY))
    server.routes["GET /v1/io-explorer/devices/*/summary"] = Reply(401, b'{"detail": "no"}')
    refused = ionet.status()
    assert refused.state is NodeState.UNKNOWN and "refused your Explorer token" in refused.message
    after = explorer_calls(server)
    for _ in range(3):
        clock.now += 120.0
        assert ionet.status().state is NodeState.UNKNOWN
        assert ionet.jobs() == []
    assert explorer_calls(server) == after
    assert refused.extra["action_required"]["message"].startswith("io.net's Explorer refused")


def test_enrolling_refuses_a_new_ended_token_but_not_the_saved_one_at_restart(
    server: NetworkServer, tmp_path: Path
) -> None:
    clock = Clock()
    token = jwt(T0 + DAY)
    adapter(server, clock, tmp_path, token)  # accepted while valid, remembered
    clock.now = T0 + 3 * DAY
    again = adapter(server, clock, tmp_path, token)  # the worker restarts: not refused
    assert again.status().state is NodeState.UNKNOWN  # ... but it asks for a new one
    calls = explorer_calls(server)
    with pytest.raises(EnrollmentError, match="expired on 2023-09-15") as info:
        adapter(server, clock, tmp_path, jwt(T0 + 2 * DAY))  # a new token, already ended
    assert info.value.field == "explorer_token"
    assert explorer_calls(server) == calls  # refused without asking the Explorer


def test_a_hire_running_now_makes_the_device_busy(server: NetworkServer, tmp_path: Path) -> None:
    ionet = adapter(server, Clock(), tmp_path, jwt(T0 + 10 * DAY))
    assert ionet.status().state is NodeState.IDLE  # no details read yet
    ionet.jobs()
    assert ionet.status().state is NodeState.BUSY  # 2023-09-13 00:00 to 10:00


def test_jobs_are_paid_hires_and_each_finished_days_block_rewards_asked_once(
    server: NetworkServer, tmp_path: Path
) -> None:
    clock = Clock()
    ionet = adapter(server, clock, tmp_path, jwt(T0 + 30 * DAY))
    jobs = {job.job_id: job for job in ionet.jobs(T0 - 4 * DAY)}
    paid = jobs["e242cd76-9e65-4de1-b3ec-1cb8b002b38d@2023-09-12 00:00:00"]
    assert paid.earned == Money(Decimal("10.8"), "IO")
    assert jobs["b168e413-3014-457e-b139-8450371b47c6@2023-09-13 00:00:00"].earned is None
    days = sorted(k for k in jobs if k.startswith("block-rewards-"))
    assert days == ["block-rewards-2023-09-10", "block-rewards-2023-09-11"]  # whole, settled
    assert jobs["block-rewards-2023-09-11"].earned == Money(Decimal("3.75"), "IO")
    asked = server.sent("GET /v1/io-blocks/*")
    assert [r.path.rsplit("/", 2)[-2:] for r in asked][0] == ["2023-09-10", "2023-09-10"]
    ionet.jobs(T0 - 4 * DAY)
    assert len(server.sent("GET /v1/io-blocks/*")) == len(asked)  # finished days: once
    clock.now += DAY  # a day later, one more day is settled
    ionet.jobs(T0 - 4 * DAY)
    assert len(server.sent("GET /v1/io-blocks/*")) == len(asked) + 1


@pytest.mark.parametrize(
    ("names", "pct"),
    [
        (("NVIDIA GeForce RTX 3080",), 20.0),
        (("NVIDIA GeForce RTX 4090",), 5.0),
        (("NVIDIA GeForce RTX 5090",), 5.0),
        (("NVIDIA GeForce RTX 3080", "NVIDIA GeForce RTX 4090"), 5.0),  # the strictest
        (("NVIDIA RTX A6000",), 5.0),
        (("NVIDIA RTX A4000",), 20.0),
        ((), 5.0),  # not known yet: the strict rule
    ],
)
def test_the_idle_rule_follows_the_cards(
    names: tuple[str, ...], pct: float, tmp_path: Path
) -> None:
    ionet = IonetAdapter(explorer=ExplorerApi("http://127.0.0.1:9"), data_dir=tmp_path)
    ionet.requirements(HostFacts("linux", False, 32.0, 300.0, True, True, names))
    assert ionet.penalties().max_idle_gpu_util_pct == pct
    assert ionet.penalties().can_pause is False


def _spec() -> Any:
    from desktop.networks.ionet import SPEC

    return SPEC
