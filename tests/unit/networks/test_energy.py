from __future__ import annotations

from typing import Any

from desktop.networks.energy import EnergyAccounting


class Counting:
    """Forwards to the real ledger and counts the writes."""

    def __init__(self, ledger: Any) -> None:
        self.ledger, self.writes = ledger, 0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.ledger, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.writes += 1
            return target(*args, **kwargs)

        return call


def test_periods_open_tick_once_a_minute_and_close(ledger: Any) -> None:
    counting = Counting(ledger)
    energy = EnergyAccounting(counting, tick_every_s=60.0)
    for second in range(0, 301):  # 1 Hz for five minutes at 200 W
        energy.observe("GPU-1", 1000.0 + second, 50_000.0 + 200.0 * second, 200.0, ["demo"])
    assert counting.writes == 1 + 5  # open + one tick a minute
    energy.observe("GPU-1", 1301.0, 50_000.0 + 200.0 * 301, 200.0, [])  # demo stopped
    (period,) = ledger.energy_periods(0)
    assert not period.open and period.energy_j == 200.0 * 301
    assert (period.start_ts, period.end_ts) == (1000.0, 1301.0)


def test_pending_readings_are_written_before_a_report(ledger: Any) -> None:
    energy = EnergyAccounting(ledger, tick_every_s=60.0)
    energy.observe("GPU-1", 0.0, 0.0, None, ["a", "b"])
    energy.observe("GPU-1", 30.0, 6000.0, None, ["a", "b"])
    energy.tick_all(30.0)
    assert sorted((p.network, p.energy_j) for p in ledger.energy_periods(0)) == [
        ("a", 6000.0),
        ("b", 6000.0),
    ]
    energy.close_network("a", 31.0)
    assert energy.open_networks() == {"b"}
    energy.close_all(32.0)
    assert energy.open_networks() == set()
