"""ThermalGuard on scripted traces: every threshold of reliability.md §9, one by one.

The card is an RTX 3060 Ti-like one: soft 80, pause 85, resume 70, emergency 90 °C,
power 320 W (min 100 W); samples every 2 s unless a test says otherwise.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from desktop.guard.thermal import ThermalGuard, ThermalState
from desktop.model import (
    REASON_HW_SLOWDOWN,
    REASON_HW_THERMAL,
    REASON_SW_POWER_CAP,
    REASON_SW_THERMAL,
    GuardAction,
    PowerLimits,
)

RUN, THROTTLE, PAUSE = GuardAction.RUN, GuardAction.THROTTLE, GuardAction.PAUSE
EMERGENCY, STOP_FOR_DAY = GuardAction.EMERGENCY, GuardAction.STOP_FOR_DAY


# --- smoothing ------------------------------------------------------------------------


def test_a_single_spike_does_nothing_because_the_median_is_used(
    guard: ThermalGuard, tr: SimpleNamespace
) -> None:
    run = tr.play(guard, [(0, 60), (2, 60), (4, 99), (6, 60), (8, 60)])
    assert {d.action for d in run.decisions} == {RUN}
    assert guard.state.core_c == 60


def test_two_hot_samples_out_of_three_move_the_median(
    guard: ThermalGuard, tr: SimpleNamespace
) -> None:
    run = tr.play(guard, [(0, 60), (2, 95), (4, 95)])
    # With two samples the median is their mean (77.5 °C): still below the soft limit.
    assert [d.action for d in run.decisions] == [RUN, RUN, EMERGENCY]


# --- soft limit: power steps and duty cycle ---------------------------------------------


def test_soft_limit_lowers_the_power_limit_10_percent_per_step(
    guard: ThermalGuard, tr: SimpleNamespace
) -> None:
    run = tr.feed(guard, 0, 400, 82)
    steps = [(d.ts, d.power_limit_w) for d in run.changes]
    # 320 W x 0.9^n every 30 s, stopping at the card's 100 W minimum.
    assert steps[:4] == [(0, 288), (30, 259), (60, 233), (90, 210)]
    assert [w for _, w in steps][-2:] == [112, 100]
    assert min(d.power_limit_w or 999 for d in run.decisions) == 100
    assert run.last.action is THROTTLE
    assert run.decisions[0].reason == (
        "GPU at 82 °C, above your soft limit of 80 °C: power limit lowered to 288 W "
        "to cool it down."
    )


def test_soft_limit_never_exceeds_the_users_own_limit_nor_goes_below_the_card_minimum(
    tr: SimpleNamespace,
) -> None:
    power = PowerLimits(min_w=200.0, max_w=400.0, default_w=320.0, enforced_w=320.0)
    guard = tr.make_guard(user_power_limit_w=250.0, power=power)
    run = tr.feed(guard, 0, 300, 82)
    limits = [d.power_limit_w for d in run.changes]
    assert limits == [225, 202, 200]
    assert guard.user_power_limit_w == 250


def test_power_steps_back_up_after_a_cooldown_below_soft_minus_5(
    guard: ThermalGuard, tr: SimpleNamespace
) -> None:
    run = tr.feed(guard, 0, 62, 82)  # levels 1..3: 288, 259, 233 W
    tr.feed(guard, 62, 200, 77, run=run)  # between soft-5 and soft: hold
    assert run.last.power_limit_w == 233
    tr.feed(guard, 200, 700, 70, run=run)
    ups = [(d.ts, d.power_limit_w) for d in run.changes if d.ts >= 200]
    # 70 °C median from t=202; each step up needs a full 120 s cooldown.
    assert ups == [(322, 259), (442, 288), (562, None)]
    assert run.last.action is RUN
    assert run.last.reason == "GPU cooled to 70 °C: power limit back to your own 320 W."


def test_without_the_privilege_the_soft_limit_duty_cycles(tr: SimpleNamespace) -> None:
    guard = tr.make_guard(can_set_power_limit=False)
    run = tr.feed(guard, 0, 200, 82)
    duties = [round(d.duty_cycle * 60) for d in run.changes if d.duty_cycle]
    assert duties == [50, 40, 30, 20]
    assert all(d.power_limit_w is None for d in run.decisions)
    assert "runs 50 s of every 60 s" in run.decisions[0].reason
    assert "no permission to lower the power limit" in run.decisions[0].reason


def test_throttle_decisions_offer_the_duty_cycle_as_a_fallback(
    guard: ThermalGuard, tr: SimpleNamespace
) -> None:
    d = tr.feed(guard, 0, 2, 82).last
    assert d.power_limit_w == 288 and d.duty_cycle == pytest.approx(50 / 60)


# --- pause and resume -------------------------------------------------------------------


def test_pause_limit_must_hold_10_s_and_resume_waits_for_70_and_the_cooldown(
    guard: ThermalGuard, tr: SimpleNamespace
) -> None:
    run = tr.feed(guard, 0, 10, 60)
    tr.feed(guard, 10, 40, 86, run=run)
    # Median reaches 86 at t=12 (2 of 3 samples), so the pause comes at t=22.
    assert run.times(PAUSE) == [22]
    paused = run.first(PAUSE)
    assert paused is not None and paused.reason == (
        "GPU at 86 °C, above your pause limit of 85 °C: work paused until it cools to 70 °C."
    )
    tr.feed(guard, 40, 200, 69, run=run)
    # Cool from t=42 on, but the cooldown runs until 22 + 120 = 142.
    assert run.times(THROTTLE)[-1] == 142
    resumed = run.decisions[-1]
    assert resumed.reason.startswith("GPU cooled to 69 °C: work resumed, power limit held at")


def test_no_resume_above_the_resume_limit(guard: ThermalGuard, tr: SimpleNamespace) -> None:
    run = tr.feed(guard, 0, 30, 86)
    tr.feed(guard, 30, 1000, 71, run=run)
    assert run.last.action is PAUSE
    assert guard.state.state is ThermalState.PAUSED


def test_no_resume_while_a_thermal_bit_is_set(guard: ThermalGuard, tr: SimpleNamespace) -> None:
    run = tr.feed(guard, 0, 30, 86)
    tr.feed(guard, 30, 400, 60, bits=REASON_SW_THERMAL, run=run)
    assert run.last.action is PAUSE
    tr.feed(guard, 400, 410, 60, bits=REASON_SW_POWER_CAP, run=run)  # not a thermal bit
    assert run.last.action in (RUN, THROTTLE)


@pytest.mark.parametrize("bit", [REASON_HW_THERMAL, REASON_HW_SLOWDOWN])
def test_hardware_bits_on_two_consecutive_samples_pause(
    guard: ThermalGuard, tr: SimpleNamespace, bit: int
) -> None:
    one = tr.play(guard, [(0, 65)], bits=bit)
    tr.play(guard, [(2, 65)])  # the bit clears: nothing happens
    assert one.last.action is RUN
    run = tr.play(guard, [(4, 65), (6, 65)], bits=bit)
    assert [d.action for d in run.decisions] == [RUN, PAUSE]
    assert "cutting its own clocks" in run.last.reason


def test_software_thermal_bit_pauses_after_60_s(tr: SimpleNamespace) -> None:
    guard = tr.make_guard()
    run = tr.feed(guard, 0, 70, 65, mem=60.0, bits=REASON_SW_THERMAL)
    assert run.times(PAUSE) == [60]
    assert {d.action for d in run.decisions if d.ts < 60} == {RUN}  # VRAM is reported
    assert "holding the GPU back for heat for 1 minute" in run.last.reason


# --- memory temperature and its fallback -----------------------------------------------


def test_memory_rules_apply_when_the_card_reports_vram(tr: SimpleNamespace) -> None:
    guard = tr.make_guard(gddr6x=True)  # 94 / 100 / 88 °C
    run = tr.feed(guard, 0, 10, 60, mem=95.0)
    assert run.last.action is THROTTLE and "VRAM) at 95 °C" in run.last.reason
    tr.feed(guard, 10, 40, 60, mem=101.0, run=run)
    assert run.times(PAUSE) == [22]  # median 101 from t=12 (2 of 3 samples), held 10 s
    paused = run.first(PAUSE)
    assert paused is not None and paused.reason.endswith("work paused until it cools to 88 °C.")
    tr.feed(guard, 40, 300, 60, mem=89.0, run=run)
    assert run.last.action is PAUSE  # above the memory resume limit
    tr.feed(guard, 300, 310, 60, mem=88.0, run=run)
    assert run.last.action is THROTTLE
    assert guard.state.vram_temperature_reported is True


def test_without_vram_temperature_the_software_bit_stands_in(tr: SimpleNamespace) -> None:
    guard = tr.make_guard()
    run = tr.feed(guard, 0, 4, 65, mem=None, bits=REASON_SW_THERMAL)
    assert run.last.action is THROTTLE
    assert "VRAM temperature is not reported by the driver" in run.last.reason
    assert guard.state.vram_temperature_reported is False
    tr.feed(guard, 4, 70, 65, mem=None, bits=REASON_SW_THERMAL, run=run)
    assert run.last.action is PAUSE
    assert "its memory, whose temperature the driver does not report" in run.last.reason


# --- emergency -------------------------------------------------------------------------


def test_emergency_near_slowdown_is_sticky_until_acknowledged(
    guard: ThermalGuard, tr: SimpleNamespace
) -> None:
    run = tr.feed(guard, 0, 6, 90)
    assert run.times(EMERGENCY) == [0]
    assert run.last.reason.startswith("GPU at 90 °C, at or above the emergency limit of 90 °C")
    tr.feed(guard, 6, 1000, 40, run=run)
    assert run.last.action is EMERGENCY
    guard.acknowledge()
    assert guard.state.state is ThermalState.PAUSED
    tr.feed(guard, 1000, 1200, 40, run=run)
    # Fresh readings, and a full cooldown from the last reading before the click (t=998).
    assert run.times(RUN) == [1118]


def test_emergency_from_the_shutdown_margin(tr: SimpleNamespace) -> None:
    from desktop.model import ThermalThresholds

    guard = tr.make_guard(thresholds=ThermalThresholds(93, 99, 92, None))  # emergency 87
    run = tr.feed(guard, 0, 4, 87)
    assert run.last.action is EMERGENCY and "shuts down at 92 °C" in run.last.reason


def test_fan_at_zero_while_hot_for_30_s_is_an_emergency(tr: SimpleNamespace) -> None:
    run = tr.feed(tr.make_guard(), 0, 40, 75, fan=0.0)
    assert run.times(EMERGENCY) == [30]
    assert "fan has been at 0 % for 30 s while the GPU is at 75 °C" in run.last.reason
    cool = tr.feed(tr.make_guard(), 0, 100, 65, fan=0.0)  # idle fan stop at 65 °C is normal
    unknown = tr.feed(tr.make_guard(), 0, 100, 75, fan=None)  # fan not reported
    assert EMERGENCY not in {d.action for d in cool.decisions + unknown.decisions}


def test_gpu_lost_is_an_emergency_at_once(guard: ThermalGuard, tr: SimpleNamespace) -> None:
    tr.feed(guard, 0, 10, 60)
    d = guard.observe_failure(10, "gpu_lost")
    assert d.action is EMERGENCY and "stopped responding (gpu_lost)" in d.reason
    assert tr.feed(guard, 12, 500, 40).last.action is EMERGENCY


# --- sensor failure fails closed ---------------------------------------------------------


def test_three_failed_reads_in_a_row_pause(guard: ThermalGuard, tr: SimpleNamespace) -> None:
    tr.feed(guard, 0, 10, 60)
    assert guard.observe_failure(10, "read_error").action is RUN
    assert guard.observe_failure(12, "timeout").action is RUN
    d = guard.observe_failure(14, "timeout")
    assert d.action is PAUSE and "could not be read 3 times in a row (timeout)" in d.reason
    # Readings come back: work waits for 3 fresh samples and the cooldown from t=14.
    run = tr.feed(guard, 16, 200, 60)
    assert run.times(RUN) == [134]


def test_a_good_read_resets_the_failure_count(guard: ThermalGuard, tr: SimpleNamespace) -> None:
    tr.feed(guard, 0, 10, 60)
    guard.observe_failure(10, "read_error")
    guard.observe_failure(12, "read_error")
    tr.feed(guard, 14, 16, 60)
    assert guard.observe_failure(16, "read_error").action is RUN
    # A sample without a core temperature is a failed read too.
    run = tr.feed(guard, 18, 24, None)
    assert [d.action for d in run.decisions] == [RUN, PAUSE, PAUSE]


# --- repeat trips ------------------------------------------------------------------------


def _trip(guard: ThermalGuard, tr: SimpleNamespace, start: float) -> list[GuardAction]:
    """Heat to 86 °C for 30 s, then cool to 60 °C for 150 s (enough to resume)."""
    run = tr.feed(guard, start, start + 30, 86)
    tr.feed(guard, start + 30, start + 180, 60, run=run)
    return [d.action for d in run.changes]


def test_three_pauses_in_30_minutes_stop_for_the_day(
    guard: ThermalGuard, tr: SimpleNamespace
) -> None:
    assert PAUSE in _trip(guard, tr, 0)
    assert PAUSE in _trip(guard, tr, 600)
    third = _trip(guard, tr, 1200)
    assert STOP_FOR_DAY in third and third[-1] is STOP_FOR_DAY
    assert "overheated 3 times in 30 minutes" in guard.state.reason
    assert tr.feed(guard, 1400, 5000, 50, step=10).last.action is STOP_FOR_DAY
    guard.reset_day()
    assert tr.feed(guard, 5000, 5010, 50).last.action is THROTTLE  # resumes, still throttled


def test_pauses_further_apart_than_the_window_do_not_add_up(
    guard: ThermalGuard, tr: SimpleNamespace
) -> None:
    for start in (0, 1000, 2000, 3000):
        assert STOP_FOR_DAY not in _trip(guard, tr, start)


def test_stop_for_the_day_still_escalates_to_emergency(
    guard: ThermalGuard, tr: SimpleNamespace
) -> None:
    for start in (0, 600, 1200):
        _trip(guard, tr, start)
    assert guard.observe_failure(1500, "gpu_lost").action is EMERGENCY
    guard.reset_day()  # a new day does not lift an emergency
    assert guard.state.state is ThermalState.EMERGENCY
