"""The worker's job manager: submit, watch, pause, stop and reconcile jobs on one runner.

It joins the pieces below the worker: the spec check (desktop/jobs/spec.py), a runner
(Docker or simulated, desktop/jobs/runner.py), the ledger (through the small
:class:`JobLedger` protocol, so this module does not depend on the SQLite code) and the
GPUs jobs may use. Every state change is written to the ledger before it is announced
(reliability.md §8.4: never depend on a clean shutdown), and at start :meth:`reconcile`
turns jobs a dead worker left RUNNING into INTERRUPTED, exactly once, and removes their
orphan containers.

Money is not handled here: when a job ends, ``on_finished(record)`` tells its network,
which credits it or not (``desktop.jobs.spec.pay_due`` is the default policy: nothing for
OOM, deadline, interrupted or failed jobs).

The methods block (the runner talks to Docker) and are thread-safe: the worker calls them
from a thread (``asyncio.to_thread``), and :meth:`poll` every second or so.
"""

from __future__ import annotations

import builtins
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Protocol

from desktop import clock as wall
from desktop.jobs.runner import ExitInfo, GpuSlot, ReconcileResult, Runner, RunnerError, RunningJob
from desktop.jobs.spec import HostLimits, JobSpec, SpecRefused, parse_spec
from desktop.model import Event, ExitReason, JobRecord, JobState, Severity

HISTORY = 500  # finished jobs kept in memory for list/show


class JobLedger(Protocol):
    """What the job service needs from the ledger (desktop/ledger implements it)."""

    def upsert_job(self, job: JobRecord) -> None:
        """Insert or replace the job's row."""
        ...

    def transition(self, job_id: str, state: JobState, ts: float, reason: str, seq: int) -> object:
        """Record a state change; ``(job_id, seq)`` is its idempotency key, ``reason`` a
        sentence that also becomes the job's message."""
        ...

    def running_jobs(self) -> list[JobRecord]:
        """Jobs whose row says STARTING, RUNNING or PAUSED."""
        ...

    def job(self, job_id: str) -> JobRecord | None:
        """The job's row, or None."""
        ...

    def jobs(self, limit: int = 50, state: JobState | None = None) -> list[JobRecord]:
        """The newest jobs' rows (the history the API lists after this session's jobs)."""
        ...

    def mark_interrupted(self, job_id: str) -> bool:
        """Atomically: if the job is still STARTING/RUNNING/PAUSED, make it INTERRUPTED
        (exit_reason interrupted, ended now, transition recorded) and return True; else
        return False. Calling it twice interrupts once."""
        ...


GpuResolver = Callable[[], list[GpuSlot]]  # the GPUs jobs may use now


def allowed_images_from_env() -> list[str]:
    """Local (unpinned) images the owner allowed: RIGPILOT_ALLOWED_IMAGES=a:tag,b:tag.

    The default until the settings grow a ``jobs.allowed_local_images`` key; the worker
    passes its own callable to JobService to read the settings instead.
    """
    raw = os.environ.get("RIGPILOT_ALLOWED_IMAGES", "")
    return [name.strip() for name in raw.split(",") if name.strip()]


EventSink = Callable[[Event], None]


@dataclass
class _Job:
    """A job the service runs: its record, its spec and the runner's handle."""

    record: JobRecord
    spec: JobSpec
    handle: RunningJob | None = None
    seq: int = 0
    logs_tail: str = ""


class JobService:
    """One runner's jobs: at most one job per GPU, any number of CPU-only jobs."""

    def __init__(
        self,
        runner: Runner,
        ledger: JobLedger,
        gpu_resolver: GpuResolver,
        on_event: EventSink,
        clock: Callable[[], float] = wall.read,
        *,
        allowed_images: Callable[[], Collection[str]] = allowed_images_from_env,
        on_finished: Callable[[JobRecord], None] | None = None,
        limits: HostLimits | None = None,
        admission: Callable[[int | None, str], str | None] = lambda gpu, network: None,
    ) -> None:
        self.runner = runner
        self.ledger = ledger
        self.gpu_resolver = gpu_resolver
        self.on_event = on_event
        self.clock = clock
        self.allowed_images = allowed_images
        self.on_finished = on_finished
        self.limits = limits or HostLimits.detect()
        self._lock = threading.RLock()
        self._live: dict[str, _Job] = {}
        self._done: OrderedDict[str, _Job] = OrderedDict()
        self.admission = admission
        self._unwatched: set[str] = set()  # jobs whose last poll failed (runner unreachable)
        self.on_live: Callable[[], None] = lambda: None  # a job went live (any thread)

    # --- queries ---------------------------------------------------------------------

    def list(self, state: JobState | None = None, limit: int = 100) -> builtins.list[JobRecord]:
        """Live jobs first, then the most recently finished ones."""
        with self._lock:
            jobs = [*self._live.values(), *reversed(self._done.values())]
            return [j.record for j in jobs if state is None or j.record.state is state][:limit]

    def get(self, job_id: str) -> JobRecord | None:
        """This session's job, or an older one from the ledger."""
        with self._lock:
            job = self._live.get(job_id) or self._done.get(job_id)
            return job.record if job else self.ledger.job(job_id)

    def logs_tail(self, job_id: str) -> str:
        with self._lock:
            job = self._live.get(job_id)
            if job is not None and job.handle is not None:
                return self.runner.logs_tail(job.handle)
            done = self._done.get(job_id)
            return done.logs_tail if done else ""

    @property
    def running_count(self) -> int:
        return len(self._live)

    def needs_poll(self) -> bool:
        """Whether ``poll`` has anything to do: a live job to watch, or the Docker
        runner's lease to renew (its reaper watches the lease between jobs too). Without
        either, the worker's poll every second would wake a thread to find nothing."""
        return bool(self._live) or self.runner.kind == "docker"

    def networks_on(self, gpu_index: int) -> set[str]:
        """The networks with a live job (running or frozen) on this GPU."""
        with self._lock:
            return {j.record.network for j in self._select(gpu_index)}

    def jobs_on(self, gpu_index: int) -> int:
        with self._lock:
            return len(self._select(gpu_index))

    # --- submit ----------------------------------------------------------------------

    def check(self, data: object) -> JobSpec:
        """Dry run of :meth:`submit`: the spec check and the runner's image preflight,
        without starting anything. Raises SpecRefused or RunnerError like submit.

        Networks ask it before they enroll (the practice network outside demo mode).
        """
        spec = parse_spec(data, self.allowed_images(), self.limits)
        self.runner.preflight(spec)
        return spec

    def submit(self, data: object) -> JobRecord:
        """Validate and start a job. Refusals raise SpecRefused (stable code + sentence).

        Submitting the same spec again (same job_id, same content) returns the job as it
        is: a network retrying a lost answer does not start it twice.
        """
        spec = parse_spec(data, self.allowed_images(), self.limits)
        with self._lock:
            known = self._live.get(spec.job_id) or self._done.get(spec.job_id)
            if known is not None:
                if known.spec == spec:
                    return known.record
                raise SpecRefused(
                    "duplicate_job",
                    f"A different job with the id {spec.job_id} already exists; use a new id.",
                    field="job_id",
                )
            if self.ledger.job(spec.job_id) is not None:  # from an earlier session
                raise SpecRefused(
                    "duplicate_job",
                    f"The job id {spec.job_id} was used before; use a new id.",
                    field="job_id",
                )
            gpu = self._pick_gpu(spec)
            self.runner.preflight(spec)
            now = self.clock()
            job = _Job(
                JobRecord(
                    job_id=spec.job_id,
                    network=spec.network,
                    image=spec.image,
                    state=JobState.STARTING,
                    gpu_uuid=gpu.uuid if gpu else None,
                    created_ts=now,
                ),
                spec,
            )
            self.ledger.upsert_job(job.record)
            self._transition(job, JobState.STARTING, "Starting.")
            try:
                job.handle = self.runner.start(spec, gpu)
            except RunnerError as exc:
                info = ExitInfo(ExitReason.ERROR, None, self.clock(), exc.message)
                self._finish(job, info)
                return job.record
            self._live[spec.job_id] = job
            self.on_live()
            job.record = replace(
                job.record, state=JobState.RUNNING, started_ts=job.handle.started_ts
            )
            self.ledger.upsert_job(job.record)
            self._transition(job, JobState.RUNNING, "Running.")
            self._emit("job.started", f"Job {spec.job_id} started ({spec.image}).", job)
            return job.record

    def _pick_gpu(self, spec: JobSpec) -> GpuSlot | None:
        """A free GPU that nothing holds (the record's admission says why not)."""
        if spec.gpus == 0:
            why = self.admission(None, spec.network)
            if why:
                raise SpecRefused("paused", f"{why} New jobs start once that ends.")
            return None
        busy = {j.handle.gpu.index for j in self._live.values() if j.handle and j.handle.gpu}
        slots = self.gpu_resolver()
        reasons = {g.index: self.admission(g.index, spec.network) for g in slots}
        free = [g for g in slots if g.index not in busy and not reasons[g.index]]
        if free:
            return free[0]
        held = [r for r in reasons.values() if r]
        if held:
            raise SpecRefused("paused", f"{held[0]} New jobs start once that ends.", field="gpus")
        raise SpecRefused(
            "gpu_unavailable", "No GPU is free for a job right now; try again later.", field="gpus"
        )

    # --- control ---------------------------------------------------------------------

    def stop(
        self, job_id: str, reason: ExitReason = ExitReason.USER, timeout_s: float = 10
    ) -> JobRecord:
        """Stop one job (SIGTERM, SIGKILL after ``timeout_s``) and record why."""
        with self._lock:
            job = self._live.get(job_id)
            if job is None:
                known = self._done.get(job_id)
                if known is not None:
                    return known.record  # already finished: stopping is a no-op
                raise KeyError(job_id)
            assert job.handle is not None
            self.runner.stop(job.handle, reason, timeout_s)
            self._poll_one(job)
            return job.record

    def _select(self, gpu_index: int | None) -> builtins.list[_Job]:
        """Live jobs on one GPU, or (None) the live jobs that use no GPU."""
        return [
            j
            for j in self._live.values()
            if j.handle is not None and (j.handle.gpu.index if j.handle.gpu else None) == gpu_index
        ]

    def freeze(self, gpu_index: int | None, reason: str) -> builtins.list[str]:
        """Freeze the jobs on one GPU (``None``: the jobs that use no GPU). Whether new jobs
        may start is the record's business (``admission``), not this method's."""
        with self._lock:
            paused = []
            for job in self._select(gpu_index):
                assert job.handle is not None
                if job.handle.paused:
                    continue
                self.runner.pause(job.handle)
                self._set_state(job, JobState.PAUSED, f"Paused: {reason}")
                paused.append(job.record.job_id)
            return paused

    def thaw(self, gpu_index: int | None, reason: str) -> builtins.list[str]:
        """Thaw the frozen jobs on one GPU (``None``: the jobs that use no GPU)."""
        with self._lock:
            resumed = []
            for job in self._select(gpu_index):
                assert job.handle is not None
                if not job.handle.paused:
                    continue
                self.runner.unpause(job.handle)
                self._set_state(job, JobState.RUNNING, f"Resumed: {reason}")
                resumed.append(job.record.job_id)
            return resumed

    def stop_all(
        self, reason: ExitReason, gpu_index: int | None, timeout_s: float = 10
    ) -> builtins.list[str]:
        """Stop the jobs on one GPU (``None``: those with no GPU): a game needs the VRAM,
        an emergency."""
        with self._lock:
            return self._stop(self._select(gpu_index), reason, timeout_s)

    def _stop(
        self, jobs: builtins.list[_Job], reason: ExitReason, timeout_s: float
    ) -> builtins.list[str]:
        with self._lock:
            stopped = []
            for job in jobs:
                assert job.handle is not None
                self.runner.stop(job.handle, reason, timeout_s)
                self._poll_one(job)
                stopped.append(job.record.job_id)
            return stopped

    # --- watching --------------------------------------------------------------------

    def poll(self) -> builtins.list[JobRecord]:
        """Renew the lease, enforce deadlines, record jobs that ended. Call every ~1 s."""
        with self._lock:
            self.runner.heartbeat()
            return [r for job in list(self._live.values()) if (r := self._poll_one(job))]

    def _poll_one(self, job: _Job) -> JobRecord | None:
        """One look at one job. While the runner cannot answer (Docker down), ``job.error``
        is announced once per job and outage, and ``job.recovered`` once when it answers
        again: a poll every second must not become an event every second."""
        assert job.handle is not None
        job_id = job.record.job_id
        try:
            info = self.runner.poll(job.handle)
        except RunnerError as exc:
            if job_id not in self._unwatched:
                self._unwatched.add(job_id)
                message = f"Cannot watch job {job_id}: {exc.message}"
                self._emit("job.error", message, job, Severity.WARNING)
            return None
        if job_id in self._unwatched and info is None:  # an ending says it by itself
            self._unwatched.discard(job_id)
            self._emit("job.recovered", f"Job {job_id} is watched again.", job)
        if info is None:
            return None
        self._finish(job, info)
        return job.record

    def reconcile(self) -> ReconcileResult:
        """At worker start: lost jobs become INTERRUPTED (once), orphan containers go."""
        with self._lock:
            running = {r.job_id: r for r in self.ledger.running_jobs()}
            result = self.runner.reconcile(list(running), list(self._live))
            now = self.clock()
            for job_id in result.interrupted_ids:
                if not self.ledger.mark_interrupted(job_id):
                    continue
                record = replace(
                    running[job_id],
                    state=JobState.INTERRUPTED,
                    exit_reason=ExitReason.INTERRUPTED,
                    ended_ts=now,
                    message="The worker stopped while the job ran.",
                )
                job = _Job(record, _placeholder_spec(record))
                self._remember(job)
                self._emit(
                    "job.interrupted", f"Job {job_id} was interrupted.", job, Severity.WARNING
                )
                if self.on_finished is not None:
                    self.on_finished(record)
            if result.removed_refs:
                count = len(result.removed_refs)
                self.on_event(
                    Event(
                        now,
                        "job.orphans_removed",
                        Severity.INFO,
                        f"Removed {count} job container(s) left by a previous run.",
                        data={"containers": result.removed_refs},
                    )
                )
            return result

    def shutdown(self, timeout_s: float = 10) -> None:
        """Clean stop: every job ends as INTERRUPTED, then the runner lets go."""
        with self._lock:
            live = [j for j in self._live.values() if j.handle is not None]
            self._stop(live, ExitReason.INTERRUPTED, timeout_s)
            self.runner.close()

    # --- internals -------------------------------------------------------------------

    def _finish(self, job: _Job, info: ExitInfo) -> None:
        job.record = replace(
            job.record,
            state=info.state,
            ended_ts=info.ended_ts,
            exit_code=info.exit_code,
            exit_reason=info.reason,
            message=info.message,
        )
        job.logs_tail = info.logs_tail
        self._unwatched.discard(job.record.job_id)
        self.ledger.upsert_job(job.record)
        self._transition(job, info.state, info.message or info.reason.value)
        self._live.pop(job.record.job_id, None)
        self._remember(job)
        bad = info.state is not JobState.SUCCEEDED
        self._emit(
            "job.finished",
            f"Job {job.record.job_id}: {info.message}",
            job,
            Severity.WARNING if bad and info.reason is not ExitReason.USER else Severity.INFO,
        )
        if self.on_finished is not None:
            self.on_finished(job.record)

    def _set_state(self, job: _Job, state: JobState, reason: str) -> None:
        job.record = replace(job.record, state=state, message=reason)
        self.ledger.upsert_job(job.record)
        self._transition(job, state, reason)
        kind = "job.paused" if state is JobState.PAUSED else "job.resumed"
        self._emit(kind, f"Job {job.record.job_id}: {reason}", job)

    def _transition(self, job: _Job, state: JobState, reason: str) -> None:
        job.seq += 1
        self.ledger.transition(job.record.job_id, state, self.clock(), reason, job.seq)

    def _remember(self, job: _Job) -> None:
        self._done[job.record.job_id] = job
        while len(self._done) > HISTORY:
            self._done.popitem(last=False)

    def _emit(self, kind: str, message: str, job: _Job, severity: Severity = Severity.INFO) -> None:
        handle = job.handle
        record = job.record
        self.on_event(
            Event(
                ts=self.clock(),
                kind=kind,
                severity=severity,
                message=message,
                gpu_index=handle.gpu.index if handle and handle.gpu else None,
                network=record.network,
                data={
                    "job_id": record.job_id,
                    "state": record.state.value,
                    "exit_reason": record.exit_reason.value if record.exit_reason else None,
                },
            )
        )


def _placeholder_spec(record: JobRecord) -> JobSpec:
    """A job found only in the ledger: enough of a spec to list it."""
    return JobSpec(job_id=record.job_id, network=record.network, image=record.image, command=())
