"""Recent GPU samples in memory, for ``GET /telemetry`` (the live charts).

A ring per GPU holds about two hours at 1 Hz, which is what the dashboard's live view
needs without touching the disk. Longer ranges come from the ledger's rollups once the
ledger is wired (``WorkerService.telemetry_source``); until then a long range answers
with what memory holds, rolled up to the range's resolution.

Only the chart fields are kept, one packed array of doubles per field (None as NaN):
64 bytes a reading instead of a sample object's 430, so two hours of one GPU take half a
megabyte rather than three (issue 18: the worker's memory must stay under a monitor's).
The newest whole sample of each GPU is kept apart, for ``latest``.
"""

from __future__ import annotations

import bisect
import logging
import math
from array import array
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


class _Ring:
    """One GPU's readings, oldest first: a column of doubles per chart field (NaN: None).

    It grows to ``capacity`` plus a slack, then drops the oldest slack at once, so that
    a reading costs an append and the columns move once per ``slack`` readings.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.slack = max(1, min(600, capacity // 10))
        self.ts = array("d")
        self.columns = {name: array("d") for name in POINT_FIELDS}

    def __len__(self) -> int:
        return len(self.ts)

    def append(self, sample: GpuSample) -> None:
        self.ts.append(sample.ts)
        for name, column in self.columns.items():
            value = getattr(sample, name)
            column.append(math.nan if value is None else value)
        if len(self.ts) > self.capacity + self.slack:
            drop = len(self.ts) - self.capacity
            del self.ts[:drop]
            for column in self.columns.values():
                del column[:drop]

    def points(self, gpu: int, since: float) -> list[dict[str, Any]]:
        """The points newer than ``since`` (strictly), oldest first (the last ``capacity``)."""
        start = max(bisect.bisect_right(self.ts, since), len(self.ts) - self.capacity)
        found = []
        for i in range(start, len(self.ts)):
            body: dict[str, Any] = {"ts": self.ts[i], "gpu_index": gpu}
            for name, column in self.columns.items():
                value = column[i]
                body[name] = None if math.isnan(value) else value
            found.append(body)
        return found

    def oldest_ts(self) -> float | None:
        held = len(self.ts)
        return self.ts[max(0, held - self.capacity)] if held else None


class TelemetryBuffer:
    """The last ``capacity`` readings of each GPU, oldest first. Used on the event loop."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._samples: dict[int, _Ring] = {}
        self._latest: dict[int, GpuSample] = {}

    def add(self, sample: GpuSample) -> None:
        ring = self._samples.get(sample.gpu_index)
        if ring is None:
            ring = self._samples[sample.gpu_index] = _Ring(self.capacity)
        if ring and sample.ts <= ring.ts[-1]:
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
            if ring:
                points.extend(ring.points(index, since))
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
        firsts = [first for ring in rings if ring and (first := ring.oldest_ts()) is not None]
        return max(firsts) if firsts else None
