"""The one snapshot every view renders from: the last status and the newest reading per GPU.

Why: the header and the temperature card once read different samples (the status's and
the chart's), so they showed 56 and 60 °C in the same frame. Here the status and the
telemetry stream feed one object, which keeps the newest reading of each GPU whichever
source brought it; every widget reads that reading, and re-renders when it changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from desktop.ipc.schema import GpuStatus, StatusAnswer
from desktop.ipc.schema_data import TelemetryPoint
from desktop.model import GpuSample


@dataclass(frozen=True)
class Reading:
    """What the views show of one GPU's newest reading (a sample or a telemetry point)."""

    ts: float
    gpu: int
    core_temp_c: float | None
    mem_temp_c: float | None
    power_w: float | None
    power_limit_w: float | None
    gpu_util_pct: float | None
    fan_pct: float | None

    @classmethod
    def of(cls, value: GpuSample | TelemetryPoint) -> Reading:
        return cls(
            ts=value.ts,
            gpu=value.gpu_index,
            core_temp_c=value.core_temp_c,
            mem_temp_c=value.mem_temp_c,
            power_w=value.power_w,
            power_limit_w=value.power_limit_w,
            gpu_util_pct=value.gpu_util_pct,
            fan_pct=value.fan_pct,
        )


class Snapshot:
    """The rig as the views know it now (see the module docstring).

    Attributes:
        status: the last ``GET /status`` answer, None before the first.
    """

    def __init__(self) -> None:
        self.status: StatusAnswer | None = None
        self._readings: dict[int, Reading] = {}

    def set_status(self, status: StatusAnswer) -> None:
        """Take a new status; its samples replace older readings (a new worker: all)."""
        if self.status is not None and self.status.pid != status.pid:
            self._readings.clear()  # another worker: its clock and samples start over
        self.status = status
        self._take(Reading.of(g.sample) for g in status.gpus if g.sample is not None)

    def add_points(self, points: Iterable[TelemetryPoint]) -> bool:
        """Take telemetry points; True when a GPU's reading became newer."""
        return self._take(Reading.of(p) for p in points)

    def _take(self, readings: Iterable[Reading]) -> bool:
        changed = False
        for reading in readings:
            known = self._readings.get(reading.gpu)
            if known is None or reading.ts > known.ts:
                self._readings[reading.gpu] = reading
                changed = True
        return changed

    def reading(self, gpu: int) -> Reading | None:
        return self._readings.get(gpu)

    def hottest(self) -> float | None:
        """The highest core temperature among the GPUs' newest readings."""
        temps = [r.core_temp_c for r in self._readings.values() if r.core_temp_c is not None]
        return max(temps) if temps else None

    def gpu(self, index: int) -> GpuStatus | None:
        if self.status is None:
            return None
        return next((g for g in self.status.gpus if g.index == index), None)
