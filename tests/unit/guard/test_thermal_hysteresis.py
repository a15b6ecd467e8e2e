"""Hysteresis under ±2 °C sensor noise: the guard must not flap (property tests).

The promise: at most one pause/resume cycle per cooldown window, the power limit stays
between the card's minimum and the user's own limit, and noise around a threshold moves
the throttle at most one step per step interval. The noise comes from a seeded generator
whose seed Hypothesis picks (drawing thousands of floats from Hypothesis itself would be
slow and shrink poorly).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.guard.thermal import ThermalGuard
from desktop.model import GuardAction, GuardDecision

COOLDOWN = 120.0
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
RUNNING = (GuardAction.RUN, GuardAction.THROTTLE)


def _simulate(
    tr: SimpleNamespace,
    guard: ThermalGuard,
    seconds: float,
    temperature: Callable[[float, GuardAction, float | None], float],
    rng: random.Random,
    step: float = 2.0,
) -> list[GuardDecision]:
    """Sample every ``step`` s; the next temperature may depend on the last decision."""
    decisions: list[GuardDecision] = []
    action, limit, t = GuardAction.RUN, None, 0.0
    while t < seconds:
        core = temperature(t, action, limit) + rng.uniform(-2.0, 2.0)
        d = guard.observe(tr.make_sample(t, core), t)
        decisions.append(d)
        action, limit = d.action, d.power_limit_w
        t += step
    return decisions


def _entries(decisions: list[GuardDecision], into: tuple[GuardAction, ...]) -> list[float]:
    out, prev = [], GuardAction.RUN
    for d in decisions:
        if d.action in into and prev not in into:
            out.append(d.ts)
        prev = d.action
    return out


def _assert_no_flapping(decisions: list[GuardDecision]) -> None:
    pauses = _entries(decisions, (GuardAction.PAUSE,))
    resumes = [
        d.ts
        for prev, d in zip(decisions, decisions[1:], strict=False)
        if prev.action is GuardAction.PAUSE and d.action in RUNNING
    ]
    assert all(b - a >= COOLDOWN for a, b in zip(pauses, pauses[1:], strict=False)), pauses
    assert all(b - a >= COOLDOWN for a, b in zip(resumes, resumes[1:], strict=False)), resumes
    for r in resumes:  # each resume comes a full cooldown after the pause before it
        assert r - max(p for p in pauses if p < r) >= COOLDOWN


@settings(max_examples=20, deadline=None)
@given(
    seed=SEEDS,
    hot=st.floats(min_value=78, max_value=86),
    tau=st.floats(min_value=20, max_value=150),
    privileged=st.booleans(),
)
def test_closed_loop_with_noise_never_flaps(
    tr: SimpleNamespace, seed: int, hot: float, tau: float, privileged: bool
) -> None:
    """A card that heats towards ``hot`` at full power and cools to 45 °C when paused."""
    guard = tr.make_guard(can_set_power_limit=privileged)
    state = {"temp": 60.0}

    def temperature(_t: float, action: GuardAction, limit: float | None) -> float:
        target = 45.0
        if action in RUNNING:
            share = (limit or 320.0) / 320.0
            target = 45.0 + (hot - 45.0) * share
        state["temp"] += (target - state["temp"]) * (2.0 / tau)
        return state["temp"]

    decisions = _simulate(tr, guard, 3600, temperature, random.Random(seed))
    _assert_no_flapping(decisions)
    assert GuardAction.EMERGENCY not in {d.action for d in decisions}
    limits = [d.power_limit_w for d in decisions if d.power_limit_w is not None]
    assert all(100 <= w <= 320 for w in limits)


@settings(max_examples=20, deadline=None)
@given(
    seed=SEEDS,
    high_s=st.integers(min_value=2, max_value=200),
    low_s=st.integers(min_value=2, max_value=200),
)
def test_hostile_square_wave_gets_at_most_one_cycle_per_cooldown(
    tr: SimpleNamespace, seed: int, high_s: int, low_s: int
) -> None:
    """Temperature jumping between 87 °C and 67 °C (±2 °C) with any rhythm."""
    guard = tr.make_guard(repeat_trips=20)  # keep cycling possible for the whole hour
    period = high_s + low_s

    def temperature(t: float, _a: GuardAction, _l: float | None) -> float:
        return 87.0 if t % period < high_s else 67.0

    _assert_no_flapping(_simulate(tr, guard, 3600, temperature, random.Random(seed)))


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS)
def test_noise_around_the_resume_limit_resumes_once_and_does_not_pause_again(
    tr: SimpleNamespace, seed: int
) -> None:
    guard = tr.make_guard()

    def temperature(t: float, _a: GuardAction, _l: float | None) -> float:
        return 88.0 if t < 30 else 70.0

    decisions = _simulate(tr, guard, 1800, temperature, random.Random(seed))
    assert len(_entries(decisions, (GuardAction.PAUSE,))) == 1
    assert len(_entries(decisions, RUNNING)) <= 2  # the start, and at most one resume


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS, level=st.sampled_from([75.0, 80.0, 82.0]))
def test_noise_around_the_soft_limit_moves_at_most_one_step_per_interval(
    tr: SimpleNamespace, seed: int, level: float
) -> None:
    guard = tr.make_guard()
    decisions = _simulate(tr, guard, 1200, lambda *_: level, random.Random(seed))
    changes = [
        (d.ts, d.power_limit_w)
        for prev, d in zip(decisions, decisions[1:], strict=False)
        if d.power_limit_w != prev.power_limit_w
    ]
    downs = [t for (t, w), (_, before) in zip(changes, [(0, None), *changes], strict=False)
             if w is not None and (before is None or w < before)]  # fmt: skip
    ups = [t for t, _ in changes if t not in downs]
    assert all(b - a >= 30 for a, b in zip(downs, downs[1:], strict=False))
    assert all(b - a >= COOLDOWN for a, b in zip(ups, ups[1:], strict=False))
    assert GuardAction.PAUSE not in {d.action for d in decisions}
