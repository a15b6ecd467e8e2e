"""One clock for the networks: in simulated time, uptime is what a hand computation says.

The worker builds the practice network without a clock (wall time) and gives the
supervisor the simulated clock, which runs 30 times faster; every status row, snapshot and
the network's own uptime must then be in simulated seconds.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from desktop.ledger.ledger import Ledger
from desktop.model import NodeState
from desktop.networks import registry
from desktop.networks.demo import DemoNetwork
from desktop.secrets import SecretStore
from desktop.worker.supervisor import MIN_POLL_S, Supervisor
from tests.unit.networks.conftest import FakeClock, MemoryKeyring

SPEED = 30.0
POLL_S = 2.0  # real seconds, as the worker polls the practice network


class SimClock:
    """Simulated epoch seconds: SPEED times faster than ``wall`` from the start."""

    def __init__(self, wall: FakeClock) -> None:
        self.wall, self.base = wall, wall.now

    def __call__(self) -> float:
        return self.base + (self.wall.now - self.base) * SPEED


def test_uptime_after_interruptions_in_sim_time_matches_the_hand_count(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    wall = FakeClock()
    sim = SimClock(wall)
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    context = registry.AdapterContext(demo_speed=SPEED, demo_tick_interval_s=None)
    demo = registry.create("demo", context)  # built as the worker builds it: no clock given
    assert isinstance(demo, DemoNetwork)
    sup = Supervisor({}, ledger, SecretStore(backend=memory_keyring), lambda e: None, clock=sim)
    sup.adapters["demo"] = demo  # added after construction, as the worker's wiring does

    async def run_for(real_s: float, poll: bool = True) -> None:
        for _ in range(int(real_s / POLL_S)):
            wall.advance(POLL_S)
            demo.tick()
            if poll:
                await sup.poll_once()

    async def scenario() -> dict[str, Any]:
        await sup.start()
        await sup.enroll("demo", {})
        await sup.poll_once()  # first observation: idle, at sim 0
        await run_for(600)  # up: 600 real s = 18 000 sim s
        await sup.act("demo", "pause")  # the user interrupts the practice network
        await sup.poll_once()
        await run_for(200)  # paused: 6 000 sim s
        await sup.act("demo", "resume")
        await sup.poll_once()
        await run_for(200)  # up again: 6 000 sim s
        (first,) = await sup.summaries(["demo"])
        await run_for(100, poll=False)  # the worker is not running: 3 000 sim s unseen
        await sup.poll_once()  # back: seen up at once
        await run_for(100)  # up again: 3 000 sim s
        (second,) = await sup.summaries(["demo"])
        return {"first": first, "second": second}

    try:
        seen = asyncio.run(scenario())
        history = ledger.network_history("demo", 0)
    finally:
        ledger.close()
    start = sim.base
    # up 18 000 + 6 000 of 30 000 simulated seconds
    assert seen["first"]["uptime_pct"] == pytest.approx(100 * 24_000 / 30_000)
    assert seen["first"]["reputation"]["uptime_pct"] == pytest.approx(80.0)
    # the unseen 3 000 s count as down: up 27 000 of 36 000
    assert seen["second"]["uptime_pct"] == pytest.approx(75.0)
    assert seen["second"]["as_of"] == pytest.approx(sim())
    assert [(s.state, s.ts - start) for s in history] == [
        (NodeState.IDLE, 0.0),
        (NodeState.PAUSED, 18_000.0),
        (NodeState.IDLE, 24_000.0),
        (NodeState.IDLE, 33_000.0),  # seen again after the gap
    ]
    assert history[-1].until_ts == pytest.approx(sim())
    assert demo.status().as_of == pytest.approx(sim())  # the network lives on sim time too


@pytest.mark.parametrize(
    ("clock_s", "real_s", "wait"),
    [
        (2.0, 2.0, 2.0),  # real time: the configured interval
        (60.0, 2.0, 2.0),  # 30x: 60 sim s between polls is close enough
        (240.0, 2.0, 1.0),  # 120x: twice as often, 120 sim s apart
        (1e6, 1.0, MIN_POLL_S),  # absurd speed: never faster than the floor
        (0.0, 0.0, 2.0),  # nothing measured yet
    ],
)
def test_polls_come_sooner_when_time_runs_fast(
    clock_s: float, real_s: float, wait: float, ledger: Ledger, memory_keyring: MemoryKeyring
) -> None:
    secrets = SecretStore(backend=memory_keyring)
    sup = Supervisor({}, ledger, secrets, lambda e: None, poll_interval_s=2.0)
    assert sup.poll_wait(clock_s, real_s) == pytest.approx(wait)
