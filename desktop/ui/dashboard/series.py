"""Turn API answers into what the dashboard draws and shows.

Qt-free (numpy only) so the arithmetic is unit-tested: telemetry answers to arrays, the
words for a resolution, today's money from the status, and the thermal limit lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from desktop.ui import text

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
_POINT_KEYS = {
    "core": "core_temp_c",
    "core_max": "core_temp_max_c",
    "mem": "mem_temp_c",
    "power": "power_w",
    "limit": "power_limit_w",
    "util": "gpu_util_pct",
}


def point_row(point: dict[str, Any]) -> list[float | None]:
    """``(ts, core, core_max, mem, power, limit, util)`` from one telemetry point."""
    return [text.num(point.get("ts"))] + [
        text.num(point.get(_POINT_KEYS[c])) for c in TELEMETRY_COLUMNS
    ]


@dataclass
class TelemetryArrays:
    """Arrays of one telemetry answer (a range from the rollups), ready for ``setData``."""

    resolution: str = "raw"
    ts: np.ndarray = field(default_factory=lambda: np.empty(0))
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_answer(cls, answer: dict[str, Any]) -> TelemetryArrays:
        rows = [
            point_row(p) for p in answer.get("points") or [] if text.num(p.get("ts")) is not None
        ]
        rows.sort(key=lambda r: r[0] or 0.0)
        data = np.array(
            [[np.nan if v is None else v for v in r] for r in rows], dtype=float
        ).reshape(-1, len(TELEMETRY_COLUMNS) + 1)
        columns = {name: data[:, i + 1] for i, name in enumerate(TELEMETRY_COLUMNS)}
        return cls(str(answer.get("resolution") or "raw"), data[:, 0], columns)


def resolution_words(resolution: str) -> str:
    return RESOLUTION_WORDS.get(resolution, resolution)


def today_money(status: dict[str, Any]) -> tuple[float | None, float | None]:
    """(gross, net) USD earned today from ``status.earnings_today``, whatever its shape."""
    value = status.get("earnings_today")
    if isinstance(value, dict):
        gross = text.num(value.get("gross_usd", value.get("usd", value.get("gross"))))
        net = text.num(value.get("net_usd", value.get("net")))
        return gross, net
    if isinstance(value, list):
        amounts = [text.money_usd(v) for v in value]
        known = [a for a in amounts if a is not None]
        return (sum(known) if known else None), None
    return text.num(value), None


def _card_default_limits(info: dict[str, Any]) -> tuple[float, float]:
    """The thermal guard's documented defaults for a card (reliability.md §9).

    Used only while the worker's status does not carry the effective limits; the guard
    itself is the authority, and its numbers replace these as soon as the status has them.
    """
    thresholds = info.get("thresholds") or {}

    def plausible(value: Any, fallback: float) -> float:
        v = text.num(value)
        return v if v is not None and 60.0 <= v <= 130.0 else fallback

    maxop = plausible(thresholds.get("max_operating_c"), 83.0)
    slow = plausible(thresholds.get("slowdown_c"), 90.0)
    shut = plausible(thresholds.get("shutdown_c"), 95.0)
    emergency = min(90.0, slow - 2, shut - 5)
    pause = min(85.0, maxop - 3, emergency - 1)
    return min(80.0, maxop - 8, pause - 1), pause


def thermal_limits(
    settings: dict[str, Any], status: dict[str, Any] | None, gpu: int = 0
) -> tuple[float | None, float | None]:
    """(soft, pause) core limits in °C: the guard's own numbers when the status has them,
    else the user's settings, else the card's documented defaults."""
    gpus = (status or {}).get("gpus") or []
    entry = gpus[gpu] if gpu < len(gpus) else {}
    limits = (entry.get("guard") or {}).get("limits") or entry.get("thermal") or {}
    soft = text.num(limits.get("soft_c"))
    pause = text.num(limits.get("pause_c"))
    if soft is not None and pause is not None:
        return soft, pause
    soft = text.num(settings.get("thermal.soft_limit_c"))
    pause = text.num(settings.get("thermal.pause_limit_c"))
    if soft is None or pause is None:
        default_soft, default_pause = _card_default_limits(entry.get("info") or {})
        soft = default_soft if soft is None else soft
        pause = default_pause if pause is None else pause
    return soft, pause
