"""The early-look watch: scripted readings in, "look at the process list now" out."""

from __future__ import annotations

from desktop.guard.gpu_use import GpuUseWatch, UseWatchPolicy

T0 = 1_000.0


def run(
    watch: GpuUseWatch, trace: list[tuple[float, float | None, float | None, bool]]
) -> list[float]:
    """Feed (t, vram MiB, util %, ours running) readings; look whenever asked (as the guard
    does). Returns the times of the early looks."""
    looks = []
    for t, vram, util, ours in trace:
        if watch.observe(vram, util, ours, T0 + t):
            watch.looked(vram, T0 + t)
            looks.append(t)
    return looks


def steady(seconds: float, vram: float, util: float, ours: bool, start: float = 0.0,
           dt: float = 2.0) -> list[tuple[float, float | None, float | None, bool]]:  # fmt: skip
    return [(start + i * dt, vram, util, ours) for i in range(int(seconds / dt))]


def test_a_steady_gpu_never_asks() -> None:
    watch = GpuUseWatch()
    watch.looked(5000.0, T0)  # the routine list at start
    assert run(watch, steady(600, 5000.0, 100.0, True)) == []
    assert run(watch, steady(600, 900.0, 2.0, False, start=600)) == []  # idle desktop


def test_vram_rising_beyond_the_last_list_asks_once() -> None:
    watch = GpuUseWatch()
    watch.looked(5000.0, T0)
    trace = steady(10, 5000.0, 100.0, True) + steady(60, 7048.0, 100.0, True, start=10)
    assert run(watch, trace) == [10.0]  # the first reading after the rise; then explained
    assert "2048 MiB above the last list" in watch.reason


def test_a_rise_below_the_threshold_is_noise() -> None:
    watch = GpuUseWatch()
    watch.looked(5000.0, T0)
    assert run(watch, steady(60, 5200.0, 100.0, True)) == []


def test_early_looks_are_at_most_one_per_3_s() -> None:
    watch = GpuUseWatch()
    watch.looked(1000.0, T0 - 10.0)
    rising = [(t, 1000.0 + 300.0 * t, 100.0, True) for t in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0)]
    assert run(watch, rising) == [1.0, 4.0, 7.0]  # the rises between wait for the gap


def test_a_recent_routine_list_delays_an_early_one() -> None:
    watch = GpuUseWatch()
    watch.looked(1000.0, T0 + 1.0)  # a routine list at 1 s
    assert not watch.observe(3000.0, 100.0, True, T0 + 2.0)  # 1 s later: too soon
    assert watch.observe(3000.0, 100.0, True, T0 + 4.0)  # 3 s after the list


def test_breathing_memory_does_not_ask_on_every_breath() -> None:
    watch = GpuUseWatch()
    watch.looked(6000.0, T0)
    breaths = [(t * 2.0, 6000.0 if t % 3 else 5000.0, 100.0, True) for t in range(300)]
    assert run(watch, breaths) == []  # the fall never held for 10 s


def test_a_fall_that_holds_becomes_the_baseline() -> None:
    watch = GpuUseWatch()
    watch.looked(6000.0, T0)
    trace = steady(20, 1000.0, 0.0, False)  # our job ended: 1 GB in use from then on
    trace += steady(10, 3000.0, 90.0, False, start=20)  # then a program takes 2 GB
    assert run(watch, trace) == [20.0]


def test_a_busy_gpu_without_our_work_asks_once_per_busy_spell() -> None:
    watch = GpuUseWatch()
    watch.looked(900.0, T0)
    trace = steady(10, 900.0, 0.0, False)
    trace += steady(120, 900.0, 95.0, False, start=10)  # busy, no new memory (a video?)
    trace += steady(30, 900.0, 0.0, False, start=130)  # calm for 30 s
    trace += steady(10, 900.0, 95.0, False, start=160)  # busy again
    assert run(watch, trace) == [10.0, 160.0]
    assert "95 % busy while none of our jobs runs" in watch.reason


def test_our_own_work_keeping_the_gpu_busy_is_no_hint() -> None:
    watch = GpuUseWatch()
    watch.looked(5000.0, T0)
    assert run(watch, steady(120, 5000.0, 100.0, True)) == []


def test_unknown_readings_ask_nothing() -> None:
    watch = GpuUseWatch(UseWatchPolicy(min_gap_s=0.0))
    assert run(watch, steady(60, None, None, False)) == []


def test_a_network_rule_below_the_busy_level_looks_at_its_own_level() -> None:
    """io.net on a 4090 allows others 5 %: a program at 12 % is looked for at once;
    without the rule 12 % is below the 30 % busy level and never asks."""
    trace = steady(20, 900.0, 1.0, False) + steady(20, 900.0, 12.0, False, start=20)
    plain = GpuUseWatch()
    plain.looked(900.0, T0)
    assert run(plain, trace) == []
    strict = GpuUseWatch()
    strict.busy_at(5.0)
    strict.looked(900.0, T0)
    assert run(strict, trace) == [20.0]
    assert strict.policy.calm_util_pct == 2.5  # calm is below half the rule, not 10 %
    strict.busy_at(None)  # the network left: the usual levels again
    assert strict.policy == UseWatchPolicy()
    strict.busy_at(45.0)  # a rule above the busy level changes nothing
    assert strict.policy == UseWatchPolicy()
