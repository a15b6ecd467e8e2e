"""ThermalPolicy: per-card defaults from NVML thresholds (§9), overrides and their bounds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.guard.thermal import InvalidThermalPolicy, ThermalPolicy, is_gddr6x
from desktop.model import ThermalThresholds as T


@pytest.mark.parametrize(
    ("thresholds", "soft", "pause", "resume", "emergency"),
    [
        # Nothing reported: fallback 83/90/95 → soft 75, pause 80, emergency min(90, 88, 90).
        (T(None, None, None, None), 75, 80, 70, 88),
        # RTX 3060 Ti 93/95/98: the headline 80/85/70/90.
        (T(93, 95, 98, None), 80, 85, 70, 90),
        # HBM datacenter card 87/89/92: emergency = slowdown - 2 = shutdown - 5 = 87.
        (T(87, 89, 92, 95), 79, 84, 70, 87),
        # Shutdown close above max-op: emergency = shutdown - 5 = 87 wins over 90 and slow - 2.
        (T(93, 99, 92, None), 80, 85, 70, 87),
        # Glitched readings (0 °C, 255 °C) are ignored in favour of the fallback.
        (T(0, 255, None, None), 75, 80, 70, 88),
    ],
)
def test_for_card_derives_the_section_9_limits(
    thresholds: T, soft: float, pause: float, resume: float, emergency: float
) -> None:
    policy = ThermalPolicy.for_card(thresholds)
    assert (policy.soft_c, policy.pause_c, policy.resume_c, policy.emergency_c) == (
        soft, pause, resume, emergency,
    )  # fmt: skip
    assert policy.validate(thresholds) == []
    assert (policy.cooldown_s, policy.pause_after_s, policy.sw_thermal_pause_after_s) == (
        120, 10, 60,
    )  # fmt: skip
    assert (policy.repeat_trips, policy.repeat_window_s, policy.failed_reads_limit) == (3, 1800, 3)
    assert (policy.fan_zero_hot_c, policy.fan_zero_after_s) == (70, 30)


def test_memory_limits_follow_the_memory_type_and_the_cards_own_maximum() -> None:
    x = ThermalPolicy.for_card(T(93, 95, 98, None), gddr6x=True)
    assert (x.mem_soft_c, x.mem_pause_c, x.mem_resume_c) == (94, 100, 88)
    plain = ThermalPolicy.for_card(T(93, 95, 98, None))
    assert plain.mem_pause_c == 95
    capped = ThermalPolicy.for_card(T(87, 89, 92, 92), gddr6x=True)
    assert capped.mem_pause_c == 92 and capped.mem_soft_c == 91 and capped.mem_resume_c == 87


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NVIDIA GeForce RTX 3090", True),
        ("NVIDIA GeForce RTX 3070 Ti", True),
        ("NVIDIA GeForce RTX 3070", False),
        ("NVIDIA GeForce RTX 3060 Ti", False),
        ("NVIDIA A100-SXM4-40GB", False),
    ],
)
def test_gddr6x_models(name: str, expected: bool) -> None:
    assert is_gddr6x(name) is expected


def test_overrides_inside_the_bounds_are_applied() -> None:
    policy = ThermalPolicy.for_card(T(93, 95, 98, None), {"pause_c": 83, "resume_c": 65})
    assert (policy.pause_c, policy.resume_c) == (83, 65)
    assert policy.with_overrides({"repeat_trips": 5.0}).repeat_trips == 5


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"pause_c": 96}, "pause_c", "above this card's slowdown point of 95 °C"),
        ({"pause_c": 92}, "pause_c", "allowed range is 50 °C to 89 °C"),
        ({"resume_c": 82}, "resume_c", "at least 5 °C below pause_c"),
        ({"soft_c": 86}, "soft_c", "allowed range is 40 °C to 84 °C"),
        ({"emergency_c": 94}, "emergency_c", "slows itself at 95 °C"),
        ({"mem_pause_c": 120}, "mem_pause_c", "allowed range is 60 °C to 110 °C"),
        ({"cooldown_s": 5}, "cooldown_s", "allowed range is 30 s to 3600 s"),
        ({"repeat_trips": 2.5}, "repeat_trips", "whole number"),
        ({"pause_c": "hot"}, "pause_c", "must be a number"),
        ({"pause_limit": 80}, "pause_limit", "not a thermal setting"),
        ({"card_slowdown_c": 120}, "card_slowdown_c", "not a thermal setting"),
    ],
)
def test_unsafe_overrides_are_refused_with_the_field_and_range(
    overrides: dict[str, float], field: str, fragment: str
) -> None:
    with pytest.raises(InvalidThermalPolicy) as info:
        ThermalPolicy.for_card(T(93, 95, 98, None), overrides)
    text = " ".join(info.value.problems)
    assert field in text and fragment in text


def test_validate_checks_a_policy_against_another_card() -> None:
    policy = ThermalPolicy.for_card(T(93, 95, 98, None))  # pause 85, emergency 90
    problems = policy.validate(T(87, 89, 92, None))  # this card slows at 89 °C
    assert any(p.startswith("emergency_c is 90 °C") for p in problems)
    assert ThermalPolicy.for_card(T(87, 89, 92, None)).validate(T(87, 89, 92, None)) == []


plausible = st.one_of(st.none(), st.floats(min_value=60, max_value=130))


@settings(max_examples=200, deadline=None)
@given(maxop=plausible, slow=plausible, shut=plausible, mem=plausible, x=st.booleans())
def test_derived_defaults_are_always_valid_and_ordered(
    maxop: float | None, slow: float | None, shut: float | None, mem: float | None, x: bool
) -> None:
    thresholds = T(maxop, slow, shut, mem)
    p = ThermalPolicy.for_card(thresholds, gddr6x=x)
    assert p.validate(thresholds) == []
    assert p.soft_c < p.pause_c < p.emergency_c
    assert p.resume_c <= p.pause_c - 5
    assert p.emergency_c <= min(p.card_slowdown_c - 2, p.card_shutdown_c - 5, 90)
    assert p.mem_resume_c <= p.mem_pause_c - 5 and p.mem_soft_c < p.mem_pause_c
