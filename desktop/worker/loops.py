"""The worker's long-lived parts around the job service and the supervisor.

Each is a ``Lifecycle`` (ports.py): the service starts them once the event bus runs and
closes them in reverse order, so at a stop the networks let go of their jobs first, then
the remaining jobs stop, then the ledger writes its last rows and closes.

- :class:`JobsLoop`: reconcile at start (jobs a dead worker left become INTERRUPTED once,
  orphan containers go), ``poll()`` every second (lease renewal, deadlines, endings)
  while there is something to poll (else it sleeps until a job starts), and
  ``shutdown()`` at the end (containers stopped, the reaper released).
- :class:`NetworksLoop`: the supervisor's start (restored enrollments), the networks
  enrolled by themselves (the practice network in demo mode), its poll loop and close.
- :class:`ControlLife`, :class:`PowerRestore`: the control loop's thread, and the power
  limits put back after the jobs stopped.
- :class:`EarningsView`: the supervisor's earnings, with ``today`` cached for status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from desktop import clock as wall
from desktop.errors import DomainError
from desktop.ipc.protocol import ApiError
from desktop.jobs.runner import RunnerError
from desktop.model import Event, Severity
from desktop.worker.control_loop import ControlLoop
from desktop.worker.jobs_service import JobService
from desktop.worker.loop_bridge import LoopBridge
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
        self._live = asyncio.Event()  # set (on the loop) when a job starts

    async def start(self) -> None:
        kind = self.service.runner.kind
        where = {"docker": "in Docker containers", "simulated": "on the simulated runner"}
        note = f" ({self.runner_note})" if self.runner_note else ""
        message = f"Jobs run {where.get(kind, 'nowhere')}{note}"
        self.emit(Event(wall.now(), "jobs.runner", Severity.INFO, message, data={"kind": kind}))
        log.info("%s", message)
        try:
            await asyncio.to_thread(self.service.reconcile)
        except RunnerError as exc:
            log.error("reconciling the jobs failed: %s", exc.message)
        bridge = LoopBridge()
        bridge.bind(asyncio.get_running_loop())
        self.service.on_live = lambda: bridge.call(self._live.set)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="jobs-poll")

    async def _run(self) -> None:
        while True:
            self._live.clear()  # (cleared and set on the loop: a start is never missed)
            if not self.service.needs_poll():  # no job, no lease: sleep until a job starts
                await self._live.wait()
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
            if sup.is_enrolled(network):
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


class ControlLife:
    """The control loop as a worker ``Lifecycle``, off the event loop: started after the
    jobs are reconciled, and closed (its thread stopped) before the jobs stop."""

    def __init__(self, control: ControlLoop) -> None:
        self.control = control

    async def start(self) -> None:
        await asyncio.to_thread(self.control.start)

    async def close(self) -> None:
        await asyncio.to_thread(self.control.stop)


class PowerRestore:
    """A worker ``Lifecycle`` that puts the power limits back when closed: placed before
    the jobs in the start order, it closes after them, so no job runs a moment at the
    user's own (higher) limit on a card that needed less."""

    def __init__(self, control: ControlLoop) -> None:
        self.control = control

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        await asyncio.to_thread(self.control.restore)


class EarningsView:
    """``EarningsPort`` over the supervisor; ``today`` (read by every status) is cached."""

    def __init__(
        self,
        supervisor: Supervisor,
        ttl_s: float = TODAY_CACHE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.supervisor, self.ttl_s, self.clock = supervisor, ttl_s, clock
        self._today: tuple[float, Any, dict[str, Any] | None] | None = None

    async def earnings(self, days: int) -> dict[str, Any]:
        return await self.supervisor.earnings(days)

    async def today(self) -> dict[str, Any] | None:
        """Cached a few seconds, but never across a change of the money settings (a new
        currency shows at once)."""
        now, tariff = self.clock(), self.supervisor.money.tariff()
        cached = self._today
        if cached is None or now - cached[0] > self.ttl_s or cached[1] != tariff:
            cached = (now, tariff, await self.supervisor.today())
            self._today = cached
        return cached[2]
