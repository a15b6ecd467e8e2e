"""The ``Controller`` behind the local API, over the worker's parts.

It owns what every worker has (GPU monitor, event bus, pauses, settings, logs) and holds
optional slots for the parts other modules bring (jobs, networks, earnings, guard, long
telemetry), built by desktop/worker/wiring.py. A slot left empty makes its routes answer
503 ``unavailable``. Three hooks join the parts without the service knowing them:
``on_sample`` listeners get every sample (the ledger, the guard), ``lifecycle`` parts are
started after the bus runs and closed in reverse order, and ``apply_pauses`` turns the
user's pauses into paused work. Every method runs on the worker's event loop; blocking
work (settings file, log file) goes to a thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop import __version__, autostart
from desktop.ipc.protocol import ApiError, PauseRequest, unavailable
from desktop.logs import tail_lines
from desktop.model import Event, GpuSample, Severity
from desktop.settings import SettingsError, SettingsSaveError, SettingsStore, schema_json
from desktop.worker.events import EventBus
from desktop.worker.gpus import GpuMonitor
from desktop.worker.pause import PauseEntry, PauseState
from desktop.worker.ports import (
    EarningsPort,
    GuardPort,
    JobsPort,
    Lifecycle,
    NetworksPort,
    PauseHook,
    SampleListener,
    TelemetrySource,
)
from desktop.worker.telemetry import TelemetryBuffer

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
        apply_pauses: applies the user's pauses to the work after every change.
    """

    jobs: JobsPort | None = None
    networks: NetworksPort | None = None
    earnings: EarningsPort | None = None
    guard: GuardPort | None = None
    telemetry_source: TelemetrySource | None = None
    settings: SettingsStore | None = None
    on_sample: list[SampleListener] = field(default_factory=list)
    lifecycle: list[Lifecycle] = field(default_factory=list)
    apply_pauses: PauseHook | None = None


class SampleFeed(TelemetryBuffer):
    """The in-memory telemetry that also hands each kept sample to the listeners.

    The monitor adds samples on the event loop, so listeners run there too, in order; a
    failing listener is logged and never stops the others or the buffer.
    """

    def __init__(self, listeners: list[SampleListener], capacity: int) -> None:
        super().__init__(capacity)
        self.listeners = listeners
        self._failed: set[int] = set()

    def add(self, sample: GpuSample) -> None:
        super().add(sample)
        if self.latest_of(sample.gpu_index) is not sample:
            return  # out of order: dropped by the buffer, so not handed on either
        for number, listener in enumerate(self.listeners):
            try:
                listener(sample)
            except Exception:
                if number not in self._failed:  # once per listener, not once a second
                    self._failed.add(number)
                    log.exception("a sample listener failed")

    def oldest_ts(self, gpu: int | None) -> float | None:
        """The oldest sample memory holds (of one GPU, or the newest of the oldest)."""
        rings = [self._samples.get(gpu)] if gpu is not None else list(self._samples.values())
        firsts = [ring[0].ts for ring in rings if ring]
        return max(firsts) if firsts else None


class WorkerService:
    """Implements ``desktop.ipc.protocol.Controller`` over the worker's parts.

    Attributes:
        mode: "demo", "simulated" or "nvml".
        monitor: GPUs, sampling and the in-memory telemetry.
        bus: the event bus (``bus.sink`` is the ledger hook).
        pauses: the user's pauses.
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
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.mode = mode
        self.monitor = monitor
        self.parts = parts or Components()
        self.log_path = log_path
        self.bus = bus or EventBus()
        self.clock = clock
        self.pauses = PauseState(clock)
        self.started_ts = clock()
        self._stop = asyncio.Event()
        self._expiry: asyncio.TimerHandle | None = None
        self._pause_lock = asyncio.Lock()
        self._started: list[Lifecycle] = []
        self._tasks: set[asyncio.Task[None]] = set()
        if isinstance(monitor.buffer, SampleFeed):
            monitor.buffer.listeners = self.parts.on_sample
        else:  # before sampling starts, so nothing is lost
            monitor.buffer = SampleFeed(self.parts.on_sample, monitor.buffer.capacity)

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

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

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

    def publish(
        self, kind: str, message: str, severity: Severity = Severity.INFO, **kw: Any
    ) -> None:
        self.bus.publish(Event(self.clock(), kind, severity, message, **kw))

    # --- status and GPUs ------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        now = self.clock()
        parts = self.parts
        samples = self.monitor.buffer.latest()
        settings = parts.settings
        return {
            "version": __version__,
            "pid": os.getpid(),
            "started_ts": self.started_ts,
            "uptime_s": round(now - self.started_ts, 3),
            "mode": self.mode,
            "paused": self.pauses.to_json(),
            "gpus": [self._gpu_status(i) for i in range(len(self.monitor.infos))],
            "gpu_error": self.monitor.error_json(),
            "networks": parts.networks.summary() if parts.networks else [],
            "jobs_running": parts.jobs.running_count() if parts.jobs else None,
            "earnings_today": await parts.earnings.today() if parts.earnings else None,
            "vram_temperature_reported": any(s.mem_temp_c is not None for s in samples),
            "sampling": {"interval_s": self.monitor.interval_s},
            "settings_warnings": list(settings.warnings) if settings else [],
            "last_event_seq": self.bus.last_seq,
            "components": {
                "jobs": parts.jobs is not None,
                "networks": parts.networks is not None,
                "earnings": parts.earnings is not None,
                "guard": parts.guard is not None,
                "settings": settings is not None,
            },
        }

    def _gpu_status(self, position: int) -> dict[str, Any]:
        info = self.monitor.infos[position]
        sample = self.monitor.buffer.latest_of(info.index)
        paused = self.pauses.gpu_paused(info.index)
        limit = sample.power_limit_w if sample is not None else None
        return {
            "info": info.to_json(),
            "sample": sample.to_json() if sample is not None else None,
            "degraded": self.monitor.degraded(info.index),
            "paused": paused,
            "guard": self._guard(info.index, paused),
            "power_limit_w": limit if limit is not None else info.power.enforced_w,
        }

    def _guard(self, index: int, paused: bool) -> dict[str, Any]:
        guard = self.parts.guard
        if guard is not None:
            return guard.status(index)
        if paused:
            return {
                "action": "pause",
                "reason": "paused by you",
                "source": "user",
                "state": "paused",
            }
        return {"action": "run", "reason": "", "source": "none", "state": "unguarded"}

    async def gpus(self) -> dict[str, Any]:
        return {
            "gpus": [info.to_json() for info in self.monitor.infos],
            "gpu_error": self.monitor.error_json(),
        }

    def _check_gpu(self, gpu: int | None) -> None:
        indices = [info.index for info in self.monitor.infos]
        if gpu is not None and gpu not in indices:
            have = ", ".join(map(str, indices)) if indices else "none"
            raise ApiError("not_found", f"there is no GPU {gpu}; this worker's GPUs: {have}", 404)

    async def telemetry(
        self, gpu: int | None, since: float | None, range_: str | None
    ) -> dict[str, Any]:
        self._check_gpu(gpu)
        now = self.monitor.clock()
        source = self.parts.telemetry_source
        buffer = self.monitor.buffer
        if range_ is not None:
            if source is not None and range_ in LEDGER_RANGES:
                return {"gpu": gpu, **await source.window(gpu, range_, now)}
            resolution, points = buffer.window(gpu, range_, now)
            return {"gpu": gpu, "resolution": resolution, "points": points, "source": "memory"}
        start = since if since is not None else now - LIVE_WINDOW_S
        if source is not None and since is not None and isinstance(buffer, SampleFeed):
            oldest = buffer.oldest_ts(gpu)
            if oldest is None or since < oldest:  # memory does not reach back that far
                return {"gpu": gpu, **await source.since(gpu, since, now)}
        points = buffer.since(gpu, start)
        return {"gpu": gpu, "resolution": "raw", "points": points, "source": "memory"}

    async def telemetry_latest(self) -> dict[str, Any]:
        return {"samples": [s.to_json() for s in self.monitor.buffer.latest()]}

    # --- events and pauses ------------------------------------------------------------

    async def events(self, since: int, wait: float, limit: int) -> dict[str, Any]:
        if wait > 0 and not self.stopping:
            found = await self.bus.wait_since(since, wait, limit)
        else:
            found = self.bus.since(since, limit)
        return {"events": [e.to_json() for e in found], "last_seq": self.bus.last_seq}

    async def pause(self, request: PauseRequest) -> dict[str, Any]:
        if request.scope == "gpu":
            self._check_gpu(request.gpu)
        entry = self.pauses.pause(request)
        until = f" until {_clock_text(entry.until_ts)}" if entry.until_ts else ""
        why = f" ({entry.reason})" if entry.reason else ""
        self.publish(
            "user.pause",
            f"Paused {entry.describe()}{until}{why}",
            gpu_index=request.gpu,
            network=request.network,
            data=entry.to_json(),
        )
        self._schedule_expiry()
        await self._apply_pauses()
        return {"paused": self.pauses.to_json()}

    async def resume(self, request: PauseRequest) -> dict[str, Any]:
        if request.scope != "all" and self.pauses.all_paused:
            target = f"GPU {request.gpu}" if request.scope == "gpu" else request.network
            raise ApiError(
                "conflict",
                f"all work is paused, so {target} cannot resume alone; resume everything "
                "(`rigpilot resume`) and pause what should stay paused",
                409,
            )
        for entry in self.pauses.resume(request):
            self._announce_resume(entry, "by you")
        self._schedule_expiry()
        await self._apply_pauses()
        return {"paused": self.pauses.to_json()}

    async def _apply_pauses(self) -> None:
        """Make the work follow the pauses (one change at a time, in order)."""
        hook = self.parts.apply_pauses
        if hook is None or self.stopping:
            return
        async with self._pause_lock:
            try:
                await hook(self.pauses)
            except Exception:
                log.exception("applying the pauses to the work failed")

    def _announce_resume(self, entry: PauseEntry, how: str) -> None:
        self.publish(
            "user.resume",
            f"Resumed {entry.describe()} ({how})",
            gpu_index=int(entry.target) if entry.scope == "gpu" else None,
            network=str(entry.target) if entry.scope == "network" else None,
            data={**entry.to_json(), "how": how},
        )

    def _schedule_expiry(self) -> None:
        """Arrange a wake-up at the earliest pause end (no polling while idle)."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        ends = [i["until_ts"] for i in self.pauses.to_json()["items"] if i["until_ts"]]
        if ends:
            delay = max(0.0, min(ends) - self.clock()) + 0.01
            self._expiry = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        for entry in self.pauses.expire():
            self._announce_resume(entry, "the pause time is over")
        self._schedule_expiry()
        if self.parts.apply_pauses is not None:
            task = asyncio.get_running_loop().create_task(self._apply_pauses())
            self._tasks.add(task)  # a reference, so the task is not collected mid-way
            task.add_done_callback(self._tasks.discard)

    # --- settings ---------------------------------------------------------------------

    async def settings(self) -> dict[str, Any]:
        store = self._settings()
        return {
            "settings": store.current.to_json(),
            "schema": schema_json(),
            "warnings": list(store.warnings),
        }

    async def patch_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        store = self._settings()
        before = store.current
        validators = self.parts.guard.extra_validators() if self.parts.guard is not None else []
        try:
            after = await asyncio.to_thread(store.patch, changes, validators)
        except SettingsError as exc:
            raise ApiError("invalid_setting", exc.message, 422, exc.field, exc.allowed) from None
        except SettingsSaveError as exc:
            raise ApiError("internal", str(exc), 500) from None
        applied = before.diff(after)
        if "sampling.interval_s" in applied:
            self.monitor.set_interval(float(after.get("sampling.interval_s")))
        if "autostart" in applied:
            await self._apply_autostart(bool(after.get("autostart")))
        if applied:
            self.publish(
                "settings.changed",
                f"Settings changed: {', '.join(applied)}",
                data={"keys": applied},
            )
        return {"settings": after.to_json(), "applied": applied}

    async def _apply_autostart(self, enabled: bool) -> None:
        """The worker owns side effects, so it writes the OS autostart entry for the app."""
        try:
            await asyncio.to_thread(autostart.apply_setting, enabled)
        except OSError as exc:
            self.publish(
                "settings.autostart_failed",
                f"Could not change starting at sign-in: {exc}",
                severity=Severity.WARNING,
            )

    def _settings(self) -> SettingsStore:
        if self.parts.settings is None:
            raise unavailable("Settings")
        return self.parts.settings

    # --- wired later: networks, jobs, earnings --------------------------------------------

    def _networks(self) -> NetworksPort:
        if self.parts.networks is None:
            raise unavailable("The networks service")
        return self.parts.networks

    def _jobs(self) -> JobsPort:
        if self.parts.jobs is None:
            raise unavailable("The jobs service")
        return self.parts.jobs

    async def networks(self) -> dict[str, Any]:
        return {"networks": await self._networks().list_networks()}

    async def network_enroll(self, network: str, credentials: dict[str, Any]) -> dict[str, Any]:
        return await self._networks().enroll(network, credentials)

    async def network_action(self, network: str, action: str) -> dict[str, Any]:
        return await self._networks().act(network, action)

    async def jobs(self, limit: int, state: str | None) -> dict[str, Any]:
        return {"jobs": await self._jobs().list_jobs(limit, state)}

    async def job(self, job_id: str) -> dict[str, Any]:
        return await self._jobs().get_job(job_id)

    async def submit_job(self, spec: dict[str, Any]) -> dict[str, Any]:
        return {"job": await self._jobs().submit(spec)}

    async def stop_job(self, job_id: str) -> dict[str, Any]:
        return {"job": await self._jobs().stop(job_id)}

    async def earnings(self, days: int) -> dict[str, Any]:
        if self.parts.earnings is None:
            raise unavailable("The earnings ledger")
        return await self.parts.earnings.earnings(days)

    # --- logs -----------------------------------------------------------------------------

    async def logs(self, tail: int) -> dict[str, Any]:
        if self.log_path is None:
            return {"lines": [], "file": None}
        lines = await asyncio.to_thread(tail_lines, self.log_path, tail)
        return {"lines": lines, "file": str(self.log_path)}


def _clock_text(ts: float) -> str:
    moment = datetime.fromtimestamp(ts)
    today = datetime.now().date()
    return moment.strftime("%H:%M" if moment.date() == today else "%a %H:%M")
