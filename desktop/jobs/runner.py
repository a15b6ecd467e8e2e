"""The interface every job runner offers: Docker for real work, simulated for demo mode.

The job service (desktop/worker/jobs_service.py) only talks to a :class:`Runner`, so the
whole job life cycle (submit, pause for heat, stop for a game, deadline, reconcile after a
crash) is tested on the simulated runner without Docker, and the Docker runner only has to
get the container part right.

Runners are synchronous and blocking: the worker calls them from a thread, never from its
event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from desktop.jobs.spec import JobSpec
from desktop.model import ExitReason, JobState

LOG_TAIL_BYTES = 64 * 1024


@dataclass(frozen=True)
class GpuSlot:
    """The GPU a job gets: its index (for guards and the simulated load) and its UUID.

    ``simulated``: a GPU of the simulated backend (demo mode). The Docker runner then runs
    the container without a GPU and plays the job's load profile on the simulated card.
    """

    index: int
    uuid: str
    simulated: bool = False


@dataclass(frozen=True)
class ExitInfo:
    """How a job ended. ``exit_code`` is the process's code when there was one."""

    reason: ExitReason
    exit_code: int | None
    ended_ts: float
    message: str = ""
    logs_tail: str = ""

    @property
    def state(self) -> JobState:
        """The job state this ending maps to (what the ledger records)."""
        if self.reason is ExitReason.EXITED:
            return JobState.SUCCEEDED if self.exit_code == 0 else JobState.FAILED
        if self.reason in (ExitReason.USER, ExitReason.GUARD):
            return JobState.STOPPED
        if self.reason is ExitReason.INTERRUPTED:
            return JobState.INTERRUPTED
        return JobState.FAILED  # OOM, DEADLINE, ERROR


@dataclass
class RunningJob:
    """The runner's handle on one started job.

    Attributes:
        ref: the runner's own id (container id, or the simulated job's id).
        deadline_ts: wall-clock time after which the runner kills the job (reason DEADLINE).
        stop_reason: set by whoever asked the job to stop, so that the exit is recorded as
            USER / GUARD / DEADLINE rather than as a plain exit code.
        exit: filled once the runner saw the job end; later polls return it again.
    """

    spec: JobSpec
    gpu: GpuSlot | None
    ref: str
    started_ts: float
    deadline_ts: float
    paused: bool = False
    stop_reason: ExitReason | None = None
    exit: ExitInfo | None = None

    @property
    def job_id(self) -> str:
        return self.spec.job_id


@dataclass(frozen=True)
class ReconcileResult:
    """What reconcile found: jobs to mark INTERRUPTED, and containers it removed."""

    interrupted_ids: list[str]
    removed_refs: list[str]


@runtime_checkable
class Runner(Protocol):
    """Start, pause, stop and watch jobs. Every method may block for a moment."""

    kind: str  # "docker" or "simulated"

    def preflight(self, spec: JobSpec) -> None:
        """Check what the spec alone cannot (the image); raises SpecRefused."""
        ...

    def start(self, spec: JobSpec, gpu: GpuSlot | None) -> RunningJob:
        """Start the job; raises RunnerError when it cannot start."""
        ...

    def pause(self, job: RunningJob) -> None: ...

    def unpause(self, job: RunningJob) -> None: ...

    def stop(self, job: RunningJob, reason: ExitReason, timeout_s: float = 10.0) -> None:
        """Ask the job to end (SIGTERM, then SIGKILL after ``timeout_s``), recording why."""
        ...

    def kill(self, job: RunningJob, reason: ExitReason) -> None: ...

    def poll(self, job: RunningJob) -> ExitInfo | None:
        """None while the job runs; its ExitInfo once it ended. Enforces the deadline."""
        ...

    def logs_tail(self, job: RunningJob) -> str:
        """The last 64 KiB of the job's output (stdout and stderr together)."""
        ...

    def reconcile(self, ledger_running: list[str], live: list[str]) -> ReconcileResult:
        """At worker start: ledger jobs not live are interrupted; our orphans are removed."""
        ...

    def heartbeat(self) -> None:
        """Called every poll: proves the worker is alive (see desktop/jobs/reaper.py)."""
        ...

    def container_pids(self) -> set[int]:
        """Host pids of the processes in our job containers (none without containers), so
        that the activity guard does not take our own work for a game."""
        ...

    def close(self) -> None:
        """The worker is shutting down cleanly (jobs were stopped first)."""
        ...


STOP_MESSAGES = {
    ExitReason.USER: "Stopped by you.",
    ExitReason.GUARD: "Stopped by a guard (heat, a game or the schedule).",
    ExitReason.DEADLINE: "Killed: the job ran past its deadline.",
    ExitReason.INTERRUPTED: "The worker stopped while the job ran.",
    ExitReason.ERROR: "Stopped after an error.",
    ExitReason.OOM: "Killed: the job ran out of memory.",
    ExitReason.EXITED: "The job finished its work.",
}


class RunnerError(Exception):
    """The runner could not do what was asked (engine down, container gone...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def tail_bytes(data: bytes, limit: int = LOG_TAIL_BYTES) -> str:
    """The last ``limit`` bytes as text, cut at a line start when one is near."""
    if len(data) > limit:
        data = data[-limit:]
        newline = data.find(b"\n", 0, 4096)
        if newline >= 0:
            data = data[newline + 1 :]
    return data.decode("utf-8", errors="replace")
