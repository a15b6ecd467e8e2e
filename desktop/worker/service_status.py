"""The worker's status, GPU and telemetry routes: the JSON the GUI and the CLI poll.

Why apart: this is the hot path (the GUI asks every second or two), answered from memory;
only telemetry older than memory holds is asked of the telemetry source (the ledger).
"""

from __future__ import annotations

import os
from typing import Any

from desktop import __version__
from desktop.worker.service_base import SampleFeed, ServiceBase

LIVE_WINDOW_S = 60.0  # GET /telemetry with neither since nor range
LEDGER_RANGES = ("24h", "7d")  # longer than memory holds: asked of the telemetry source


class StatusRoutes(ServiceBase):
    """``GET /status``, ``/gpus``, ``/telemetry`` and ``/telemetry/latest``."""

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
