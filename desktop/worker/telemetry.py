"""Recent GPU samples in memory, for ``GET /telemetry`` (the live charts).

A ring buffer per GPU holds about two hours at 1 Hz, which is what the dashboard's live
view needs without touching the disk. Longer ranges come from the ledger's rollups once
the ledger is wired (``WorkerService.telemetry_source``); until then a long range answers
with what memory holds, rolled up to the range's resolution.
"""

from __future__ import annotations

import bisect
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from desktop.model import GpuSample

log = logging.getLogger(__name__)

DEFAULT_CAPACITY = 7200  # 2 h at 1 Hz
# range → (seconds, resolution, bucket seconds; 0 = raw points)
RANGES: dict[str, tuple[float, str, float]] = {
    "10m": (600.0, "raw", 0.0),
    "1h": (3600.0, "1m", 60.0),
    "24h": (86400.0, "1m", 60.0),
    "7d": (7 * 86400.0, "1h", 3600.0),
}
POINT_FIELDS = (
    "core_temp_c",
    "mem_temp_c",
    "power_w",
    "power_limit_w",
    "gpu_util_pct",
    "fan_pct",
    "energy_j",
)


def point(sample: GpuSample) -> dict[str, Any]:
    """The API's telemetry point: the chart fields of one sample."""
    body: dict[str, Any] = {"ts": sample.ts, "gpu_index": sample.gpu_index}
    for name in POINT_FIELDS:
        body[name] = getattr(sample, name)
    return body


class TelemetryBuffer:
    """The last ``capacity`` samples of each GPU, oldest first. Used on the event loop."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._samples: dict[int, deque[GpuSample]] = {}
        self._latest: dict[int, GpuSample] = {}

    def add(self, sample: GpuSample) -> None:
        ring = self._samples.get(sample.gpu_index)
        if ring is None:
            ring = self._samples[sample.gpu_index] = deque(maxlen=self.capacity)
        if ring and sample.ts <= ring[-1].ts:
            return  # a clock step backwards would break since= polls; keep order strict
        ring.append(sample)
        self._latest[sample.gpu_index] = sample

    def latest(self) -> list[GpuSample]:
        return [self._latest[i] for i in sorted(self._latest)]

    def latest_of(self, gpu: int) -> GpuSample | None:
        return self._latest.get(gpu)

    def gpus(self) -> list[int]:
        return sorted(self._samples)

    def since(self, gpu: int | None, since: float) -> list[dict[str, Any]]:
        """Raw points newer than ``since`` (strictly), for one GPU or all, oldest first."""
        points: list[dict[str, Any]] = []
        for index in [gpu] if gpu is not None else self.gpus():
            ring = self._samples.get(index)
            if not ring:
                continue
            start = bisect.bisect_right(ring, since, key=lambda s: s.ts)
            points.extend(point(ring[i]) for i in range(start, len(ring)))
        if gpu is None:
            points.sort(key=lambda p: p["ts"])
        return points

    def window(self, gpu: int | None, range_: str, now: float) -> tuple[str, list[dict[str, Any]]]:
        """The points of the last ``range_`` at its resolution: (resolution, points)."""
        seconds, resolution, bucket = RANGES[range_]
        raw = self.since(gpu, now - seconds)
        if bucket == 0.0:
            return resolution, raw
        return resolution, rollup(raw, bucket)


def rollup(points: list[dict[str, Any]], bucket: float) -> list[dict[str, Any]]:
    """Average points into ``bucket``-second buckets per GPU; adds ``core_temp_max_c``.

    A bucket's ``ts`` is its start; a field that no point in the bucket reports stays None.
    ``energy_j`` is a counter, so the bucket keeps its last value rather than a mean.
    """
    groups: dict[tuple[int, float], list[dict[str, Any]]] = {}
    for p in points:
        key = (p["gpu_index"], p["ts"] - p["ts"] % bucket)
        groups.setdefault(key, []).append(p)
    result = []
    for (gpu, start), members in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        body: dict[str, Any] = {"ts": start, "gpu_index": gpu}
        for name in POINT_FIELDS:
            values = [m[name] for m in members if m[name] is not None]
            if name == "energy_j":
                body[name] = values[-1] if values else None
            else:
                body[name] = sum(values) / len(values) if values else None
        temps = [m["core_temp_c"] for m in members if m["core_temp_c"] is not None]
        body["core_temp_max_c"] = max(temps) if temps else None
        body["samples"] = len(members)
        result.append(body)
    return result


class SampleFeed(TelemetryBuffer):
    """The in-memory telemetry that also hands each kept sample to the listeners.

    The monitor adds samples on the event loop, so listeners run there too, in order; a
    failing listener is logged and never stops the others or the buffer.
    """

    def __init__(self, listeners: list[Callable[[GpuSample], None]], capacity: int) -> None:
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
