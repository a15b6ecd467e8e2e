"""A runner without Docker: plays each job's load profile on the simulated GPU.

Demo mode (``rigpilot --demo`` on a machine without Docker) and the job service's tests
use it. It honours the same contract as the Docker runner: deadlines, pause (the load
drops to 0 and the profile's clock stops), stop and kill with a recorded reason, exit
reasons, a log tail. It never imports the simulated GPU backend: it gets a
``set_load(gpu_index, fraction)`` callable (desktop/jobs/load.py).

A job with no load profile runs at full load (none without a GPU) for
:data:`DEFAULT_RUN_S` seconds, then exits with code 0. Nothing outlives the worker here:
simulated jobs live in the worker's memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from desktop import clock as wall_clock
from desktop.jobs.load import LoadPlayer, SetLoad
from desktop.jobs.runner import (
    STOP_MESSAGES,
    ExitInfo,
    GpuSlot,
    ReconcileResult,
    RunningJob,
    tail_bytes,
)
from desktop.jobs.spec import JobSpec
from desktop.model import ExitReason

DEFAULT_RUN_S = 60.0
MAX_LOG_LINES = 500


class SimulatedRunner:
    """The Runner (desktop/jobs/runner.py) on the simulated GPU; ``clock`` is wall time."""

    kind = "simulated"

    def __init__(
        self, set_load: SetLoad | None = None, clock: Callable[[], float] = wall_clock.read
    ) -> None:
        self._set_load = set_load
        self.clock = clock
        self._players: dict[str, LoadPlayer] = {}
        self._logs: dict[str, list[str]] = {}
        self._ids = itertools.count(1)

    def preflight(self, spec: JobSpec) -> None:
        """Nothing to inspect: there is no image."""

    def start(self, spec: JobSpec, gpu: GpuSlot | None) -> RunningJob:
        profile = spec.load_profile or ((DEFAULT_RUN_S, 1.0 if gpu else 0.0),)
        now = self.clock()
        ref = f"sim-{next(self._ids)}-{spec.job_id}"
        index = gpu.index if gpu else None
        self._players[ref] = LoadPlayer(profile, self._set_load, index, last_ts=now)
        self._logs[ref] = []
        job = RunningJob(spec, gpu, ref, now, now + spec.deadline_s)
        self._log(job, f"started {spec.image}: {len(profile)} load step(s)")
        self._apply(job, profile[0][1])
        return job

    def pause(self, job: RunningJob) -> None:
        self._advance(job)
        job.paused = True
        self._apply(job, 0.0)
        self._log(job, "paused")

    def unpause(self, job: RunningJob) -> None:
        self._advance(job)  # the paused time is not counted
        job.paused = False
        self._log(job, "resumed")
        self.poll(job)

    def stop(self, job: RunningJob, reason: ExitReason, timeout_s: float = 10.0) -> None:
        self._end(job, job.stop_reason or reason, 143, "stopped")

    def kill(self, job: RunningJob, reason: ExitReason) -> None:
        self._end(job, job.stop_reason or reason, 137, "killed")

    def poll(self, job: RunningJob) -> ExitInfo | None:
        if job.exit is not None:
            return job.exit
        player = self._advance(job)
        if player is None:
            return job.exit
        now = self.clock()
        if not player.finished:
            if now >= job.deadline_ts:
                self.kill(job, ExitReason.DEADLINE)
            elif not job.paused:
                self._apply(job, player.current_load())
            return job.exit
        if player.finished_at(now) > job.deadline_ts:
            self.kill(job, ExitReason.DEADLINE)
        else:
            self._end(job, ExitReason.EXITED, 0, "finished its load profile")
        return job.exit

    def logs_tail(self, job: RunningJob) -> str:
        if job.exit is not None:
            return job.exit.logs_tail
        return tail_bytes("\n".join(self._logs.get(job.ref, [])).encode())

    def reconcile(self, ledger_running: list[str], live: list[str]) -> ReconcileResult:
        """Simulated jobs die with the process: every ledger job not live was interrupted."""
        return ReconcileResult([j for j in ledger_running if j not in live], [])

    def heartbeat(self) -> None:
        """Nothing outlives the worker here."""

    def container_pids(self) -> set[int]:
        return set()  # no container: the simulated job is not a process

    def close(self) -> None:
        self._players.clear()
        self._logs.clear()

    # --- internals ---------------------------------------------------------------

    def _advance(self, job: RunningJob) -> LoadPlayer | None:
        player = self._players.get(job.ref)
        if player is not None:
            player.advance(self.clock(), job.paused)
        return player

    def _apply(self, job: RunningJob, load: float) -> None:
        player = self._players.get(job.ref)
        if player is not None and player.apply(load):
            self._log(job, f"GPU load {load:.0%}")

    def _end(self, job: RunningJob, reason: ExitReason, code: int, what: str) -> None:
        player = self._players.get(job.ref)
        if job.exit is not None or player is None:
            return
        self._advance(job)
        job.stop_reason = None if reason is ExitReason.EXITED else reason
        self._apply(job, 0.0)
        self._log(job, f"{what} after {player.active_s:.1f} s of work ({reason.value})")
        logs = self.logs_tail(job)
        del self._players[job.ref], self._logs[job.ref]
        job.paused = False
        job.exit = ExitInfo(reason, code, self.clock(), STOP_MESSAGES[reason], logs)

    def _log(self, job: RunningJob, line: str) -> None:
        lines = self._logs.get(job.ref)
        if lines is not None:
            lines.append(f"[sim {self.clock():.1f}] {line}")
            del lines[:-MAX_LOG_LINES]
