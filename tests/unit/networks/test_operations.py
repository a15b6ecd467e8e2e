"""The Operations registry (desktop/worker/operations.py): answer at once, report by events."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from desktop.ipc.schema import OperationState
from desktop.model import Event, Severity
from desktop.networks.base import NetworkError
from desktop.worker.operations import Operations, Progress, UnknownOperation


def test_an_operation_answers_at_once_and_reports_progress_and_result(clock: Any) -> None:
    events: list[Event] = []
    ops = Operations(events.append, clock)
    go = threading.Event()

    def action(progress: Progress) -> str:
        progress("waiting for the job to end")
        go.wait(10)
        return "Nosana stopped"

    op = ops.start("stop", "nosana", "Stopping Nosana", action)
    assert op.state is OperationState.RUNNING and op.network == "nosana"
    assert ops.running("nosana") == ops.get(op.id) and ops.running("demo") is None
    go.set()
    done = ops.wait(op.id, 10)
    assert done.state is OperationState.SUCCEEDED and done.message == "Nosana stopped"
    assert done.ended_ts == clock.now and done.started_ts == clock.now
    assert [(e.kind, e.message) for e in events] == [
        ("operation.progress", "Stopping Nosana"),
        ("operation.progress", "waiting for the job to end"),
        ("operation.finished", "Nosana stopped"),
    ]
    assert all(e.data["operation"] == op.id and e.network == "nosana" for e in events)
    assert events[-1].data == {"operation": op.id, "kind": "stop", "state": "succeeded"}
    assert ops.running("nosana") is None and ops.unfinished() == []


def test_a_failure_is_the_operations_result_with_its_sentence(
    clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[Event] = []
    ops = Operations(events.append, clock)

    def refused(progress: Progress) -> str:
        raise NetworkError("Docker could not stop nosana-node: no such container")

    def crashed(progress: Progress) -> str:
        raise ValueError("bad state")

    first = ops.wait(ops.start("stop", "nosana", "Stopping", refused).id, 10)
    assert first.state is OperationState.FAILED
    assert first.message == "Docker could not stop nosana-node: no such container"
    second = ops.wait(ops.start("remove", None, "Removing", crashed).id, 10)
    assert second.state is OperationState.FAILED and second.message == "It failed: bad state"
    assert "operation op-" in caplog.text and "ValueError" in caplog.text  # the trace is kept
    finished = [e for e in events if e.kind == "operation.finished"]
    assert [e.severity for e in finished] == [Severity.ERROR, Severity.ERROR]


def test_an_unknown_id_says_so(clock: Any) -> None:
    ops = Operations(lambda e: None, clock)
    with pytest.raises(UnknownOperation, match="There is no operation 'op-nope'") as info:
        ops.get("op-nope")
    assert info.value.code == "not_found"


def test_old_finished_operations_are_forgotten_running_ones_never(clock: Any) -> None:
    ops = Operations(lambda e: None, clock, keep_finished=2)
    hold = threading.Event()
    running = ops.start("stop", "slow", "Stopping", lambda p: str(hold.wait(10)))
    done = [ops.wait(ops.start("x", None, "x", lambda p: "ok").id, 10) for _ in range(4)]
    with pytest.raises(UnknownOperation):
        ops.get(done[0].id)
    assert ops.get(done[-1].id).state is OperationState.SUCCEEDED
    assert ops.get(running.id).state is OperationState.RUNNING
    hold.set()
    assert ops.wait(running.id, 10).state is OperationState.SUCCEEDED


def test_a_closed_event_bus_does_not_lose_the_result(clock: Any) -> None:
    def gone(event: Event) -> None:
        raise RuntimeError("Event loop is closed")

    ops = Operations(gone, clock)
    op = ops.start("stop", "nosana", "Stopping", lambda p: "stopped")
    assert ops.wait(op.id, 10).message == "stopped"
