"""Capabilities are asked with isinstance; where one is absent, a null object answers."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.model import CheckResult, ExitReason, JobState, NetworkPenalties, NodeState
from desktop.networks.base import Enrollable, EnrollmentError, NetworkAdapter
from desktop.networks.nulls import (
    NO_CONTROL,
    NO_EARNINGS_API,
    NO_PAUSE,
    NO_REPUTATION,
    NOT_A_JOB_SOURCE,
    NotEnrollable,
    StopInsteadOfPause,
    control,
    earnings_api,
    enrollment,
    job_source,
    pausing,
    reputation_api,
)
from desktop.networks.records import HostFacts, StatusSnapshot, requirement
from tests.unit.networks.fakes import PausableScripted, Scripted, Watched

FACTS = HostFacts("windows", False, 16.0, 100.0, True, True, ())


class Described:
    """A network RigPilot can only describe (the core protocol alone): Render, Aethir..."""

    id = "described"
    display_name = "Described network"
    description = "Its nodes are enterprise GPUs; apply on its site instead."

    def credential_schema(self) -> list[Any]:
        return []

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        return [requirement("d.gpu", "Enterprise GPU", False, "a GeForce", "Use an H100.")]

    def status(self) -> StatusSnapshot:
        return StatusSnapshot(NodeState.NOT_ENROLLED, "", 0.0)

    def penalties(self) -> NetworkPenalties:
        return NetworkPenalties()


def test_an_adapter_with_a_capability_is_its_own_answer(clock: Any) -> None:
    agent = PausableScripted(clock)
    assert control(agent) is agent and pausing(agent) is agent
    assert earnings_api(agent) is agent and reputation_api(agent) is agent
    assert enrollment(agent) is agent


def test_a_network_that_only_starts_and_stops_pauses_by_a_graceful_stop(clock: Any) -> None:
    agent = Scripted(clock)
    pause = pausing(agent)
    assert isinstance(pause, StopInsteadOfPause)
    pause.pause()
    pause.resume()
    assert agent.calls == ["stop:True", "start"]
    assert job_source(agent) is NOT_A_JOB_SOURCE  # its jobs are not our job service's
    job_source(agent).job_finished("j1", JobState.SUCCEEDED, ExitReason.EXITED)  # ignored


def test_a_watched_network_gets_the_null_objects(clock: Any) -> None:
    watched = Watched(clock)
    assert control(watched) is NO_CONTROL and pausing(watched) is NO_PAUSE
    assert earnings_api(watched) is NO_EARNINGS_API and reputation_api(watched) is NO_REPUTATION
    NO_CONTROL.start()
    NO_PAUSE.pause()
    assert NO_EARNINGS_API.jobs() == [] and NO_EARNINGS_API.earnings(1.0, 2.0).earned == []
    assert NO_REPUTATION.reputation() is None


def test_a_network_that_cannot_be_enrolled_says_why() -> None:
    described = Described()
    assert isinstance(described, NetworkAdapter) and not isinstance(described, Enrollable)
    with pytest.raises(EnrollmentError, match="cannot enroll this machine with Described") as one:
        enrollment(described, FACTS).enroll({})
    assert "Use an H100." in str(one.value)  # what this machine lacks, when it is known
    refusal = enrollment(described)
    assert isinstance(refusal, NotEnrollable)
    with pytest.raises(EnrollmentError, match="enterprise GPUs; apply on its site"):
        refusal.enroll({})
    refusal.remove()  # nothing was set up: nothing to undo
    assert control(described) is NO_CONTROL and pausing(described) is NO_PAUSE
