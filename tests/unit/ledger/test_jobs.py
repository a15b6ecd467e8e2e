"""Jobs: idempotent transitions, forward-only state, exactly-once interruption."""

from __future__ import annotations

import pytest

from desktop.ledger import Ledger
from desktop.model import ExitReason, JobRecord, JobState


def _job(job_id: str = "j1", state: JobState = JobState.QUEUED, ts: float = 100.0) -> JobRecord:
    return JobRecord(job_id, "demo", "busybox@sha256:00", state, "GPU-1", ts)


def test_transitions_are_idempotent_and_move_forward_only(ledger: Ledger) -> None:
    ledger.upsert_job(_job())
    assert ledger.transition("j1", JobState.STARTING, 101.0, seq=1)
    assert ledger.transition("j1", JobState.RUNNING, 102.0, "started", seq=2)
    assert not ledger.transition("j1", JobState.RUNNING, 102.0, "started", seq=2)  # replay
    assert ledger.transition("j1", JobState.SUCCEEDED, 110.0, "done", seq=4,
                             exit_code=0, exit_reason=ExitReason.EXITED)  # fmt: skip
    assert ledger.transition("j1", JobState.PAUSED, 105.0, seq=3)  # late, older: history only
    job = ledger.job("j1")
    assert job is not None
    assert (job.state, job.started_ts, job.ended_ts) == (JobState.SUCCEEDED, 102.0, 110.0)
    assert (job.exit_code, job.exit_reason, job.message) == (0, ExitReason.EXITED, "done")
    assert [(t.seq, t.state) for t in ledger.transitions("j1")] == [
        (1, JobState.STARTING), (2, JobState.RUNNING), (3, JobState.PAUSED), (4, JobState.SUCCEEDED)
    ]  # fmt: skip


def test_transition_without_seq_takes_the_next(ledger: Ledger) -> None:
    ledger.upsert_job(_job())
    ledger.transition("j1", JobState.STARTING, 1.0)
    ledger.transition("j1", JobState.RUNNING, 2.0)
    assert [t.seq for t in ledger.transitions("j1")] == [1, 2]
    with pytest.raises(KeyError, match="upsert_job"):
        ledger.transition("nope", JobState.RUNNING, 1.0, seq=1)


def test_mark_interrupted_is_exactly_once(ledger: Ledger) -> None:
    ledger.upsert_job(_job())
    ledger.transition("j1", JobState.RUNNING, 102.0, seq=1)
    assert [j.job_id for j in ledger.running_jobs()] == ["j1"]
    assert ledger.mark_interrupted("j1", ts=200.0) is True
    assert ledger.mark_interrupted("j1", ts=300.0) is False
    assert ledger.mark_interrupted("missing") is False
    job = ledger.job("j1")
    assert job is not None
    assert (job.state, job.exit_reason, job.ended_ts) == (
        JobState.INTERRUPTED,
        ExitReason.INTERRUPTED,
        200.0,
    )
    assert [t.state for t in ledger.transitions("j1")].count(JobState.INTERRUPTED) == 1
    assert ledger.running_jobs() == []


def test_finished_jobs_are_not_interrupted(ledger: Ledger) -> None:
    ledger.upsert_job(_job(state=JobState.FAILED))
    assert ledger.mark_interrupted("j1") is False
    assert ledger.transitions("j1") == []


def test_upsert_keeps_known_fields(ledger: Ledger) -> None:
    ledger.upsert_job(_job())
    ledger.transition("j1", JobState.FAILED, 5.0, "out of memory", exit_code=137,
                      exit_reason=ExitReason.OOM)  # fmt: skip
    ledger.upsert_job(_job(state=JobState.FAILED))  # a stale copy without exit details
    job = ledger.job("j1")
    assert job is not None
    assert (job.exit_code, job.exit_reason, job.message, job.ended_ts) == (
        137,
        ExitReason.OOM,
        "out of memory",
        5.0,
    )


def test_listing(ledger: Ledger) -> None:
    for i in range(5):
        ledger.upsert_job(
            _job(f"j{i}", JobState.SUCCEEDED if i % 2 else JobState.RUNNING, float(i))
        )
    assert [j.job_id for j in ledger.jobs(limit=3)] == ["j4", "j3", "j2"]
    assert [j.job_id for j in ledger.jobs(state=JobState.SUCCEEDED)] == ["j3", "j1"]
    assert ledger.job("nope") is None
    record = ledger.job("j1")
    assert record is not None and JobRecord.from_json(record.to_json()) == record
