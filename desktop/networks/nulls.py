"""One accessor per capability: the adapter itself when it has it, else a null object.

Why null objects (Vorta's ``NullNetworkStatusMonitor``): callers say what they want done
(``pausing(adapter).pause()``) and never branch on what an adapter happens to have. The
null objects do the honest thing: nothing to control does nothing, no earnings API
reports no jobs, a network that cannot pause stops gracefully instead and starts again
on resume (the only pause such a network has), and one that cannot be enrolled says why.
"""

from __future__ import annotations

from collections.abc import Mapping

from desktop.model import CheckStatus, ExitReason, JobState
from desktop.networks.base import (
    Controllable,
    EarningsReporter,
    Enrollable,
    EnrollmentError,
    JobSource,
    NetworkAdapter,
    Pausable,
    ReputationReporter,
)
from desktop.networks.records import ActionRequired, EarningsSummary, HostFacts, NetworkJob

# A pause that has to be a stop waits this long for the running job (Nosana: its node
# leaves the market at once but never kills a job; then docker's own 60 s grace).
GRACEFUL_STOP_WAIT_S = 120.0


class NoControl:
    """Nothing to start or stop (a monitored or described network)."""

    def start(self) -> None:
        return None

    def stop(self, graceful: bool, timeout_s: float) -> None:
        return None


class StopInsteadOfPause:
    """Pause for an agent that cannot freeze: stop it gracefully; resume starts it again."""

    def __init__(self, control: Controllable, wait_s: float = GRACEFUL_STOP_WAIT_S) -> None:
        self.control, self.wait_s = control, wait_s

    def pause(self) -> None:
        self.control.stop(True, self.wait_s)

    def resume(self) -> None:
        self.control.start()


class NoPause:
    """Nothing runs here that could be paused."""

    def pause(self) -> None:
        return None

    def resume(self) -> None:
        return None


class NotAJobSource:
    """The network's jobs do not run through our job service: endings are not its news."""

    def job_finished(self, job_id: str, state: JobState, exit_reason: ExitReason | None) -> None:
        return None


class NoEarningsApi:
    """The network reports no jobs or earnings RigPilot can read."""

    def jobs(self, since: float | None = None) -> list[NetworkJob]:
        return []

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary:
        return EarningsSummary(start, end, [], source="not reported")


class NoReputation:
    def reputation(self) -> None:
        return None


class NotEnrollable:
    """A network RigPilot describes but cannot join this machine to: enrolling says why."""

    def __init__(self, adapter: NetworkAdapter, facts: HostFacts | None = None) -> None:
        self.adapter, self.facts = adapter, facts

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        reasons = []
        if self.facts is not None:
            failing = self.adapter.requirements(self.facts)
            reasons = [c.fix or c.summary for c in failing if c.status is CheckStatus.FAIL]
        why = " ".join(reasons) or self.adapter.description
        raise EnrollmentError(
            f"RigPilot cannot enroll this machine with {self.adapter.display_name}. {why}"
        )

    def remove(self) -> None:
        return None


NO_CONTROL = NoControl()
NO_PAUSE = NoPause()
NOT_A_JOB_SOURCE = NotAJobSource()
NO_EARNINGS_API = NoEarningsApi()
NO_REPUTATION = NoReputation()


def control(adapter: NetworkAdapter) -> Controllable:
    return adapter if isinstance(adapter, Controllable) else NO_CONTROL


def pausing(adapter: NetworkAdapter) -> Pausable:
    """Its own pause; a graceful stop when it only starts and stops; else nothing."""
    if isinstance(adapter, Pausable):
        return adapter
    if isinstance(adapter, Controllable):
        return StopInsteadOfPause(adapter)
    return NO_PAUSE


def job_source(adapter: NetworkAdapter) -> JobSource:
    return adapter if isinstance(adapter, JobSource) else NOT_A_JOB_SOURCE


def earnings_api(adapter: NetworkAdapter) -> EarningsReporter:
    return adapter if isinstance(adapter, EarningsReporter) else NO_EARNINGS_API


def reputation_api(adapter: NetworkAdapter) -> ReputationReporter:
    return adapter if isinstance(adapter, ReputationReporter) else NO_REPUTATION


def enrollment(adapter: NetworkAdapter, facts: HostFacts | None = None) -> Enrollable:
    return adapter if isinstance(adapter, Enrollable) else NotEnrollable(adapter, facts)
