"""Status polls: concurrent across networks, each call bounded by a timeout, never two calls
of one network at once, and a slow network never delays another."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

from desktop.model import NodeState
from desktop.networks.records import StatusSnapshot
from tests.unit.networks.fakes import Scripted, settle, supervisor


class Hanging(Scripted):
    """A network whose status call hangs until the test lets it answer."""

    def __init__(self, clock: Any, network_id: str = "slow") -> None:
        super().__init__(clock, network_id)
        self.answer = threading.Event()
        self.started = 0

    def status(self) -> StatusSnapshot:
        self.started += 1
        self.answer.wait(30)
        return StatusSnapshot(self.state, "late", self.clock())


class Meeting(Scripted):
    """A network whose status answers only once the other one's call is out too."""

    def __init__(self, clock: Any, network_id: str, barrier: threading.Barrier) -> None:
        super().__init__(clock, network_id)
        self.barrier = barrier

    def status(self) -> StatusSnapshot:
        self.barrier.wait()  # BrokenBarrierError (after its timeout) if polled one by one
        return super().status()


def enroll(sup: Any, *networks: str) -> None:
    for network in networks:
        asyncio.run(sup.enroll(network, {"token": "t"}))
    settle(sup)


def test_networks_are_polled_at_the_same_time(clock: Any, ledger: Any, memory_keyring: Any) -> None:
    barrier = threading.Barrier(2, timeout=5)
    one, two = Meeting(clock, "one", barrier), Meeting(clock, "two", barrier)
    sup, _ = supervisor(clock, ledger, memory_keyring, one, two)
    enroll(sup, "one", "two")
    asyncio.run(sup.poll_once())
    assert [b["state"] for b in sup.summary()] == ["idle", "idle"]


def test_a_call_that_runs_late_is_unknown_and_never_asked_twice(
    clock: Any, ledger: Any, memory_keyring: Any, caplog: pytest.LogCaptureFixture
) -> None:
    slow, fast = Hanging(clock), Scripted(clock, "fast")
    sup, events = supervisor(clock, ledger, memory_keyring, slow, fast, call_timeout_s=0.2)
    enroll(sup, "slow", "fast")
    caplog.set_level(logging.INFO, "desktop.worker.supervisor")
    try:
        asyncio.run(sup.poll_once())  # returns after the timeout, not after the hang
        slow_brief, fast_brief = sup.summary()
        assert slow_brief["state"] == "unknown"
        assert slow_brief["message"] == "Fake network did not answer within 0.2 s"
        assert fast_brief["state"] == "idle"
        for _ in range(3):  # its call is still out: no second one
            asyncio.run(sup.poll_once())
        assert slow.started == 1 and fast.calls.count("status") == 4
        assert "slow has not answered its last status call yet" in caplog.text
        assert [s.state for s in ledger.network_history("slow", 0)] == [NodeState.UNKNOWN]
    finally:
        slow.answer.set()
    slow.state = NodeState.IDLE
    for _ in range(100):  # the late answer lands on the loop, then polls go on
        asyncio.run(sup.poll_once())
        if sup.summary()[0]["state"] == "idle":
            break
    assert sup.summary()[0]["state"] == "idle" and slow.started >= 2


def test_a_slow_network_never_delays_another(clock: Any, ledger: Any, memory_keyring: Any) -> None:
    slow, fast = Hanging(clock), Scripted(clock, "fast")
    sup, _ = supervisor(
        clock, ledger, memory_keyring, slow, fast, poll_interval_s=0.01, call_timeout_s=0.2
    )
    enroll(sup, "slow", "fast")

    async def scenario() -> None:
        polls = asyncio.create_task(sup.run())
        for _ in range(1000):  # at most ~10 s: until the fast network was polled 20 times
            if fast.calls.count("status") >= 20:
                break
            await asyncio.sleep(0.01)
        assert slow.started == 1  # meanwhile the slow one is still on its first call
        slow.answer.set()
        await sup.close()
        await asyncio.wait_for(polls, 5)

    try:
        asyncio.run(scenario())
    finally:
        slow.answer.set()
    assert fast.calls.count("status") >= 20


def test_a_status_that_raises_is_unknown_with_the_reason(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    class Broken(Scripted):
        def status(self) -> StatusSnapshot:
            raise ConnectionError("the node API is gone")

    broken = Broken(clock)
    sup, _ = supervisor(clock, ledger, memory_keyring, broken)
    enroll(sup, "fake")
    asyncio.run(sup.poll_once())
    (brief,) = sup.summary()
    assert brief["state"] == "unknown" and brief["message"] == "status failed: the node API is gone"


def test_a_network_not_enrolled_is_never_polled_and_enrolling_polls_it_at_once(
    clock: Any, ledger: Any, memory_keyring: Any
) -> None:
    idle, other = Scripted(clock, "idle"), Scripted(clock, "other")
    # An hour between polls: only the wake at enrollment can make the poll happen now.
    sup, _ = supervisor(clock, ledger, memory_keyring, idle, other, poll_interval_s=3600)

    async def scenario() -> tuple[int, int]:
        polls = asyncio.create_task(sup.run())
        for _ in range(20):  # many turns of the loop: nothing is due for either network
            await asyncio.sleep(0)
        before = idle.calls.count("status") + other.calls.count("status")
        await sup.enroll("idle", {"token": "t"})
        for _ in range(500):  # a time-out of ~5 s, not a measurement
            if idle.calls.count("status"):
                break
            await asyncio.sleep(0.01)
        after = idle.calls.count("status")
        await sup.close()
        await asyncio.wait_for(polls, 5)
        return before, after

    before, after = asyncio.run(scenario())
    assert before == 0 and after == 1 and other.calls.count("status") == 0
