"""The worker's composition root and the ``Controller`` behind the local API.

It owns the parts that exist today (GPU monitor, event bus, pauses, settings, logs) and
holds optional slots for the parts other modules bring (jobs, networks, earnings, guard,
long telemetry). Wiring one is a constructor argument; until then its routes answer 503
``unavailable``. Every method runs on the worker's event loop; blocking work (settings
file, log file) goes to a thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop import __version__
from desktop.ipc.protocol import ApiError, PauseRequest, unavailable
from desktop.logs import tail_lines
from desktop.model import Event, Severity
from desktop.settings import SettingsError, SettingsSaveError, SettingsStore, schema_json
from desktop.worker.events import EventBus
from desktop.worker.gpus import GpuMonitor
from desktop.worker.pause import PauseEntry, PauseState
from desktop.worker.ports import (
    EarningsPort,
    GuardPort,
    JobsPort,
    NetworksPort,
    TelemetrySource,
)

log = logging.getLogger(__name__)
LIVE_WINDOW_S = 60.0  # GET /telemetry with neither since nor range


@dataclass
class Components:
    """The optional parts; ``None`` means "not wired into this worker yet"."""

    jobs: JobsPort | None = None
    networks: NetworksPort | None = None
    earnings: EarningsPort | None = None
    guard: GuardPort | None = None
    telemetry_source: TelemetrySource | None = None
    settings: SettingsStore | None = None


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
        await asyncio.to_thread(self.monitor.stop)
        for part in (self.parts.jobs, self.parts.networks, self.parts.earnings):
            closer = getattr(part, "close", None)
            if closer is None:
                continue
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
            decision = guard.decision(index)
            if decision is not None:
                return {
                    "action": decision.action.value,
                    "reason": decision.reason,
                    "source": decision.source,
                    "state": guard.state(index),
                }
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
        if range_ is not None:
            source = self.parts.telemetry_source
            if source is not None:
                return {"gpu": gpu, **await source.window(gpu, range_, now)}
            resolution, points = self.monitor.buffer.window(gpu, range_, now)
            return {"gpu": gpu, "resolution": resolution, "points": points, "source": "memory"}
        start = since if since is not None else now - LIVE_WINDOW_S
        points = self.monitor.buffer.since(gpu, start)
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
        return {"paused": self.pauses.to_json()}

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
        try:
            after = await asyncio.to_thread(store.patch, changes)
        except SettingsError as exc:
            raise ApiError("invalid_setting", exc.message, 422, exc.field, exc.allowed) from None
        except SettingsSaveError as exc:
            raise ApiError("internal", str(exc), 500) from None
        applied = before.diff(after)
        if "sampling.interval_s" in applied:
            self.monitor.set_interval(float(after.get("sampling.interval_s")))
        if applied:
            self.publish(
                "settings.changed",
                f"Settings changed: {', '.join(applied)}",
                data={"keys": applied},
            )
        return {"settings": after.to_json(), "applied": applied}

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
