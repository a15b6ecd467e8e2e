"""The ``Controller`` behind the local API, over the worker's parts.

It owns what every worker has (GPU monitor, event bus, pauses, settings, logs) and holds
optional slots for the parts other modules bring (jobs, networks, earnings, guard, long
telemetry), built by desktop/worker/wiring.py. A slot left empty makes its routes answer
503 ``unavailable``. Three hooks join the parts without the service knowing them:
``on_sample`` listeners get every sample (the ledger, the guard), ``lifecycle`` parts are
started after the bus runs and closed in reverse order, and ``apply_pauses`` turns the
user's pauses into paused work. Every method runs on the worker's event loop; blocking
work (settings file, log file) goes to a thread.

The routes are split by concern into parts the class is assembled from:
``service_base`` (Components, SampleFeed, shared state), ``service_status`` (status, GPUs,
telemetry), ``service_pauses`` (events and pauses) and ``service_settings``; the life cycle
and the routes of the wired parts are here.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from desktop.errors import NotFound, Unavailable
from desktop.ipc.schema_data import (
    EarningsAnswer,
    EarningsQuery,
    JobAnswer,
    JobRef,
    JobsAnswer,
    JobSpecBody,
    JobsQuery,
    LogsAnswer,
    LogsQuery,
    ShutdownAnswer,
)
from desktop.ipc.schema_networks import (
    EnrollRequest,
    NetworkAnswer,
    NetworkChange,
    NetworkRecord,
    NetworkRef,
    NetworksAnswer,
    OperationAnswer,
    OperationRef,
)
from desktop.logs import tail_lines
from desktop.worker import status_view as view
from desktop.worker.ports import JobsPort, NetworksPort
from desktop.worker.service_base import Components, SampleFeed, log
from desktop.worker.service_pauses import PauseRoutes
from desktop.worker.service_settings import SettingsRoutes
from desktop.worker.service_status import LEDGER_RANGES, LIVE_WINDOW_S, StatusRoutes

__all__ = ["LEDGER_RANGES", "LIVE_WINDOW_S", "Components", "SampleFeed", "WorkerService"]


class WorkerService(StatusRoutes, PauseRoutes, SettingsRoutes):
    """Implements ``desktop.ipc.controller.Controller`` over the worker's parts.

    Attributes:
        mode: "demo", "simulated" or "nvml".
        monitor: GPUs, sampling and the in-memory telemetry.
        bus: the event bus (``bus.sink`` is the ledger hook).
        pauses: the user's pauses.
        parts: the optional components.
    """

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.bus.bind(loop)
        settings = self.parts.settings
        if settings is not None:
            self.monitor.set_interval(float(settings.current.get("sampling.interval_s")))
        self.monitor.start(loop, on_event=self.bus.publish)
        self.started_ts = self.clock()
        gpus = len(self.monitor.infos)
        self.publish("worker.started", f"RigPilot's worker started ({self.mode}, {gpus} GPU(s))")
        for part in self.parts.lifecycle:  # what they find (jobs a crash left...) comes next
            await part.start()
            self._started.append(part)

    async def wait_stopped(self) -> None:
        await self._stop.wait()

    async def request_shutdown(self) -> None:
        log.info("shutdown requested")
        self._stop.set()

    async def shutdown(self) -> ShutdownAnswer:
        """``POST /shutdown``: the stop begins on the next turn of the loop, after this
        answer is on its way (the API's graceful stop lets it finish)."""
        log.info("shutdown requested through the API")
        asyncio.get_running_loop().call_soon(self._stop.set)
        return ShutdownAnswer(stopping=True)

    def begin_stop(self) -> None:
        """Announce the stop and release every long poll, before the API closes."""
        self._stop.set()
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        if not self.bus.closed:
            self.publish("worker.stopping", "RigPilot's worker is stopping")
            self.bus.close()

    async def close(self) -> None:
        """Stop sampling and every wired part (after ``begin_stop`` and the API's stop)."""
        self.begin_stop()
        closed: set[int] = set()
        while self._started:  # networks before jobs before the ledger (reverse start order)
            part = self._started.pop()
            closed.add(id(part))
            await self._close_part(part)
        await asyncio.to_thread(self.monitor.stop)
        for other in (self.parts.jobs, self.parts.networks, self.parts.earnings):
            if other is not None and id(other) not in closed:
                closed.add(id(other))
                await self._close_part(other)

    @staticmethod
    async def _close_part(part: object) -> None:
        closer = getattr(part, "close", None)
        if closer is None:
            return
        try:
            await closer()
        except Exception:
            log.exception("a component failed to stop cleanly")

    # --- wired later: networks, jobs, earnings --------------------------------------------

    def _networks(self) -> NetworksPort:
        if self.parts.networks is None:
            raise Unavailable("The networks service is not available in this worker yet")
        return self.parts.networks

    def _jobs(self) -> JobsPort:
        if self.parts.jobs is None:
            raise Unavailable("The jobs service is not available in this worker yet")
        return self.parts.jobs

    def _record(self, raw: dict[str, Any]) -> NetworkRecord:
        return view.network_record(raw, self._holds().user_holds)

    async def networks(self) -> NetworksAnswer:
        records = await self._networks().list_networks()
        return NetworksAnswer(networks=[self._record(r) for r in records])

    async def network(self, request: NetworkRef) -> NetworkAnswer:
        raw = await self._networks().network_status(request.network)
        return NetworkAnswer(network=self._record(raw))

    async def enroll(self, request: EnrollRequest) -> NetworkChange:
        answer = await self._networks().enroll(request.network, request.credentials)
        return view.network_change(answer, self._record)

    async def remove(self, request: NetworkRef) -> NetworkChange:
        answer = await self._networks().act(request.network, "remove")
        return view.network_change(answer, self._record)

    async def operation(self, request: OperationRef) -> OperationAnswer:
        raise NotFound(
            f"there is no operation {request.id!r}: this worker runs every network action "
            "to its end before it answers"
        )

    async def jobs(self, query: JobsQuery) -> JobsAnswer:
        return JobsAnswer(jobs=await self._jobs().list_jobs(query.limit, query.state))

    async def job(self, request: JobRef) -> JobAnswer:
        record, logs = await self._jobs().get_job(request.job_id)
        return JobAnswer(job=record, logs_tail=logs)

    async def submit_job(self, spec: JobSpecBody) -> JobAnswer:
        return JobAnswer(job=await self._jobs().submit(spec))

    async def stop_job(self, request: JobRef) -> JobAnswer:
        return JobAnswer(job=await self._jobs().stop(request.job_id))

    async def earnings(self, query: EarningsQuery) -> EarningsAnswer:
        if self.parts.earnings is None:
            raise Unavailable("The earnings ledger is not available in this worker yet")
        return msgspec.convert(await self.parts.earnings.earnings(query.days), EarningsAnswer)

    # --- logs -----------------------------------------------------------------------------

    async def logs(self, query: LogsQuery) -> LogsAnswer:
        if self.log_path is None:
            return LogsAnswer(lines=[], file=None)
        lines = await asyncio.to_thread(tail_lines, self.log_path, query.tail)
        return LogsAnswer(lines=lines, file=str(self.log_path))
