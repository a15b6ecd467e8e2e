"""The event bus: numbering, bounded history, the long poll, the sink."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from desktop.model import Event, Severity
from desktop.worker.events import EventBus


def event(kind: str = "test.thing") -> Event:
    return Event(ts=1.0, kind=kind, severity=Severity.INFO, message=kind)


def test_events_are_numbered_in_order() -> None:
    bus = EventBus()
    published = [bus.publish(event(f"k{i}")) for i in range(3)]
    assert [e.seq for e in published] == [1, 2, 3]
    assert [e.kind for e in bus.since(1)] == ["k1", "k2"]
    assert bus.since(3) == []
    assert [e.seq for e in bus.since(0, limit=2)] == [1, 2]


def test_history_is_bounded_and_a_gap_is_skipped() -> None:
    bus = EventBus(history=3)
    for i in range(10):
        bus.publish(event(f"k{i}"))
    assert [e.seq for e in bus.since(0)] == [8, 9, 10]
    assert [e.seq for e in bus.since(2)] == [8, 9, 10]
    assert [e.seq for e in bus.since(8)] == [9, 10]


def test_a_seq_from_an_earlier_run_restarts_from_the_beginning() -> None:
    bus = EventBus()
    bus.publish(event())
    assert [e.seq for e in bus.since(500)] == [1]


def test_sink_sees_every_event_and_its_failure_is_contained() -> None:
    seen: list[int] = []

    def sink(e: Event) -> None:
        seen.append(e.seq)
        if e.seq == 2:
            raise RuntimeError("disk full")

    bus = EventBus(sink=sink)
    for _ in range(3):
        bus.publish(event())
    assert seen == [1, 2, 3]
    assert bus.last_seq == 3


async def _turns(done: Callable[[], bool], most: int = 100) -> bool:
    """Let the loop run a few turns (no time passes) until ``done``: what returns here was
    woken by what the test did, never by a time-out an hour away."""
    for _ in range(most):
        if done():
            return True
        await asyncio.sleep(0)
    return done()


def test_long_poll_returns_as_soon_as_an_event_arrives() -> None:
    async def scenario() -> tuple[bool, bool, list[int]]:
        bus = EventBus()
        bus.bind(asyncio.get_running_loop())
        waiter = asyncio.create_task(bus.wait_since(0, timeout=3600))
        waiting = not await _turns(waiter.done)  # nothing yet: it waits
        bus.publish(event())
        woken = await _turns(waiter.done)
        return waiting, woken, [e.seq for e in waiter.result()]

    assert asyncio.run(scenario()) == (True, True, [1])


def test_long_poll_times_out_empty() -> None:
    async def scenario() -> list[Event]:
        return await EventBus().wait_since(0, timeout=0.05)

    assert asyncio.run(scenario()) == []


def test_publish_from_another_thread_reaches_waiters() -> None:
    async def scenario() -> list[str]:
        bus = EventBus()
        bus.bind(asyncio.get_running_loop())
        waiter = asyncio.create_task(bus.wait_since(0, timeout=5))
        await asyncio.sleep(0)
        await asyncio.to_thread(bus.emit, event("from.thread"))
        return [e.kind for e in await waiter]

    assert asyncio.run(scenario()) == ["from.thread"]


def test_close_releases_every_long_poll() -> None:
    async def scenario() -> tuple[bool, bool, list[list[Event]]]:
        bus = EventBus()
        waiters = [asyncio.create_task(bus.wait_since(0, timeout=3600)) for _ in range(3)]
        waiting = not await _turns(lambda: any(w.done() for w in waiters))
        bus.close()
        released = await _turns(lambda: all(w.done() for w in waiters))
        return waiting, released, [w.result() for w in waiters]

    assert asyncio.run(scenario()) == (True, True, [[], [], []])


def test_seq_order_and_time_order_agree_even_when_an_event_arrives_late() -> None:
    bus = EventBus()
    bus.publish(Event(100.0, "a", Severity.INFO, "first"))
    late = bus.publish(Event(99.99, "b", Severity.INFO, "stamped earlier on another thread"))
    bus.publish(Event(101.0, "c", Severity.INFO, "third"))
    times = [e.ts for e in bus.since(0)]
    assert times == sorted(times) and late.ts == 100.0
