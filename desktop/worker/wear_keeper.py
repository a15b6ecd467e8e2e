"""Keeps every GPU's wear (desktop/money/wear.py) from the samples, in the ledger.

Why a keeper: samples arrive on the event loop several times a second per GPU; updating a
small record in memory is cheap there, and the ledger gets the records once a minute from
a thread (and at close), so a crash loses at most a minute of wear.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from desktop.ledger.health import LedgerError
from desktop.ledger.money import Wear
from desktop.model import GpuInfo, GpuSample
from desktop.money.wear import WearState, observe
from desktop.worker.guard_settings import card_policy, read_values

log = logging.getLogger(__name__)
SAVE_EVERY_S = 60.0


class WearKeeper:
    def __init__(
        self,
        ledger: Any,
        infos: Callable[[], Sequence[GpuInfo]],
        settings: Callable[[str], Any],
        now: Callable[[], float],
    ) -> None:
        self.ledger, self.infos, self.settings, self.now = ledger, infos, settings, now
        self.states: dict[str, WearState] = {}
        self._soft: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._loaded = False

    def load(self) -> None:
        """The wear kept so far (blocking)."""
        for w in self.ledger.wear():
            self.states[w.gpu_uuid] = WearState(
                w.gpu_uuid, w.name, w.since_ts, w.updated_ts, w.above_soft_s,
                w.thermal_cycles, w.hot, w.peak_core_c, w.peak_mem_c, w.energy_j,
            )  # fmt: skip
        self._loaded = True

    def soft_limit(self, uuid: str) -> float:
        if uuid not in self._soft:
            values = read_values(self.settings)
            for info in self.infos():
                self._soft[info.uuid] = card_policy(info, values).policy.soft_c
        return self._soft.get(uuid, 83.0)

    def on_sample(self, sample: GpuSample) -> None:
        """A sample (on the loop; never blocks)."""
        state = self.states.get(sample.uuid)
        if state is None:
            name = next((i.name for i in self.infos() if i.uuid == sample.uuid), "")
            state = WearState(sample.uuid, name, sample.ts, sample.ts)
        self.states[sample.uuid] = observe(
            state,
            sample.ts,
            sample.core_temp_c,
            sample.mem_temp_c,
            sample.power_w,
            sample.energy_j,
            self.soft_limit(sample.uuid),
        )

    def settings_changed(self) -> None:
        self._soft.clear()

    def snapshot(self) -> list[Wear]:
        return [
            Wear(s.gpu_uuid, s.name, s.since_ts, s.updated_ts, s.above_soft_s,
                 s.thermal_cycles, s.hot, s.peak_core_c, s.peak_mem_c, s.energy_j)
            for s in self.states.values()
        ]  # fmt: skip

    def save(self) -> None:
        try:
            self.ledger.save_wear(self.snapshot())
        except LedgerError as exc:
            log.info("wear not saved: %s", exc)

    async def start(self) -> None:
        if not self._loaded:
            await asyncio.to_thread(self.load)
        self._task = asyncio.create_task(self._run(), name="wear")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(SAVE_EVERY_S)
            await asyncio.to_thread(self.save)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await asyncio.to_thread(self.save)

    def forget_counter(self) -> None:
        """Counters restart with the driver: drop the last one (energy goes on from power)."""
        self.states = {u: replace(s, last_counter_j=None) for u, s in self.states.items()}
