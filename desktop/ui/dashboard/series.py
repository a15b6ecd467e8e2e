"""Turn typed API answers into what the dashboard draws.

Qt-free (numpy only) so the arithmetic is unit-tested: telemetry answers to arrays, the
words for a resolution, and the thermal limit lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from desktop.ipc.schema import StatusAnswer
from desktop.ipc.schema_data import SettingsAnswer, TelemetryAnswer, TelemetryPoint
from desktop.model import GpuInfo

RANGES: dict[str, tuple[str, float]] = {
    "10m": ("10 min", 600.0),
    "1h": ("1 h", 3600.0),
    "24h": ("24 h", 86_400.0),
    "7d": ("7 d", 7 * 86_400.0),
}

RESOLUTION_WORDS = {
    "raw": "every sample",
    "1m": "1-minute averages",
    "1h": "hourly averages",
}

TELEMETRY_COLUMNS = ("core", "core_max", "mem", "power", "limit", "util")


def point_row(point: TelemetryPoint) -> list[float | None]:
    """``(ts, core, core_max, mem, power, limit, util)`` from one telemetry point."""
    return [
        point.ts,
        point.core_temp_c,
        point.core_temp_max_c,
        point.mem_temp_c,
        point.power_w,
        point.power_limit_w,
        point.gpu_util_pct,
    ]


@dataclass
class TelemetryArrays:
    """Arrays of one telemetry answer (a range from the rollups), ready for ``setData``."""

    resolution: str = "raw"
    ts: np.ndarray = field(default_factory=lambda: np.empty(0))
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_answer(cls, answer: TelemetryAnswer) -> TelemetryArrays:
        rows = sorted((point_row(p) for p in answer.points), key=lambda r: r[0] or 0.0)
        data = np.array(
            [[np.nan if v is None else v for v in r] for r in rows], dtype=float
        ).reshape(-1, len(TELEMETRY_COLUMNS) + 1)
        columns = {name: data[:, i + 1] for i, name in enumerate(TELEMETRY_COLUMNS)}
        return cls(answer.resolution.value, data[:, 0], columns)


def resolution_words(resolution: str) -> str:
    return RESOLUTION_WORDS.get(resolution, resolution)


def _card_default_limits(info: GpuInfo | None) -> tuple[float, float]:
    """The thermal guard's documented defaults for a card (reliability.md §9).

    Used only while the worker's status does not carry the effective limits; the guard
    itself is the authority, and its numbers replace these as soon as the status has them.
    """

    def plausible(value: float | None, fallback: float) -> float:
        return value if value is not None and 60.0 <= value <= 130.0 else fallback

    limits = info.thresholds if info is not None else None
    maxop = plausible(limits.max_operating_c if limits else None, 83.0)
    slow = plausible(limits.slowdown_c if limits else None, 90.0)
    shut = plausible(limits.shutdown_c if limits else None, 95.0)
    emergency = min(90.0, slow - 2, shut - 5)
    pause = min(85.0, maxop - 3, emergency - 1)
    return min(80.0, maxop - 8, pause - 1), pause


def _number(value: Any) -> float | None:
    """A setting's number (settings values are plain JSON)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def thermal_limits(
    settings: SettingsAnswer | None, status: StatusAnswer | None, gpu: int = 0
) -> tuple[float, float]:
    """(soft, pause) core limits in °C: the guard's own numbers when the status has them,
    else the user's settings, else the card's documented defaults."""
    entry = next((g for g in status.gpus if g.index == gpu), None) if status else None
    if entry is not None and entry.thermal is not None:
        return entry.thermal.limits.soft_c, entry.thermal.limits.pause_c
    values = settings.settings if settings is not None else {}
    soft = _number(values["thermal.soft_limit_c"]) if values else None
    pause = _number(values["thermal.pause_limit_c"]) if values else None
    if soft is None or pause is None:
        default_soft, default_pause = _card_default_limits(entry.info if entry else None)
        soft = default_soft if soft is None else soft
        pause = default_pause if pause is None else pause
    return soft, pause
