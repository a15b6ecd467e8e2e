"""Turn API answers into chart arrays: telemetry points, cumulative earnings, energy cost.

Qt-free (numpy only) so the arithmetic is unit-tested. Earnings are step curves that rise
when a job's pay is credited (its end time); "net" subtracts the electricity the GPU used
in the same window at the rate the ledger reports, so the two curves share one time axis.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def cumulative_energy_kwh(ts: np.ndarray, power_w: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Energy used since the first point, in kWh, integrating power between points.

    Gaps longer than ``max_gap_s`` (the worker was off) count as zero, not as a straight line.
    """
    if len(ts) < 2:
        return np.zeros(len(ts))
    dt = np.diff(ts)
    p = np.nan_to_num(power_w[:-1], nan=0.0)
    dt = np.where((dt > 0) & (dt <= max_gap_s), dt, 0.0)
    joules = np.concatenate([[0.0], np.cumsum(p * dt)])
    return joules / 3.6e6


def job_pay_usd(job: dict[str, Any]) -> float | None:
    pay = job.get("pay")
    if not isinstance(pay, dict):
        return None
    value = text.num(pay.get("usd"))
    return value if value is not None else None


def earnings_steps(
    jobs: Sequence[dict[str, Any]], start: float, end: float, gpu_uuid: str | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Cumulative USD per network over ``[start, end]``: step points at each paid job's end.

    Each curve starts at 0 at ``start`` and is extended flat to ``end`` so it reads as a level.
    """
    paid: dict[str, list[tuple[float, float]]] = {}
    for job in jobs:
        usd = job_pay_usd(job)
        ended = text.num(job.get("ended_ts"))
        if usd is None or ended is None or not (start <= ended <= end):
            continue
        if gpu_uuid and job.get("gpu_uuid") not in (None, gpu_uuid):
            continue
        paid.setdefault(str(job.get("network") or "?"), []).append((ended, usd))
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for network, items in paid.items():
        items.sort()
        xs, ys, total = [start], [0.0], 0.0
        for ts, usd in items:
            xs += [ts, ts]
            ys += [total, total + usd]
            total += usd
        xs.append(end)
        ys.append(total)
        curves[network] = (np.array(xs), np.array(ys))
    return curves


def total_at(curves: dict[str, tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """The sum of every network's cumulative curve, sampled at ``x`` (for the net curve)."""
    total = np.zeros(len(x))
    for xs, ys in curves.values():
        idx = np.searchsorted(xs, x, side="right") - 1
        total += np.where(idx >= 0, ys[np.clip(idx, 0, len(ys) - 1)], 0.0)
    return total


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
