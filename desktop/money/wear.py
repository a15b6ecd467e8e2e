"""Wear of a card: what a buyer of a used GPU would ask about.

Per GPU: hours spent above the soft thermal limit, heat cycles (each rise from cool to
hot, the expansion and contraction that tires solder and pads), the peak core and VRAM
temperatures, and the total energy it drew while RigPilot watched. Fed with every sample;
pure, so the worker persists it and tests drive it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

CYCLE_BELOW_SOFT_C = 10.0  # "hot" starts this far below the soft limit...
CYCLE_SWING_C = 20.0  # ...and a cycle needs a cool-down this much further first
MAX_GAP_S = 60.0  # a longer gap between samples is not counted as time spent hot
MAX_PLAUSIBLE_W = 3000.0


@dataclass(frozen=True)
class WearState:
    """What one card has been through since it was first seen (for its wear)."""

    gpu_uuid: str
    name: str
    since_ts: float
    updated_ts: float
    above_soft_s: float = 0.0
    thermal_cycles: int = 0
    hot: bool = False
    peak_core_c: float | None = None
    peak_mem_c: float | None = None
    energy_j: float = 0.0
    last_counter_j: float | None = None


def _peak(old: float | None, new: float | None) -> float | None:
    if new is None:
        return old
    return new if old is None else max(old, new)


def observe(
    state: WearState,
    ts: float,
    core_c: float | None,
    mem_c: float | None,
    power_w: float | None,
    counter_j: float | None,
    soft_limit_c: float,
) -> WearState:
    """The wear after one sample."""
    dt_s = ts - state.updated_ts
    gap_ok = 0 < dt_s <= MAX_GAP_S
    above = state.above_soft_s
    if gap_ok and core_c is not None and core_c > soft_limit_c:
        above += dt_s
    hot_at = soft_limit_c - CYCLE_BELOW_SOFT_C
    cool_at = hot_at - CYCLE_SWING_C
    hot, cycles = state.hot, state.thermal_cycles
    if core_c is not None:
        if not hot and core_c >= hot_at:
            hot, cycles = True, cycles + 1
        elif hot and core_c <= cool_at:
            hot = False
    energy = state.energy_j
    if gap_ok:
        delta = None
        if counter_j is not None and state.last_counter_j is not None:
            delta = counter_j - state.last_counter_j
            if not 0 <= delta <= MAX_PLAUSIBLE_W * dt_s:
                delta = None
        if delta is None and power_w is not None and 0 <= power_w <= MAX_PLAUSIBLE_W:
            delta = power_w * dt_s
        energy += delta or 0.0
    return replace(
        state,
        updated_ts=max(ts, state.updated_ts),
        above_soft_s=above,
        thermal_cycles=cycles,
        hot=hot,
        peak_core_c=_peak(state.peak_core_c, core_c),
        peak_mem_c=_peak(state.peak_mem_c, mem_c),
        energy_j=energy,
        last_counter_j=counter_j if counter_j is not None else state.last_counter_j,
    )
