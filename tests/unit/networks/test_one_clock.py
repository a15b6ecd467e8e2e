"""One clock for the networks: the practice market, the supervisor and the ledger rows all
read desktop.clock.now; the market's speed only shortens jobs and the gaps between offers.

The test moves the one clock (a FakeClock in place of desktop.clock.now) and never reads
the machine's date.
"""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop import clock as the_clock
from desktop.ledger.ledger import Ledger
from desktop.model import NodeState
from desktop.networks import registry
from desktop.networks.demo import DemoNetwork
from desktop.networks.demo_offers import Offers, OfferTerms
from desktop.networks.spec import AdapterContext
from desktop.secrets import SecretStore
from desktop.worker.supervisor import Supervisor
from tests.unit.networks.conftest import FakeClock, MemoryKeyring
from tests.unit.networks.fakes import settle

POLL_S = 10.0  # every 10 s of the one clock: few polls, each with its threads (slow under Wine)


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(the_clock, "now", fake)
    return fake


def test_uptime_and_every_stamp_are_on_the_one_clock(
    tmp_path: Path, memory_keyring: MemoryKeyring, wall: FakeClock
) -> None:
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    (spec,) = [s for s in registry.load_specs({}) if s.id == "demo"]
    demo = spec.build(AdapterContext(speed=30.0, env={}))  # as the worker builds it: no clock
    assert isinstance(demo, DemoNetwork)
    demo.market.tick_interval_s = None  # the test ticks it
    sup = Supervisor(
        [spec], {"demo": demo}, ledger, SecretStore(backend=memory_keyring), lambda e: None
    )

    async def run_for(seconds: float, poll: bool = True) -> None:
        for _ in range(int(seconds / POLL_S)):
            wall.advance(POLL_S)
            demo.tick()
            if poll:
                await sup.poll_once()

    async def scenario() -> dict[str, Any]:
        await sup.start()
        await sup.enroll("demo", {})
        settle(sup)
        await sup.poll_once()  # first observation: idle, at 0
        await run_for(600)  # up 600 s
        sup.pause_agent("demo", "a game")  # the reconciler pauses the practice network
        settle(sup)
        await sup.poll_once()
        await run_for(200)  # paused 200 s
        sup.resume_agent("demo", "the game ended")
        settle(sup)
        await sup.poll_once()
        await run_for(200)  # up again 200 s
        (first,) = await sup.views.summaries(["demo"])
        await run_for(100, poll=False)  # the worker is not running: 100 s unseen
        await sup.poll_once()  # back: seen up at once
        await run_for(100)
        (second,) = await sup.views.summaries(["demo"])
        return {"first": first, "second": second}

    start = wall.now
    try:
        seen = asyncio.run(scenario())
        history = ledger.network_history("demo", 0)
    finally:
        ledger.close()
    assert seen["first"]["uptime_pct"] == pytest.approx(100 * 800 / 1000)
    assert seen["first"]["reputation"]["uptime_pct"] == pytest.approx(80.0)
    # the unseen 100 s are bridged: a gap under the ledger's 300 s is not counted as down
    assert seen["second"]["uptime_pct"] == pytest.approx(100 * 1000 / 1200, abs=0.01)
    assert seen["second"]["as_of"] == pytest.approx(wall.now)
    assert [(s.state, s.ts - start) for s in history] == [
        (NodeState.IDLE, 0.0),
        (NodeState.PAUSED, 600.0),
        (NodeState.IDLE, 800.0),
    ]
    assert history[-1].until_ts == pytest.approx(wall.now)
    assert demo.status().as_of == pytest.approx(wall.now)  # the network's own stamps too
    for job in demo.jobs():
        assert start <= (job.started_ts or 0) <= wall.now


def test_speed_shortens_the_gaps_between_offers_and_the_jobs_not_their_pay() -> None:
    terms = OfferTerms()
    slow = Offers("demo", "img", terms, 1.0, random.Random(7))
    fast = Offers("demo", "img", terms, 60.0, random.Random(7))
    slow.schedule(0.0)
    fast.schedule(0.0)
    assert fast.due_at == pytest.approx((slow.due_at or 0) / 60)
    one, sixty = slow.make(0.0), fast.make(0.0)
    assert one["pay"] == sixty["pay"] and Decimal(one["pay"]["amount"]) > 0
    assert int(sixty["command"][1]) == max(1, round(int(one["command"][1]) / 60))
