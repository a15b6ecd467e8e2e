"""The physics of one simulated GPU: heat, power, fan, clocks and the driver's reason bits.

``SimulatedBackend`` (simulated.py) owns the cards, the clock and the faults; this module is
the model itself, kept apart so that its few equations can be read in one place. The die
follows ``dT/dt = (T_ambient + P * R_thermal - T) / tau``, integrated in one-second
sub-steps with the exact exponential solution (stable at any speed). Power is the load's
demand capped by the power limit; at the slowdown temperature the simulated driver engages
HW slowdown, which halves the power as clocks are cut on a real card, and releases it 3 °C
lower. SW thermal slowdown near max-operating is reported but does not hold the temperature
down: the guard must cope with the worst case, a card whose own slowdown cannot keep up.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from desktop.hardware.gpu import GpuProcess
from desktop.hardware.sim_profiles import Profile
from desktop.model import (
    REASON_GPU_IDLE,
    REASON_HW_SLOWDOWN,
    REASON_HW_THERMAL,
    REASON_SW_POWER_CAP,
    REASON_SW_THERMAL,
    GpuSample,
)

STEP_S = 1.0  # integration sub-step, simulated seconds
FORGET_TAUS = 10.0  # state older than this many time constants no longer matters
IDLE_LOAD = 0.05  # below this the driver reports the GPU idle
SW_MARGIN_C = 1.0  # SW thermal slowdown starts this close to max-operating
HW_RELEASE_C = 3.0  # HW slowdown releases this far below the slowdown point
HW_POWER_FACTOR = 0.5  # HW slowdown cuts clocks >= 2x
DESKTOP_VRAM_MIB = 350.0  # what the desktop itself keeps on the card
JOB_VRAM_SHARE = 0.6  # VRAM a job takes when the caller does not say


@dataclass
class Card:
    """The state of one simulated GPU (guarded by the backend's lock)."""

    profile: Profile
    index: int
    uuid: str
    rng: random.Random
    t: float
    temp_c: float
    energy_j: float
    limit_w: float
    load: float = 0.0
    job_vram_mib: float | None = None
    hw_slowdown: bool = False
    read_errors: int = 0
    lost: bool = False
    extra: dict[int, GpuProcess] = field(default_factory=dict)

    def demand_w(self) -> float:
        p = self.profile
        return p.idle_w + self.load * (p.default_w * p.peak_factor - p.idle_w)

    def power_w(self) -> float:
        power = min(self.demand_w(), self.limit_w)
        if self.hw_slowdown:
            power = max(self.profile.idle_w, power * HW_POWER_FACTOR)
        return power

    def _step(self, h: float) -> None:
        p = self.profile
        power = self.power_w()
        steady = p.ambient_c + power * p.r_thermal
        self.temp_c = steady + (self.temp_c - steady) * math.exp(-h / p.tau_s)
        self.energy_j += power * h
        slowdown = p.thresholds.slowdown_c
        if slowdown is not None:
            if self.temp_c >= slowdown:
                self.hw_slowdown = True
            elif self.temp_c < slowdown - HW_RELEASE_C:
                self.hw_slowdown = False

    def advance_to(self, now: float) -> None:
        span = now - self.t
        if span <= 0:
            return
        horizon = FORGET_TAUS * self.profile.tau_s
        if span > horizon:  # a long gap (sleep, huge speed): only the last stretch matters
            self.energy_j += self.power_w() * (span - horizon)
            span = horizon
        while span > 1e-9:
            h = min(STEP_S, span)
            self._step(h)
            span -= h
        self.t = now

    def mem_temp_c(self) -> float | None:
        offset = self.profile.mem_offset_c
        if offset is None:
            return None
        return self.temp_c + offset * self.power_w() / self.profile.default_w

    def reasons(self, mem_temp: float | None) -> int:
        th = self.profile.thresholds
        bits = 0
        if self.load < IDLE_LOAD:
            bits |= REASON_GPU_IDLE
        elif self.demand_w() > self.limit_w:
            bits |= REASON_SW_POWER_CAP
        if th.max_operating_c is not None and self.temp_c >= th.max_operating_c - SW_MARGIN_C:
            bits |= REASON_SW_THERMAL
        mem_max = th.memory_max_c
        if mem_temp is not None and mem_max is not None and mem_temp >= mem_max - SW_MARGIN_C:
            bits |= REASON_SW_THERMAL
        if self.hw_slowdown:
            bits |= REASON_HW_SLOWDOWN | REASON_HW_THERMAL
        return bits

    def job_vram(self) -> float:
        if self.load < IDLE_LOAD and self.job_vram_mib is None:
            return 0.0
        if self.job_vram_mib is not None:
            return self.job_vram_mib
        return JOB_VRAM_SHARE * self.profile.vram_mib


def read_sample(card: Card, now: float) -> GpuSample:
    """One reading of the card as NVML would report it: integers, small seeded noise.

    The fan runs 30 % at idle and climbs 1.5 % per °C above 40 °C (it reports the intended
    speed, like NVML); the noise is drawn from the card's seeded generator, so the same
    seed and the same calls give the same trace.
    """
    p, rng = card.profile, card.rng
    power = card.power_w()
    mem_temp = card.mem_temp_c()
    bits = card.reasons(mem_temp)
    busy = card.load >= IDLE_LOAD
    sm = p.sm_idle_mhz
    if busy:
        sm = p.sm_boost_mhz * min(1.0, card.limit_w / card.demand_w()) ** 0.5
        sm *= 0.95 if bits & REASON_SW_THERMAL else 1.0
        sm *= HW_POWER_FACTOR if card.hw_slowdown else 1.0
    util = float(min(100, max(0, round(card.load * 100 + rng.gauss(0, 0.8)))))
    fan = (
        0.0 if p.fan_broken else float(round(min(100.0, max(30.0, 30 + (card.temp_c - 40) * 1.5))))
    )
    # other programs' memory counts, as on a real card (a game shows up as used VRAM)
    others = sum(proc.used_vram_mib or 0.0 for proc in card.extra.values())
    return GpuSample(
        ts=now,
        gpu_index=card.index,
        uuid=card.uuid,
        core_temp_c=float(round(card.temp_c + rng.gauss(0, 0.25))),
        mem_temp_c=None if mem_temp is None else float(round(mem_temp + rng.gauss(0, 0.25))),
        power_w=round(min(card.limit_w, power * (1 + rng.gauss(0, 0.01))), 2),
        energy_j=round(card.energy_j, 3),
        gpu_util_pct=util,
        mem_util_pct=float(round(card.load * 55)) if busy else 0.0,
        vram_used_mib=round(min(float(p.vram_mib), DESKTOP_VRAM_MIB + card.job_vram() + others), 1),
        vram_total_mib=float(p.vram_mib),
        fan_pct=fan,
        sm_clock_mhz=float(round(sm)),
        mem_clock_mhz=p.mem_max_mhz if busy else p.mem_idle_mhz,
        clock_event_reasons=bits,
        pstate=2 if busy else 8,
        power_limit_w=card.limit_w,
    )
