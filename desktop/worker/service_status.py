"""The worker's status, GPU and telemetry routes: the answers the GUI and the CLI poll.

Why apart: this is the hot path (the GUI asks every second or two), answered from memory;
only telemetry older than memory holds is asked of the telemetry source (the ledger).
The typed status is built by ``status_view`` from today's parts.
"""

from __future__ import annotations

import os
from typing import Any

import msgspec

from desktop import __version__
from desktop.ipc.schema import (
    Components,
    EarningsTotals,
    GpuProblem,
    Mode,
    StatusAnswer,
)
from desktop.ipc.schema_data import (
    GpusAnswer,
    LatestAnswer,
    TelemetryAnswer,
    TelemetryQuery,
)
from desktop.worker import status_view as view
from desktop.worker.service_base import SampleFeed, ServiceBase

LIVE_WINDOW_S = 60.0  # GET /telemetry with neither since nor range
LEDGER_RANGES = ("24h", "7d")  # longer than memory holds: asked of the telemetry source


class StatusRoutes(ServiceBase):
    """``GET /status``, ``/gpus``, ``/telemetry`` and ``/telemetry/latest``."""

    async def status(self) -> StatusAnswer:
        now = self.clock()
        parts = self.parts
        settings = parts.settings
        summary = parts.networks.summary() if parts.networks else []
        legacy = [str(n["network"]) for n in summary if n.get("paused")]
        holds = view.user_holds(self.pauses.to_json()["items"], legacy, self.started_ts)
        names = [str(n["network"]) for n in summary]
        held = {n for n in names if any(h.covers_network(n) for h in holds)}
        owner = view.owner_of(summary, held)
        busy = any(n["network"] == owner and n["state"] == "busy" for n in summary)
        jobs = parts.jobs.running_by_gpu() if parts.jobs else {}
        gpus = []
        for info in self.monitor.infos:
            guard = parts.guard.status(info.index) if parts.guard else None
            decision = parts.guard.decision(info.index) if parts.guard else None
            mine = [h for h in holds if h.covers_gpu(info.index)]
            from_guard = view.guard_hold(decision)
            gpus.append(
                view.gpu_status(
                    info,
                    self.monitor.buffer.latest_of(info.index),
                    degraded=self.monitor.degraded(info.index),
                    holds=[*mine, *([from_guard] if from_guard else [])],
                    owner=owner,
                    owner_busy=busy,
                    jobs_running=jobs.get(info.uuid, 0),
                    guard=guard,
                )
            )
        owned = {owner: [g.index for g in gpus]} if owner else {}
        today = await parts.earnings.today() if parts.earnings else None
        return StatusAnswer(
            version=__version__,
            pid=os.getpid(),
            mode=Mode(self.mode),
            now=now,
            started_ts=self.started_ts,
            uptime_s=round(now - self.started_ts, 3),
            user_holds=holds,
            gpus=gpus,
            gpu_error=self._gpu_error(),
            networks=view.network_briefs(summary, holds, owned),
            jobs_running=sum(jobs.values()) if parts.jobs else None,
            earnings_today=None if today is None else msgspec.convert(today, EarningsTotals),
            sampling_interval_s=self.monitor.interval_s,
            settings_warnings=list(settings.warnings) if settings else [],
            last_event_seq=self.bus.last_seq,
            components=Components(
                jobs=parts.jobs is not None,
                networks=parts.networks is not None,
                earnings=parts.earnings is not None,
                guard=parts.guard is not None,
                settings=settings is not None,
            ),
        )

    def _gpu_error(self) -> GpuProblem | None:
        error = self.monitor.error_json()
        return None if error is None else msgspec.convert(error, GpuProblem)

    async def gpus(self) -> GpusAnswer:
        return GpusAnswer(gpus=list(self.monitor.infos), gpu_error=self._gpu_error())

    async def telemetry(self, query: TelemetryQuery) -> TelemetryAnswer:
        gpu, since = query.gpu, query.since
        range_ = None if query.range is None else query.range.value
        self._check_gpu(gpu)
        now = self.monitor.clock()
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


def _telemetry(gpu: int | None, found: dict[str, Any]) -> TelemetryAnswer:
    return msgspec.convert({"gpu": gpu, **found}, TelemetryAnswer)
