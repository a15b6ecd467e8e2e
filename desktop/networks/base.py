"""What a marketplace adapter is: a small core protocol, plus the capabilities it may have.

Why a core and capabilities rather than one wide interface: networks differ in what
RigPilot can drive (networks.md, "What a desktop app can drive"). Nosana runs its own
agent that can be started and stopped but not paused; the practice network hands its jobs
to our job service; Akash can only be watched; Render or Aethir can only be described
honestly. Each adapter implements the core (who it is, what it needs, how it is now) and
the capability protocols that are true of it. The supervisor asks with ``isinstance``
and, where a capability is absent, uses the null object of desktop/networks/nulls.py,
so no caller probes for optional methods.

Adapters are synchronous and may block (HTTP, Docker): the worker calls them from
threads, never on its event loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, Protocol, runtime_checkable

from desktop.model import CheckResult, ExitReason, JobState, NetworkPenalties
from desktop.networks.records import (
    ActionRequired,
    CredentialField,
    EarningsSummary,
    HostFacts,
    NetworkJob,
    Reputation,
    StatusSnapshot,
)

# --- errors ------------------------------------------------------------------------------


class NetworkError(Exception):
    """A network operation failed; the message is a sentence a person understands.

    ``code`` is the stable word the local API answers with (it maps codes to HTTP
    statuses in one place).
    """

    code: ClassVar[str] = "network_error"


class EnrollmentError(NetworkError):
    """Enrollment was refused (bad or missing credential, unmet requirement, no keyring)."""

    code = "invalid_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownNetwork(NetworkError):
    """No network of that id is registered."""

    code = "not_found"


class NotEnrolled(NetworkError):
    """The network exists but is not enrolled, so the action makes no sense yet."""

    code = "conflict"


class NetworkBusy(NetworkError):
    """Another action on this network must end first (it is being removed)."""

    code = "conflict"


# --- the core ----------------------------------------------------------------------------


@runtime_checkable
class NetworkAdapter(Protocol):
    """Every network: who it is, what enrolling asks and needs, how it is, what it costs.

    Attributes:
        id: the network's id in RigPilot (``rigpilot enroll ID``), stable forever.
        display_name: its name as people know it.
        description: two sentences for the Networks page and the wizard: what it is and
            what joining takes.
    """

    id: str
    display_name: str
    description: str

    def credential_schema(self) -> Sequence[CredentialField]: ...

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        """This machine against the network's documented needs (pure: facts only)."""
        ...

    def status(self) -> StatusSnapshot:
        """How the network's side is now. Must not raise for a remote failure: answer
        UNKNOWN with the reason (the supervisor still guards against a raise)."""
        ...

    def penalties(self) -> NetworkPenalties:
        """What pausing, stopping or throttling costs on this network (for the arbiter)."""
        ...


# --- capabilities --------------------------------------------------------------------------


@runtime_checkable
class Enrollable(Protocol):
    """RigPilot can enroll this machine (networks that cannot be joined from a desktop
    are described, not enrolled)."""

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        """Validate and apply credentials; None when done, else the user's next step.

        Raises EnrollmentError with a plain message (and the field) when unusable.
        """
        ...

    def remove(self) -> None:
        """Forget what enrolling set up (containers, local state; never the user's wallet)."""
        ...


@runtime_checkable
class Controllable(Protocol):
    """The network runs an agent (a container, a process) that RigPilot starts and stops."""

    def start(self) -> None: ...

    def stop(self, graceful: bool, timeout_s: float) -> None:
        """Stop; when graceful, first wait (at most ``timeout_s``) for a running job to end.
        Not graceful: stop within ``timeout_s`` (0 = kill at once)."""
        ...


@runtime_checkable
class Pausable(Protocol):
    """The agent can be frozen and resumed without leaving the market (else pause = stop)."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...


@runtime_checkable
class JobSource(Protocol):
    """The network hands its jobs to RigPilot's own job service, which reports endings."""

    def job_finished(
        self, job_id: str, state: JobState, exit_reason: ExitReason | None
    ) -> None: ...


@runtime_checkable
class EarningsReporter(Protocol):
    """The network reports finished jobs and earnings (an API, or its own books)."""

    def jobs(self, since: float | None = None) -> list[NetworkJob]: ...

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary: ...


@runtime_checkable
class ReputationReporter(Protocol):
    """The network scores the node (uptime, benchmarks, a reputation number)."""

    def reputation(self) -> Reputation | None: ...


@runtime_checkable
class OwnProcesses(Protocol):
    """The network's agent runs its own processes on the GPU, outside RigPilot's job
    containers (io.net's worker, started by io.net's launch binary)."""

    def agent_pids(self) -> set[int]:
        """Their host pids now, so that the activity guard does not take the network's
        own work for another program (no slow call: the control loop asks)."""
        ...


@runtime_checkable
class MonitorOnly(Protocol):
    """RigPilot only watches this network (a rented-out rig, a provider it does not run):
    nothing to start, pause or stop from here."""

    def watched(self) -> str:
        """What is watched, in words: a provider address, a node id."""
        ...
