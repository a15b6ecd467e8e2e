"""Energy accounting per (GPU, network): the ledger's running periods, fed by GPU readings.

Why: net earnings need the energy a network's GPU time used (desktop/money/valuation.py). A
period opens when a network starts running (idle or busy: the node holds the GPU either
way), is ticked with the GPU's cumulative energy counter, and closes when the network
stops. Ticks are written at most once per ``tick_every_s`` (the counter makes the delta
exact whatever the spacing), so a 1 Hz sampler costs one small write a minute per GPU.
When two networks run on one GPU at the same time each period sees the whole counter
delta, which over-states the cost; RigPilot runs one network per GPU.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass
class _Open:
    """An energy period being written: where its last reading left it."""

    period_id: int
    written_ts: float
    ts: float
    counter_j: float | None
    power_w: float | None


class EnergyAccounting:
    """Thread-safe; ``ledger`` has start_energy_period, energy_tick, end_energy_period."""

    def __init__(self, ledger: Any, tick_every_s: float = 60.0) -> None:
        self.ledger = ledger
        self.tick_every_s = tick_every_s
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str], _Open] = {}

    def observe(
        self,
        gpu_uuid: str,
        ts: float,
        counter_j: float | None,
        power_w: float | None,
        running: Iterable[str],
    ) -> None:
        """One reading of one GPU while ``running`` networks are up."""
        running = set(running)
        with self._lock:
            for network in sorted(running):
                key = (gpu_uuid, network)
                current = self._open.get(key)
                if current is None:
                    period = self.ledger.start_energy_period(gpu_uuid, network, ts, counter_j)
                    self._open[key] = _Open(period, ts, ts, counter_j, power_w)
                    continue
                current.ts, current.counter_j, current.power_w = ts, counter_j, power_w
                if ts - current.written_ts >= self.tick_every_s:
                    self.ledger.energy_tick(current.period_id, ts, counter_j, power_w)
                    current.written_ts = ts
            for key in [k for k in self._open if k[0] == gpu_uuid and k[1] not in running]:
                ended = self._open.pop(key)
                self.ledger.end_energy_period(ended.period_id, ts, counter_j, power_w)

    def tick_all(self, ts: float) -> None:
        """Write every open period up to its last reading (before a report is read)."""
        del ts  # the last reading's own time is what the counter covers
        with self._lock:
            for current in self._open.values():
                if current.ts > current.written_ts:
                    self.ledger.energy_tick(
                        current.period_id, current.ts, current.counter_j, current.power_w
                    )
                    current.written_ts = current.ts

    def close_network(self, network: str, ts: float) -> None:
        self._close(lambda key: key[1] == network)

    def close_all(self, ts: float) -> None:
        self._close(lambda key: True)

    def _close(self, match: Any) -> None:
        with self._lock:
            for key in [k for k in self._open if match(k)]:
                ended = self._open.pop(key)
                self.ledger.end_energy_period(
                    ended.period_id, ended.ts, ended.counter_j, ended.power_w
                )

    def open_networks(self) -> set[str]:
        with self._lock:
            return {network for _, network in self._open}
