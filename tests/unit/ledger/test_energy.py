"""Energy periods: counter deltas, power fallback, garbage and crash recovery."""

from __future__ import annotations

import pytest

from desktop.ledger import Ledger


def test_counter_reset_falls_back_to_power(ledger: Ledger) -> None:
    p = ledger.start_energy_period("GPU-1", "demo", 0.0, counter_j=5000.0)
    assert ledger.energy_tick(p, 60.0, counter_j=11000.0) == pytest.approx(6000.0)
    # The driver reloaded: the counter restarted near zero; use power * elapsed instead.
    assert ledger.energy_tick(p, 120.0, counter_j=10.0, power_w=50.0) == pytest.approx(9000.0)
    assert ledger.energy_tick(p, 180.0, counter_j=3010.0) == pytest.approx(12000.0)


def test_implausible_jump_is_capped(ledger: Ledger) -> None:
    p = ledger.start_energy_period("GPU-1", "demo", 0.0, counter_j=0.0)
    assert ledger.energy_tick(p, 10.0, counter_j=1e12) == pytest.approx(30_000.0)  # 3 kW * 10 s


def test_closed_period_ignores_ticks_and_crash_leftovers_close(ledger: Ledger) -> None:
    p = ledger.start_energy_period("GPU-1", "demo", 0.0, counter_j=0.0)
    ledger.end_energy_period(p, 10.0, counter_j=100.0)
    assert ledger.energy_tick(p, 20.0, counter_j=500.0) == pytest.approx(100.0)
    left = ledger.start_energy_period("GPU-1", "demo", 30.0, counter_j=0.0)
    ledger.energy_tick(left, 40.0, counter_j=50.0)
    assert ledger.close_open_energy_periods() == 1
    periods = ledger.energy_periods(0.0)
    assert [(x.id, x.end_ts, x.energy_j, x.open) for x in periods] == [
        (p, 10.0, 100.0, False),
        (left, 40.0, 50.0, False),
    ]
    with pytest.raises(KeyError):
        ledger.energy_tick(999, 1.0)
