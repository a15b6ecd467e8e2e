from __future__ import annotations

import random

import pytest

from desktop.networks.backoff import Backoff, RetryGate


def test_delays_double_up_to_the_cap_without_jitter() -> None:
    backoff = Backoff(base=1.0, factor=2.0, cap=10.0, jitter=0.0)
    assert [backoff.next_delay() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    backoff.reset()
    assert backoff.next_delay() == 1.0


def test_jitter_stays_within_its_band_and_under_the_cap() -> None:
    backoff = Backoff(base=4.0, cap=20.0, jitter=0.25, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(40)]
    assert 3.0 <= delays[0] <= 5.0
    assert all(d <= 20.0 for d in delays)
    assert len({round(d, 6) for d in delays[5:]}) > 1  # jittered, not lock-step


def test_huge_failure_counts_do_not_overflow() -> None:
    backoff = Backoff(base=1.0, cap=300.0, jitter=0.0, failures=10_000)
    assert backoff.next_delay() == 300.0


def test_gate_blocks_until_the_delay_has_passed() -> None:
    now = [100.0]
    gate = RetryGate(Backoff(base=2.0, jitter=0.0), clock=lambda: now[0])
    assert gate.ready()
    assert gate.failed() == pytest.approx(2.0)
    assert not gate.ready()
    assert gate.remaining == pytest.approx(2.0)
    now[0] += 2.0
    assert gate.ready()
    assert gate.failed() == pytest.approx(4.0)
    gate.succeeded()
    assert gate.ready() and gate.backoff.failures == 0
