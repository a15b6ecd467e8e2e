"""Scripted-trace helpers for the guard tests: a card, samples, and a trace runner."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from desktop.guard.thermal import ThermalGuard, ThermalPolicy
from desktop.model import GpuInfo, GpuSample, GuardAction, GuardDecision, PowerLimits
from desktop.model import ThermalThresholds as Thresholds

# An RTX 3060 Ti-like card (max operating 93, slowdown 95, shutdown 98 °C) gives the
# headline defaults: soft 80, pause 85, resume 70, emergency 90 °C.
CARD_THRESHOLDS = Thresholds(93.0, 95.0, 98.0, None)
CARD_POWER = PowerLimits(min_w=100.0, max_w=400.0, default_w=320.0, enforced_w=320.0)


def make_info(thresholds: Thresholds = CARD_THRESHOLDS, power: PowerLimits = CARD_POWER) -> GpuInfo:
    return GpuInfo(0, "GPU-test", "NVIDIA GeForce RTX 3060 Ti", 8192, "550.54", "12.4",
                   power, thresholds)  # fmt: skip


def make_sample(
    ts: float,
    core: float | None,
    *,
    mem: float | None = None,
    bits: int = 0,
    fan: float | None = 55.0,
) -> GpuSample:
    return GpuSample(
        ts=ts, gpu_index=0, uuid="GPU-test", core_temp_c=core, mem_temp_c=mem, power_w=200.0,
        energy_j=None, gpu_util_pct=100.0, mem_util_pct=50.0, vram_used_mib=4000.0,
        vram_total_mib=8192.0, fan_pct=fan, sm_clock_mhz=1800.0, mem_clock_mhz=7000.0,
        clock_event_reasons=bits, pstate=0, power_limit_w=320.0,
    )  # fmt: skip


@dataclass
class Run:
    """The decisions of a trace, and the moments the action changed."""

    decisions: list[GuardDecision] = field(default_factory=list)

    @property
    def changes(self) -> list[GuardDecision]:
        out: list[GuardDecision] = []
        for d in self.decisions:
            if not out or (d.action, d.power_limit_w, d.duty_cycle) != (
                out[-1].action, out[-1].power_limit_w, out[-1].duty_cycle,
            ):  # fmt: skip
                out.append(d)
        return out

    def first(self, action: GuardAction) -> GuardDecision | None:
        return next((d for d in self.decisions if d.action is action), None)

    @property
    def last(self) -> GuardDecision:
        return self.decisions[-1]

    def times(self, action: GuardAction) -> list[float]:
        """When the guard entered ``action`` (from anything else)."""
        out, prev = [], None
        for d in self.decisions:
            if d.action is action and prev is not action:
                out.append(d.ts)
            prev = d.action
        return out


def feed(
    guard: ThermalGuard,
    start: float,
    end: float,
    temp: float | Callable[[float], float | None],
    *,
    step: float = 2.0,
    run: Run | None = None,
    **kw: object,
) -> Run:
    """Feed one sample every ``step`` s in [start, end); ``temp`` may be a function of t."""
    run = run or Run()
    t = start
    while t < end - 1e-9:
        core = temp(t) if callable(temp) else temp
        run.decisions.append(guard.observe(make_sample(t, core, **kw), t))  # type: ignore[arg-type]
        t += step
    return run


def play(guard: ThermalGuard, points: Iterable[tuple[float, float | None]], **kw: object) -> Run:
    run = Run()
    for t, core in points:
        run.decisions.append(guard.observe(make_sample(t, core, **kw), t))  # type: ignore[arg-type]
    return run


def make_guard(
    *,
    can_set_power_limit: bool = True,
    user_power_limit_w: float | None = None,
    thresholds: Thresholds = CARD_THRESHOLDS,
    power: PowerLimits = CARD_POWER,
    gddr6x: bool = False,
    **overrides: float,
) -> ThermalGuard:
    policy = ThermalPolicy.for_card(thresholds, overrides or None, gddr6x=gddr6x)
    return ThermalGuard(
        make_info(thresholds, power), policy, can_set_power_limit, user_power_limit_w
    )


@pytest.fixture(scope="session")
def tr() -> SimpleNamespace:
    """The trace helpers (test modules cannot import conftest under importlib mode)."""
    return SimpleNamespace(
        CARD_THRESHOLDS=CARD_THRESHOLDS,
        CARD_POWER=CARD_POWER,
        Run=Run,
        feed=feed,
        play=play,
        make_info=make_info,
        make_sample=make_sample,
        make_guard=make_guard,
    )


@pytest.fixture
def guard() -> ThermalGuard:
    return make_guard()
