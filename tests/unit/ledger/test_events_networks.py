"""Events keyed by seq; network enrollment and status history with uptime."""

from __future__ import annotations

import pytest

from desktop.ledger import Ledger
from desktop.model import Event, NodeState, Severity


def _event(seq: int, kind: str = "guard.pause", ts: float = 10.0) -> Event:
    return Event(ts, kind, Severity.WARNING, "GPU 0 paused: 86 °C", gpu_index=0,
                 data={"temp_c": 86.0, "limit": [85, 70]}, seq=seq)  # fmt: skip


def test_events_round_trip_and_are_idempotent(ledger: Ledger) -> None:
    assert ledger.add_event(_event(1)) == 1
    assert ledger.add_event(_event(1, "job.finished")) == 1  # re-sent: ignored
    assert ledger.add_event(_event(2, "job.finished")) == 2
    assert ledger.add_event(_event(0, "worker.started")) == 3  # numbered for the caller
    assert ledger.last_event_seq() == 3
    assert ledger.events()[0] == _event(1)
    assert [e.kind for e in ledger.events(since_seq=1)] == ["job.finished", "worker.started"]
    assert [e.seq for e in ledger.events(kind_prefix="guard.")] == [1]
    assert [e.seq for e in ledger.events(limit=1, since_seq=1)] == [2]


def test_old_events_are_pruned_but_numbering_survives(ledger: Ledger) -> None:
    ledger.add_event(_event(1, ts=0.0))
    ledger.add_event(_event(2, ts=1.0))
    assert ledger.prune_events(now=400 * 86400.0) == 1
    assert ledger.last_event_seq() == 2


def test_enrollment(ledger: Ledger) -> None:
    ledger.enroll_network("nosana", ts=5.0, config={"market": "A100", "gpus": ["GPU-1"]})
    ledger.enroll_network("nosana", ts=9.0, config={"market": "3090"})  # update keeps first ts
    assert ledger.set_network_paused("nosana", True)
    assert not ledger.set_network_paused("golem", True)
    (enrolled,) = ledger.enrollments()
    assert (enrolled.network, enrolled.enrolled_ts, enrolled.config, enrolled.paused) == (
        "nosana", 5.0, {"market": "3090"}, True)  # fmt: skip
    assert ledger.enrollment("golem") is None
    with pytest.raises(ValueError, match="keyring"):
        ledger.enroll_network("ionet", config={"api_key": "abc"})
    assert ledger.remove_network("nosana") and not ledger.remove_network("nosana")
    assert ledger.enrollments() == []


def test_status_history_is_stored_as_spans(ledger: Ledger) -> None:
    for ts in (0.0, 30.0, 60.0):
        ledger.record_network_state("demo", NodeState.IDLE, ts)
    ledger.record_network_state("demo", NodeState.BUSY, 90.0)
    ledger.record_network_state("demo", NodeState.BUSY, 120.0)
    spans = ledger.network_history("demo", 0.0)
    assert [(s.state, s.ts, s.until_ts) for s in spans] == [
        (NodeState.IDLE, 0.0, 60.0), (NodeState.BUSY, 90.0, 120.0)
    ]  # fmt: skip


def test_uptime_counts_unobserved_time_as_down(ledger: Ledger) -> None:
    assert ledger.uptime_pct("demo", 0.0, now=100.0) is None
    for ts in range(0, 1000, 60):  # up, observed every minute for ~1000 s
        ledger.record_network_state("demo", NodeState.IDLE, float(ts))
    ledger.record_network_state("demo", NodeState.OFFLINE, 1000.0)
    ledger.record_network_state("demo", NodeState.OFFLINE, 1500.0)
    ledger.record_network_state("demo", NodeState.BUSY, 1800.0)
    # the worker crashed at 1800 and came back at 3000
    ledger.record_network_state("demo", NodeState.BUSY, 3000.0)
    ledger.record_network_state("demo", NodeState.BUSY, 3060.0)
    uptime = ledger.uptime_pct("demo", 0.0, now=3060.0)
    assert uptime == pytest.approx(100 * (1000 + 60) / 3060)
    assert ledger.uptime_pct("demo", 3000.0, now=3060.0) == pytest.approx(100.0)
    assert ledger.uptime_pct("other", 0.0, now=3060.0) is None
