"""The Nosana adapter's decisions, with fake node API, dashboard and containers."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from desktop.model import NodeState
from desktop.networks.base import (
    Controllable,
    EarningsReporter,
    Enrollable,
    EnrollmentError,
    JobSource,
    NetworkAdapter,
    NetworkError,
    Pausable,
    ReputationReporter,
)
from desktop.networks.nosana import NosanaAdapter
from desktop.networks.nosana_api import ApiRefused, ApiUnavailable
from desktop.networks.nosana_node import NodeContainerConfig
from desktop.networks.nulls import StopInsteadOfPause, pausing

DATA = Path(__file__).resolve().parents[2] / "data" / "nosana"


class FakeNode:
    def __init__(self, states: list[Any]) -> None:
        self.states = states
        self.calls = 0

    def info(self) -> Any:
        self.calls += 1
        state = self.states[min(self.calls - 1, len(self.states) - 1)]
        if isinstance(state, Exception):
            raise state
        return {"node": "addr", "state": state}


class FakeDashboard:
    def __init__(self, specs: Any = None, fail: bool = False) -> None:
        self._specs, self.fail = specs, fail

    def specs(self, address: str, timeout: Any = None) -> Any:
        if self.fail:
            raise ApiUnavailable("the dashboard API timed out", 2.0)
        return self._specs

    def jobs(self, address: str) -> Any:
        return json.loads((DATA / "jobs.json").read_text())

    def earning_history(self, address: str, start_date: str) -> Any:
        return json.loads((DATA / "earning_history.json").read_text())

    def node_report(self, address: str) -> Any:
        return json.loads((DATA / "node_report.json").read_text())


class FakeContainers:
    def __init__(self, cfg: NodeContainerConfig) -> None:
        self.cfg = cfg
        self.state: tuple[str, int | None] = ("missing", None)
        self.actions: list[str] = []

    def start(self) -> None:
        self.actions.append("start")
        self.state = ("running", None)

    def stop(self, timeout_s: int = 60) -> None:
        self.actions.append(f"stop:{timeout_s}")
        self.state = ("exited", 0)

    def node_state(self) -> tuple[str, int | None]:
        return self.state


def make(
    tmp_path: Path, clock: Any, node: FakeNode | None = None, dashboard: FakeDashboard | None = None
) -> tuple[NosanaAdapter, FakeContainers]:
    cfg = NodeContainerConfig(key_path=tmp_path / "nosana_key.json")
    containers = FakeContainers(cfg)
    adapter = NosanaAdapter(
        key_path=cfg.key_path,
        node_api=node or FakeNode(["QUEUED"]),  # type: ignore[arg-type]
        dashboard=dashboard or FakeDashboard(specs={"status": "ONBOARDED"}),  # type: ignore[arg-type]
        containers=containers,
        clock_now=clock,
        sleep=clock.advance,
        stop_poll_s=2.0,  # type: ignore[arg-type]
    )
    return adapter, containers


def test_it_is_a_network_adapter(tmp_path: Path, clock: Any) -> None:
    adapter, _ = make(tmp_path, clock)
    assert isinstance(adapter, NetworkAdapter)
    for capability in (Enrollable, Controllable, EarningsReporter, ReputationReporter):
        assert isinstance(adapter, capability), capability
    assert not isinstance(adapter, Pausable) and not isinstance(adapter, JobSource)
    assert adapter.penalties().can_pause is False
    assert "Linux" in adapter.description


def test_enroll_creates_the_key_and_asks_for_the_first_run(tmp_path: Path, clock: Any) -> None:
    adapter, _ = make(tmp_path, clock, dashboard=FakeDashboard(specs=None))
    action = adapter.enroll({})
    assert (tmp_path / "nosana_key.json").exists() and adapter.address
    assert action is not None and "email" in action.message
    assert action.command is not None
    assert f"{tmp_path / 'nosana_key.json'}:/root/.nosana/nosana_key.json" in action.command
    assert "node start --podman /root/.nosana/podman/podman.sock" in action.command
    assert "--privileged" in action.command  # the documented sidecar


def test_enroll_of_a_registered_node_is_done(tmp_path: Path, clock: Any) -> None:
    adapter, _ = make(tmp_path, clock)
    assert adapter.enroll({"market_network": "devnet"}) is None
    assert adapter.containers.cfg.market_network == "devnet"


def test_enroll_when_the_dashboard_is_down_still_gives_the_step(tmp_path: Path, clock: Any) -> None:
    adapter, _ = make(tmp_path, clock, dashboard=FakeDashboard(fail=True))
    action = adapter.enroll({})
    assert action is not None and "could not check" in action.message


def test_enroll_refuses_bad_input(tmp_path: Path, clock: Any) -> None:
    adapter, _ = make(tmp_path, clock)
    with pytest.raises(EnrollmentError, match="mainnet or devnet"):
        adapter.enroll({"market_network": "moon"})
    bad = tmp_path / "bad.json"
    bad.write_text("[1]")
    with pytest.raises(EnrollmentError) as info:
        adapter.enroll({"key_file": str(bad)})
    assert info.value.field == "key_file"


def test_status_follows_container_and_node_api(tmp_path: Path, clock: Any) -> None:
    node = FakeNode(
        [
            "QUEUED",
            ApiUnavailable("the node API timed out", 1.0),
            ApiUnavailable("the node API timed out", 2.0),
        ]
    )
    adapter, containers = make(tmp_path, clock, node=node)
    assert adapter.status().state is NodeState.NOT_ENROLLED
    with pytest.raises(NetworkError):
        adapter.start()
    adapter.enroll({})
    assert adapter.status().state is NodeState.OFFLINE
    adapter.start()
    assert adapter.status().state is NodeState.IDLE
    assert adapter.status().state is NodeState.STARTING  # API down right after start
    clock.advance(300)
    snap = adapter.status()
    assert snap.state is NodeState.UNKNOWN and "timed out" in snap.message
    containers.state = ("exited", 137)
    snap = adapter.status()
    assert snap.state is NodeState.OFFLINE and "137" in snap.message


def test_graceful_stop_waits_for_the_running_job(
    tmp_path: Path, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    node = FakeNode(["RUNNING_JOB", "RUNNING_JOB", "RUNNING_JOB", "QUEUED"])
    adapter, containers = make(tmp_path, clock, node=node)
    adapter.enroll({})
    adapter.start()
    start = clock.now
    with caplog.at_level(logging.INFO):
        adapter.stop(graceful=True, timeout_s=120)
    assert node.calls == 4 and clock.now - start == pytest.approx(6.0)
    assert containers.actions == ["start", "stop:60"]
    assert "waiting up to 120 s" in caplog.text


def test_graceful_stop_is_bounded(tmp_path: Path, clock: Any) -> None:
    adapter, containers = make(tmp_path, clock, node=FakeNode(["RUNNING_JOB"]))
    adapter.enroll({})
    adapter.start()
    start = clock.now
    adapter.stop(graceful=True, timeout_s=10)
    assert clock.now - start == pytest.approx(10.0)
    assert containers.actions[-1] == "stop:60"


def test_pause_is_a_graceful_stop_and_resume_starts(tmp_path: Path, clock: Any) -> None:
    adapter, containers = make(tmp_path, clock, node=FakeNode(["QUEUED"]))
    adapter.enroll({})
    adapter.start()
    pause = pausing(adapter)  # Nosana has no pause of its own
    assert isinstance(pause, StopInsteadOfPause)
    pause.pause()
    assert adapter.status().state is NodeState.OFFLINE  # the supervisor shows it paused
    pause.resume()
    assert containers.actions == ["start", "stop:60", "start"]
    assert adapter.status().state is NodeState.IDLE


def test_a_stop_that_is_not_graceful_gives_docker_the_time_it_was_given(
    tmp_path: Path, clock: Any
) -> None:
    adapter, containers = make(tmp_path, clock, node=FakeNode(["RUNNING_JOB"]))
    adapter.enroll({})
    adapter.start()
    before = clock.now
    adapter.stop(graceful=False, timeout_s=0.0)  # an emergency: kill at once
    adapter.stop(graceful=False, timeout_s=20.0)  # the worker stopping
    adapter.stop(graceful=False, timeout_s=600.0)  # never more than the node's own grace
    assert containers.actions == ["start", "stop:0", "stop:20", "stop:60"]
    assert clock.now == before  # and none of them waited for the job


def test_jobs_earnings_reputation_from_the_dashboard(tmp_path: Path, clock: Any) -> None:
    adapter, _ = make(
        tmp_path,
        clock,
        dashboard=FakeDashboard(specs=json.loads((DATA / "specs.json").read_text())),
    )
    adapter.enroll({})
    assert [j.job_id for j in adapter.jobs(since=1767232000)] == ["81240", "81251"]
    summary = adapter.earnings()
    assert str(summary.earned[0].amount) == "6.12" and summary.claimable[0].unit == "NOS"
    rep = adapter.reputation()
    assert rep is not None and rep.uptime_pct == 97.5


def test_api_refusals_do_not_crash_stop(tmp_path: Path, clock: Any) -> None:
    adapter, containers = make(tmp_path, clock, node=FakeNode([ApiRefused("no", 404)]))
    adapter.enroll({})
    adapter.start()
    adapter.stop()
    assert containers.actions[-1] == "stop:60"
