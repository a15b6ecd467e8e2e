"""Adapters from the blocking components to the service's async ports (ports.py).

The job service, the runners and the ledger block (Docker calls, SQLite commits with
fsync), and the event loop must never wait on them: every call here goes through
``asyncio.to_thread``, or, for the steady stream of samples and events, through one
dedicated writer thread (:class:`LedgerPump`) so that the loop only appends to a queue.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from desktop import clock as wall
from desktop.errors import NotFound, Refused, Unavailable
from desktop.jobs.runner import ExitInfo, GpuSlot, ReconcileResult, RunnerError, RunningJob
from desktop.jobs.spec import JobSpec, SpecRefused
from desktop.ledger import Ledger, LedgerError
from desktop.ledger.health import TRANSIENT
from desktop.model import Event, ExitReason, GpuSample, JobRecord, JobState
from desktop.worker.jobs_service import JobService
from desktop.worker.telemetry import RANGES, TelemetryBuffer

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 10.0  # samples reach the ledger in batches: one commit per 10 s
MAINTAIN_EVERY_S = 300.0  # rollups and retention
RECHECK_EVERY_S = 30.0  # a full or read-only disk is tried again this often


def _with_pay(record: JobRecord, stored: JobRecord | None) -> JobRecord:
    if stored is not None and stored.pay is not None and record.pay is None:
        return replace(record, pay=stored.pay)  # credited since it ended
    return record


class JobsAdapter:
    """``JobsPort`` over a :class:`JobService` (refusals become 422 with their code)."""

    def __init__(self, service: JobService) -> None:
        self.service = service

    async def list_jobs(self, limit: int, state: JobState | None) -> list[JobRecord]:
        return await asyncio.to_thread(self._list, state, limit)

    def _list(self, state: JobState | None, limit: int) -> list[JobRecord]:
        """This session's jobs first, then the ledger's history (earlier sessions too),
        each with the pay credited to it since it ended (the network credits it later)."""
        live = self.service.list(state, limit)
        stored = {r.job_id: r for r in self.service.ledger.jobs(limit, state)}
        merged = [_with_pay(r, stored.get(r.job_id)) for r in live]
        seen = {r.job_id for r in live}
        older = [r for r in stored.values() if r.job_id not in seen]
        older.sort(key=lambda r: r.created_ts, reverse=True)
        return (merged + older)[:limit]

    async def get_job(self, job_id: str) -> tuple[JobRecord, str]:
        found = await asyncio.to_thread(self._get, job_id)
        if found is None:
            raise _no_job(job_id)
        return found

    def _get(self, job_id: str) -> tuple[JobRecord, str] | None:
        record = self.service.get(job_id)
        if record is None:
            return None
        record = _with_pay(record, self.service.ledger.job(job_id))
        return record, self.service.logs_tail(job_id)

    async def submit(self, spec: dict[str, Any]) -> JobRecord:
        try:
            return await asyncio.to_thread(self.service.submit, spec)
        except SpecRefused as exc:
            raise Refused(exc.message, field=exc.field, code=exc.code) from None
        except RunnerError as exc:
            raise Unavailable(exc.message) from None
        except LedgerError as exc:  # no job starts that the ledger cannot keep
            raise Unavailable(f"No new job can start: {exc}") from None

    async def stop(self, job_id: str) -> JobRecord:
        try:
            record = await asyncio.to_thread(self.service.stop, job_id)
        except KeyError:
            old = await asyncio.to_thread(self.service.get, job_id)
            if old is None:
                raise _no_job(job_id) from None
            record = old  # finished in an earlier session: stopping it is a no-op
        except RunnerError as exc:
            raise Unavailable(exc.message) from None
        return record

    def running_count(self) -> int:
        """Jobs running now (a frozen job is not running: status says so while paused)."""
        return len(self.service.list(JobState.RUNNING, limit=10_000))

    def jobs_on(self, gpu_index: int) -> int:
        return self.service.jobs_on(gpu_index)


def _no_job(job_id: str) -> NotFound:
    return NotFound(f"there is no job {job_id!r}; `rigpilot job list` shows the jobs")


class NoEngineRunner:
    """The runner of a real-GPU worker whose Docker engine did not answer at start.

    Pretending to run a stranger's job without a container would report work that never
    happened, so every submit is refused with the reason (503 ``unavailable``), and jobs a
    previous run left are marked INTERRUPTED as usual.
    """

    kind = "none"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def _refuse(self) -> RunnerError:
        return RunnerError(
            "engine_unavailable",
            f"Jobs cannot run: {self.reason}. Start Docker (`rigpilot doctor` checks it), "
            "then restart the worker (`rigpilot worker stop`, `rigpilot worker --detach`).",
        )

    def preflight(self, spec: JobSpec) -> None:
        raise self._refuse()

    def start(self, spec: JobSpec, gpu: GpuSlot | None) -> RunningJob:
        raise self._refuse()

    def pause(self, job: RunningJob) -> None:
        """No job ever runs here."""

    def unpause(self, job: RunningJob) -> None:
        """No job ever runs here."""

    def stop(self, job: RunningJob, reason: ExitReason, timeout_s: float = 10.0) -> None:
        """No job ever runs here."""

    def kill(self, job: RunningJob, reason: ExitReason) -> None:
        """No job ever runs here."""

    def poll(self, job: RunningJob) -> ExitInfo | None:
        return ExitInfo(ExitReason.ERROR, None, wall.now(), self.reason)

    def logs_tail(self, job: RunningJob) -> str:
        return ""

    def reconcile(self, ledger_running: list[str], live: list[str]) -> ReconcileResult:
        return ReconcileResult([j for j in ledger_running if j not in live], [])

    def heartbeat(self) -> None:
        """Nothing to renew."""

    def container_pids(self) -> set[int]:
        return set()

    def close(self) -> None:
        """Nothing to release."""


class LedgerTelemetry:
    """``TelemetrySource``: long ranges from the ledger's rollups, the newest from memory.

    Samples reach the ledger in batches, so a raw answer is completed with the samples
    memory holds after the ledger's last one (read on the loop, where memory lives).
    """

    def __init__(
        self,
        ledger: Ledger,
        gpus: Callable[[], list[int]],
        memory: Callable[[], TelemetryBuffer],
    ) -> None:
        self.ledger, self.gpus, self.memory = ledger, gpus, memory

    async def window(self, gpu: int | None, range_: str, now: float) -> dict[str, Any]:
        return await self.since(gpu, now - RANGES[range_][0], now)

    async def since(self, gpu: int | None, since: float, now: float) -> dict[str, Any]:
        indices = [gpu] if gpu is not None else self.gpus()
        resolution, points = await asyncio.to_thread(self._query, indices, since, now)
        if resolution == "raw":
            for index in indices:
                mine = [p["ts"] for p in points if p["gpu_index"] == index]
                points += self.memory().since(index, max(mine) if mine else since)
            points.sort(key=lambda p: (p["ts"], p["gpu_index"]))
        return {"resolution": resolution, "points": points, "source": "ledger"}

    def _query(
        self, indices: list[int], since: float, now: float
    ) -> tuple[str, list[dict[str, Any]]]:
        resolution, points = "raw", []
        for index in indices:
            resolution, found = self.ledger.telemetry(index, since, now, now)
            points += [p.to_json() for p in found]
        return resolution, points


class LedgerPump:
    """The ledger's writer thread for the steady streams: events, samples, energy.

    The loop only queues (``put_event`` is the event bus's sink, ``put_sample`` a sample
    listener); the thread commits events at once, samples in one transaction every
    ``flush_every_s``, feeds each sample to ``energy`` (the supervisor's accounting, which
    writes about once a minute) and runs the rollups and retention every
    ``maintain_every_s``. It is the last part to close, and closes the ledger.
    """

    def __init__(
        self,
        ledger: Ledger,
        clock: Callable[[], float],
        *,
        energy: Callable[[GpuSample], None] | None = None,
        flush_energy: Callable[[], None] | None = None,
        flush_every_s: float = FLUSH_EVERY_S,
        maintain_every_s: float = MAINTAIN_EVERY_S,
    ) -> None:
        self.ledger, self.clock, self.energy = ledger, clock, energy
        self.flush_energy = flush_energy
        self.flush_every_s, self.maintain_every_s = flush_every_s, maintain_every_s
        self._queue: queue.SimpleQueue[Event | GpuSample | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self._closed = False
        self._complained: set[str] = set()

    def put_event(self, event: Event) -> None:
        if not self._closed:
            self._queue.put(event)

    def put_sample(self, sample: GpuSample) -> None:
        if not self._closed:
            self._queue.put(sample)

    async def start(self) -> None:
        self._thread.start()

    async def close(self) -> None:
        """Write what is queued, then close the ledger (after every other part stopped)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        if self._thread.is_alive():
            await asyncio.to_thread(self._thread.join, 60.0)
        await asyncio.to_thread(self.ledger.close)

    def _run(self) -> None:
        pending: list[GpuSample] = []
        next_flush = time.monotonic() + self.flush_every_s
        next_maintain = time.monotonic() + self.maintain_every_s
        next_recheck = time.monotonic() + RECHECK_EVERY_S
        while True:
            wait = max(0.0, min(next_flush, next_maintain, next_recheck) - time.monotonic())
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                pass  # time to flush or to maintain
            else:
                if item is None:
                    break
                self._take(item, pending)
            now = time.monotonic()
            if now >= next_flush:
                self._flush(pending)
                next_flush = now + self.flush_every_s
            if now >= next_maintain:
                self._guard("maintenance", self.ledger.maintain, self.clock())
                next_maintain = now + self.maintain_every_s
            if now >= next_recheck:  # space came back: notice it even when nothing writes
                if self.ledger.health().state in TRANSIENT:
                    self._guard("a recheck", self.ledger.recheck)
                next_recheck = now + RECHECK_EVERY_S
        self._flush(pending)

    def _take(self, item: Event | GpuSample, pending: list[GpuSample]) -> None:
        if isinstance(item, Event):
            self._guard("events", self.ledger.add_event, item)
            return
        pending.append(item)
        if self.energy is not None:
            self._guard("energy", self.energy, item)

    def _flush(self, pending: list[GpuSample]) -> None:
        if pending:
            self._guard("samples", self.ledger.add_samples, list(pending))
            pending.clear()
        if self.flush_energy is not None:  # open energy periods, up to their last reading
            self._guard("energy", self.flush_energy)

    def _guard(self, what: str, call: Callable[..., object], *args: Any) -> None:
        """A failed write (disk full...) is logged once per kind; the worker goes on."""
        try:
            call(*args)
        except Exception:
            if what not in self._complained:
                self._complained.add(what)
                log.exception("the ledger could not record %s", what)
            return
        self._complained.discard(what)
