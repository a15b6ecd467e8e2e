"""The ``Controller`` behind the local API (desktop/ipc/controller.py), over the worker's parts.

It owns what every worker has (the GPU monitor, the event bus, the user's holds, logs)
and holds optional slots for the parts other modules bring (jobs, networks, earnings,
the control loop, long telemetry, settings), built by desktop/worker/wiring.py; a slot
left empty makes its routes answer 503 ``unavailable``. Each concern is a collaborator
of its own module: the status snapshot (status_view.py), pause and resume
(holds_api.py), settings (settings_api.py), networks (networks_api.py). Every method
answers a typed Struct or raises a domain error (desktop/errors.py); it runs on the
worker's event loop, and blocking work goes to a thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from desktop import clock as wall
from desktop.errors import NotFound, Unavailable
from desktop.fleet.parts import Fleet
from desktop.ipc import schema
from desktop.ipc.schema_data import (
    EarningsAnswer,
    EarningsQuery,
    EventsAnswer,
    EventsQuery,
    GpusAnswer,
    JobAnswer,
    JobRef,
    JobsAnswer,
    JobSpecBody,
    JobsQuery,
    LatestAnswer,
    LogsAnswer,
    LogsQuery,
    SettingsAnswer,
    SettingsChanges,
    SettingsPatched,
    ShutdownAnswer,
    TelemetryAnswer,
    TelemetryQuery,
)
from desktop.ipc.schema_fleet import (
    AlertsAnswer,
    AlertTestAnswer,
    ExporterAnswer,
    TokenAnswer,
    TokenRequest,
    TopicRequest,
)
from desktop.ipc.schema_money import (
    EarningRowsAnswer,
    EarningRowsQuery,
    EstimatesAnswer,
    EstimatesQuery,
    HistoryAnswer,
    HistoryQuery,
    RoiAnswer,
    RoiQuery,
    WearAnswer,
)
from desktop.ipc.schema_networks import (
    EnrollRequest,
    NetworkAnswer,
    NetworkChange,
    NetworkRef,
    NetworksAnswer,
    OperationAnswer,
    OperationRef,
)
from desktop.logs import tail_lines
from desktop.model import Event, Severity
from desktop.settings import SettingsStore
from desktop.worker.control_loop import ControlLoop
from desktop.worker.events import EventBus
from desktop.worker.gpus import GpuMonitor
from desktop.worker.holds_api import HoldsApi
from desktop.worker.money_api import MoneyApi
from desktop.worker.networks_api import NetworksApi
from desktop.worker.ports import (
    EarningsPort,
    JobsPort,
    Lifecycle,
    NetworksPort,
    SampleListener,
    TelemetrySource,
)
from desktop.worker.settings_api import SettingsApi
from desktop.worker.status_view import StatusView
from desktop.worker.telemetry import SampleFeed
from desktop.worker.user_holds import UserHolds

log = logging.getLogger(__name__)

LIVE_WINDOW_S = 60.0  # GET /telemetry with neither since nor range
LEDGER_RANGES = ("24h", "7d")  # longer than memory holds: asked of the telemetry source


@dataclass
class Components:
    """The optional parts; ``None`` means "not wired into this worker".

    Attributes:
        on_sample: called on the loop with every kept sample, in order (must not block).
        lifecycle: started in order by ``start`` (after the bus and the sampler), closed
            in reverse order by ``close``.
        control: the control loop (guards + reconciler) that acts on the user's holds.
        user: the user's holds the control loop reads (the service pauses through them).
        problems: what the worker cannot do now (a full disk...), for status.
        fleet: the Prometheus exporter and the alerts (desktop/fleet), also a lifecycle part.
    """

    jobs: JobsPort | None = None
    networks: NetworksPort | None = None
    earnings: EarningsPort | None = None
    money: MoneyApi | None = None
    telemetry_source: TelemetrySource | None = None
    settings: SettingsStore | None = None
    control: ControlLoop | None = None
    user: UserHolds | None = None
    problems: Callable[[], list[schema.WorkerProblem]] | None = None
    fleet: Fleet | None = None
    on_sample: list[SampleListener] = field(default_factory=list)
    lifecycle: list[Lifecycle] = field(default_factory=list)


class WorkerService:
    """Implements ``desktop.ipc.controller.Controller`` over the worker's parts.

    Attributes:
        mode: "demo", "simulated" or "nvml".
        monitor: GPUs, sampling and the in-memory telemetry.
        bus: the event bus (``bus.sink`` is the ledger hook).
        user: the user's holds (the one place a pause lives).
        parts: the optional components.
    """

    def __init__(
        self,
        *,
        mode: str,
        monitor: GpuMonitor,
        parts: Components | None = None,
        log_path: Path | None = None,
        bus: EventBus | None = None,
        user: UserHolds | None = None,
        clock: Callable[[], float] = wall.read,
    ) -> None:
        self.mode, self.monitor, self.log_path, self.clock = mode, monitor, log_path, clock
        self.parts = parts or Components()
        self.bus = bus or EventBus()
        self.user = user or self.parts.user or UserHolds(None, clock)
        parts = self.parts
        self.view = StatusView(
            mode,
            monitor,
            self.user,
            parts.control,
            clock,
            settings=parts.settings,
            networks=parts.networks,
            jobs=parts.jobs,
        )
        self.holds = HoldsApi(
            self.user,
            parts.control,
            self._publish_event,
            clock,
            lambda: [info.index for info in monitor.infos],
            self._network_ids,
            self._enrolled_ids,
        )
        self.networks_api = NetworksApi(lambda: self.parts.networks, self.user, self._forget)
        self.settings_api = (
            SettingsApi(
                parts.settings,
                monitor,
                parts.control,
                self._publish_event,
                clock,
                validators=parts.fleet.exporter.validators() if parts.fleet else [],
            )
            if parts.settings is not None
            else None
        )
        if parts.fleet is not None:  # what it exports and alerts on: these very answers
            parts.fleet.bind(self.status, self.networks if parts.networks else None)
        self._stop = asyncio.Event()
        self._started: list[Lifecycle] = []
        if isinstance(monitor.buffer, SampleFeed):
            monitor.buffer.listeners = parts.on_sample
        else:  # before sampling starts, so nothing is lost
            monitor.buffer = SampleFeed(parts.on_sample, monitor.buffer.capacity)

    @property
    def started_ts(self) -> float:
        return self.view.started_ts

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def publish(
        self, kind: str, message: str, severity: Severity = Severity.INFO, **kw: Any
    ) -> None:
        self._publish_event(Event(self.clock(), kind, severity, message, **kw))

    def _publish_event(self, event: Event) -> None:
        self.bus.emit(event)

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.bus.bind(loop)
        settings = self.parts.settings
        if settings is not None:
            self.monitor.set_interval(float(settings.current.get("sampling.interval_s")))
        self.monitor.start(self.bus.bridge, on_event=self.bus.publish)
        self.view.started_ts = self.clock()
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
        if not self.bus.closed:
            self.publish("worker.stopping", "RigPilot's worker is stopping")
            self.bus.close()

    async def close(self) -> None:
        """Stop every wired part in reverse order, then sampling (after ``begin_stop``)."""
        self.begin_stop()
        while self._started:  # networks before jobs before the ledger (reverse start order)
            part = self._started.pop()
            try:
                await part.close()
            except Exception:
                log.exception("a component failed to stop cleanly")
        await asyncio.to_thread(self.monitor.stop)

    # --- status, GPUs, telemetry ----------------------------------------------------

    async def status(self) -> schema.StatusAnswer:
        parts = self.parts
        today = await parts.earnings.today() if parts.earnings is not None else None
        components = schema.Components(
            jobs=parts.jobs is not None,
            networks=parts.networks is not None,
            earnings=parts.earnings is not None,
            guard=parts.control is not None,
            settings=parts.settings is not None,
        )
        problems = parts.problems() if parts.problems is not None else []
        if parts.fleet is not None:
            problems = [*problems, *parts.fleet.problems()]
        return self.view.build(
            last_event_seq=self.bus.last_seq,
            earnings_today=today,
            components=components,
            problems=problems,
        )

    async def gpus(self) -> GpusAnswer:
        error = self.monitor.error
        problem = (
            None
            if error is None
            else schema.GpuProblem(code=error.code, cause=error.cause, fix=error.fix)
        )
        return GpusAnswer(gpus=list(self.monitor.infos), gpu_error=problem)

    async def telemetry(self, query: TelemetryQuery) -> TelemetryAnswer:
        gpu, since = query.gpu, query.since
        range_ = None if query.range is None else query.range.value
        self._check_gpu(gpu)
        now = self.clock()
        source = self.parts.telemetry_source
        buffer = self.monitor.buffer
        if range_ is not None:
            if source is not None and range_ in LEDGER_RANGES:
                return _telemetry(gpu, await source.window(gpu, range_, now))
            resolution, points = buffer.window(gpu, range_, now)
            return _telemetry(gpu, {"resolution": resolution, "points": points, "source": "memory"})
        start = since if since is not None else now - LIVE_WINDOW_S
        if source is not None and since is not None and isinstance(buffer, SampleFeed):
            oldest = buffer.oldest_ts(gpu)
            if oldest is None or since < oldest:  # memory does not reach back that far
                return _telemetry(gpu, await source.since(gpu, since, now))
        points = buffer.since(gpu, start)
        return _telemetry(gpu, {"resolution": "raw", "points": points, "source": "memory"})

    async def telemetry_latest(self) -> LatestAnswer:
        return LatestAnswer(samples=self.monitor.buffer.latest())

    # --- events, pauses, settings ---------------------------------------------------

    async def events(self, query: EventsQuery) -> EventsAnswer:
        if query.wait > 0 and not self.stopping:
            found = await self.bus.wait_since(query.since, query.wait, query.limit)
        else:
            found = self.bus.since(query.since, query.limit)
        return EventsAnswer(events=found, last_seq=self.bus.last_seq)

    async def pause(self, request: schema.PauseRequest) -> schema.HoldsAnswer:
        return await self.holds.pause(request)

    async def resume(self, request: schema.ResumeRequest) -> schema.HoldsAnswer:
        return await self.holds.resume(request)

    async def settings(self) -> SettingsAnswer:
        return await self._settings().settings()

    async def patch_settings(self, changes: SettingsChanges) -> SettingsPatched:
        return await self._settings().patch(changes)

    # --- networks, jobs, earnings ---------------------------------------------------

    async def networks(self) -> NetworksAnswer:
        return await self.networks_api.networks()

    async def network(self, request: NetworkRef) -> NetworkAnswer:
        return await self.networks_api.network(request)

    async def enroll(self, request: EnrollRequest) -> NetworkChange:
        return await self.networks_api.enroll(request)

    async def remove(self, request: NetworkRef) -> NetworkChange:
        return await self.networks_api.remove(request)

    async def operation(self, request: OperationRef) -> OperationAnswer:
        return await self.networks_api.operation(request)

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

    def _money(self) -> MoneyApi:
        if self.parts.money is None:
            raise Unavailable("The earnings ledger is not available in this worker yet")
        return self.parts.money

    async def earning_rows(self, query: EarningRowsQuery) -> EarningRowsAnswer:
        return await self._money().earning_rows(query)

    async def history(self, query: HistoryQuery) -> HistoryAnswer:
        return await self._money().history(query)

    async def roi(self, query: RoiQuery) -> RoiAnswer:
        return await self._money().roi(query)

    async def estimates(self, query: EstimatesQuery) -> EstimatesAnswer:
        return await self._money().estimates(query)

    async def wear(self) -> WearAnswer:
        return await self._money().wear()

    async def logs(self, query: LogsQuery) -> LogsAnswer:
        if self.log_path is None:
            return LogsAnswer(lines=[], file=None)
        lines = await asyncio.to_thread(tail_lines, self.log_path, query.tail)
        return LogsAnswer(lines=lines, file=str(self.log_path))

    # --- beyond this rig: the exporter and the alerts (desktop/fleet) ----------------

    async def exporter(self) -> ExporterAnswer:
        return await self._fleet().exporter_state()

    async def exporter_token(self, request: TokenRequest) -> TokenAnswer:
        return await self._fleet().token(request)

    async def alerts(self) -> AlertsAnswer:
        return await self._fleet().alerts_state()

    async def set_ntfy_topic(self, request: TopicRequest) -> AlertsAnswer:
        return await self._fleet().set_topic(request)

    async def test_alerts(self) -> AlertTestAnswer:
        return await self._fleet().test_alerts()

    # --- internals ------------------------------------------------------------------

    def _fleet(self) -> Fleet:
        if self.parts.fleet is None:
            raise Unavailable("Metrics and alerts are not available in this worker")
        return self.parts.fleet

    def _forget(self, network: str) -> None:
        """A removed network takes its pause with it."""
        self.user.forget_network(network)
        if self.parts.control is not None:
            self.parts.control.holds_changed()

    def _jobs(self) -> JobsPort:
        if self.parts.jobs is None:
            raise Unavailable("The jobs service is not available in this worker yet")
        return self.parts.jobs

    def _settings(self) -> SettingsApi:
        if self.settings_api is None:
            raise Unavailable("Settings are not available in this worker yet")
        return self.settings_api

    def _network_ids(self) -> list[str]:
        networks = self.parts.networks
        return [str(n["network"]) for n in networks.summary()] if networks is not None else []

    def _enrolled_ids(self) -> list[str]:
        networks = self.parts.networks
        summary = networks.summary() if networks is not None else []
        return [str(n["network"]) for n in summary if n.get("enrolled")]

    def _check_gpu(self, gpu: int | None) -> None:
        indices = [info.index for info in self.monitor.infos]
        if gpu is not None and gpu not in indices:
            have = ", ".join(map(str, indices)) if indices else "none"
            raise NotFound(f"there is no GPU {gpu}; this worker's GPUs: {have}", field="gpu")


def _telemetry(gpu: int | None, found: dict[str, Any]) -> TelemetryAnswer:
    return msgspec.convert({"gpu": gpu, **found}, TelemetryAnswer)
