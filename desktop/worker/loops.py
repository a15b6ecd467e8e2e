"""The worker's long-lived parts around the job service and the supervisor.

Each is a ``Lifecycle`` (ports.py): the service starts them once the event bus runs and
closes them in reverse order, so at a stop the networks let go of their jobs first, then
the remaining jobs stop, then the ledger writes its last rows and closes.

- :class:`JobsLoop`: reconcile at start (jobs a dead worker left become INTERRUPTED once,
  orphan containers go), ``poll()`` every second (lease renewal, deadlines, endings),
  and ``shutdown()`` at the end (containers stopped, the reaper released).
- :class:`NetworksLoop`: the supervisor's start (restored enrollments), the networks
  enrolled by themselves (the practice network in demo mode), its poll loop and close.
- :class:`UserPauseBridge`: the user's pauses applied to the work.
- :class:`EarningsView`: the supervisor's earnings, with ``today`` cached for status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from desktop.errors import DomainError
from desktop.ipc.protocol import ApiError
from desktop.jobs.runner import RunnerError
from desktop.model import Event, Severity
from desktop.worker.jobs_service import JobService
from desktop.worker.ports import PauseView
from desktop.worker.supervisor import Supervisor

log = logging.getLogger(__name__)

POLL_EVERY_S = 1.0
JOB_STOP_TIMEOUT_S = 5.0  # SIGTERM, then SIGKILL: a worker stop must stay under 15 s
TODAY_CACHE_S = 5.0


class JobsLoop:
    """Reconcile, poll and shut down one :class:`JobService` (see the module doc)."""

    def __init__(
        self,
        service: JobService,
        emit: Callable[[Event], None],
        runner_note: str = "",
        every_s: float = POLL_EVERY_S,
    ) -> None:
        self.service, self.emit = service, emit
        self.runner_note, self.every_s = runner_note, every_s
        self._task: asyncio.Task[None] | None = None
        self._complained = False

    async def start(self) -> None:
        kind = self.service.runner.kind
        where = {"docker": "in Docker containers", "simulated": "on the simulated runner"}
        note = f" ({self.runner_note})" if self.runner_note else ""
        message = f"Jobs run {where.get(kind, 'nowhere')}{note}"
        self.emit(Event(time.time(), "jobs.runner", Severity.INFO, message, data={"kind": kind}))
        log.info("%s", message)
        try:
            await asyncio.to_thread(self.service.reconcile)
        except RunnerError as exc:
            log.error("reconciling the jobs failed: %s", exc.message)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="jobs-poll")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                await asyncio.to_thread(self.service.poll)
                self._complained = False
            except Exception:
                if not self._complained:  # once per failure streak, not every second
                    self._complained = True
                    log.exception("watching the jobs failed")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.to_thread(self.service.shutdown, JOB_STOP_TIMEOUT_S)


class NetworksLoop:
    """The supervisor's life: restore, enroll ``auto_enroll``, poll until closed."""

    def __init__(self, supervisor: Supervisor, auto_enroll: Iterable[str] = ()) -> None:
        self.supervisor = supervisor
        self.auto_enroll = tuple(auto_enroll)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        sup = self.supervisor
        await sup.start()
        for network in self.auto_enroll:
            if sup.runtime(network).enrolled:
                continue  # enrolled before: a pause or a removal by the user stays as it is
            try:
                await sup.enroll(network, {})
                log.info("%s enrolled by itself", network)
            except (ApiError, DomainError) as exc:
                log.error("could not enroll %s: %s", network, exc)
        self._task = asyncio.get_running_loop().create_task(sup.run(), name="networks-poll")

    async def close(self) -> None:
        await self.supervisor.close()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 5.0)
            except (TimeoutError, asyncio.CancelledError):
                pass


class UserPauseBridge:
    """Makes the work follow the user's pauses: a minimal bridge, replaceable as a whole.

    All work paused: every job is frozen (and new ones refused), and networks whose work
    does not run through our job service (the Nosana node) are paused. A GPU paused: the
    jobs on it are frozen. A network paused: the network is paused (the practice network
    gives up its current job, as a real network would count it). Resuming undoes only what
    this bridge did. Network pauses are not written to the ledger: like every user pause
    they end with the worker. The guard's arbiter (desktop/worker/guarding.py) will take
    the GPU side over; it replaces ``apply`` in the wiring.
    """

    def __init__(self, jobs: JobService, supervisor: Supervisor) -> None:
        self.jobs, self.supervisor = jobs, supervisor
        self._all = False
        self._gpus: set[int] = set()
        self._networks: set[str] = set()

    async def apply(self, pauses: PauseView) -> None:
        state = pauses.to_json()
        want_all = bool(state["all"])
        await asyncio.to_thread(self._apply_jobs, want_all, {int(g) for g in state["gpus"]})
        networks = {str(n) for n in state["networks"]}
        if want_all:
            networks |= self._outside_networks()
        await self._apply_networks(networks)

    def _apply_jobs(self, want_all: bool, gpus: set[int]) -> None:
        if want_all and not self._all:
            self.jobs.pause_all("all work is paused by you")
        elif self._all and not want_all:
            self.jobs.resume_all("resumed by you")  # also ends the GPU pauses in the service
            self._gpus = set()
        self._all = want_all
        for gpu in sorted(gpus - self._gpus):
            self.jobs.pause_all(f"GPU {gpu} is paused by you", gpu_index=gpu)
        for gpu in sorted(self._gpus - gpus):
            self.jobs.resume_all("resumed by you", gpu_index=gpu)
        self._gpus = gpus

    def _outside_networks(self) -> set[str]:
        """Enrolled networks that do not hand their jobs to our job service."""
        sup = self.supervisor
        return {
            network
            for network, adapter in sup.adapters.items()
            if not callable(getattr(adapter, "job_finished", None))
            and sup.runtime(network).enrolled
        }

    async def _apply_networks(self, wanted: set[str]) -> None:
        sup = self.supervisor
        for network in sorted(wanted - self._networks):
            rt = sup.runtime(network) if network in sup.adapters else None
            if rt is None or not rt.enrolled or rt.paused or not rt.started:
                continue  # not ours to pause (unknown, not running, or paused already)
            rt.paused = True
            self._networks.add(network)
            try:
                await asyncio.to_thread(sup.adapters[network].pause)
            except Exception:
                log.exception("pausing %s failed", network)
        for network in sorted(self._networks - wanted):
            self._networks.discard(network)
            rt = sup.runtime(network)
            rt.paused = False
            try:
                await asyncio.to_thread(sup.adapters[network].resume)
            except Exception:
                log.exception("resuming %s failed", network)


class EarningsView:
    """``EarningsPort`` over the supervisor; ``today`` (read by every status) is cached."""

    def __init__(
        self,
        supervisor: Supervisor,
        ttl_s: float = TODAY_CACHE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.supervisor, self.ttl_s, self.clock = supervisor, ttl_s, clock
        self._today: tuple[float, dict[str, Any] | None] | None = None

    async def earnings(self, days: int) -> dict[str, Any]:
        return await self.supervisor.earnings(days)

    async def today(self) -> dict[str, Any] | None:
        now = self.clock()
        if self._today is None or now - self._today[0] > self.ttl_s:
            self._today = (now, await self.supervisor.today())
        return self._today[1]
