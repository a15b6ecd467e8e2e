"""Jobs and their state transitions, persisted at every change (reliability.md §8.4).

Folding@home lost work because it relied on a clean shutdown; here every transition is a
committed row keyed by ``(job_id, seq)``, so replaying a transition after a crash is a
no-op, and the worker can reconcile at start: a job still RUNNING with no container is
marked INTERRUPTED exactly once (``mark_interrupted`` checks and writes in one
transaction, so a second call, or a second worker start, does nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop import clock
from desktop.ledger.db import Store
from desktop.model import ExitReason, JobRecord, JobState, Money, to_json

ACTIVE_STATES = (JobState.STARTING, JobState.RUNNING, JobState.PAUSED)
_COLUMNS = (
    "job_id, network, image, state, gpu_uuid, created_ts, started_ts, ended_ts, exit_code, "
    "exit_reason, message, pay_amount, pay_unit, pay_usd"
)

_KEEP_KNOWN = {
    "gpu_uuid", "started_ts", "ended_ts", "exit_code", "exit_reason", "pay_amount", "pay_unit",
    "pay_usd",
}  # fmt: skip


@dataclass(frozen=True)
class JobTransition:
    """One change of a job's state, numbered in order, with why."""

    job_id: str
    seq: int
    state: JobState
    ts: float
    reason: str

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


def _record(row: tuple[Any, ...]) -> JobRecord:
    (job_id, network, image, state, gpu, created, started, ended, code, reason, message,
     pay_amount, pay_unit, pay_usd) = row  # fmt: skip
    pay = None
    if pay_amount is not None:
        pay = Money(Decimal(pay_amount), pay_unit, None if pay_usd is None else Decimal(pay_usd))
    return JobRecord(
        job_id=job_id,
        network=network,
        image=image,
        state=JobState(state),
        gpu_uuid=gpu,
        created_ts=created,
        started_ts=started,
        ended_ts=ended,
        exit_code=code,
        exit_reason=None if reason is None else ExitReason(reason),
        message=message,
        pay=pay,
    )


class JobsStore(Store):
    def upsert_job(self, job: JobRecord) -> None:
        """Insert or overwrite a job's record (not its transition history).

        A field the new record leaves empty (None, or an empty message) keeps its stored
        value, so a stale copy cannot erase a known exit code or the pay already credited.

        Use ``transition`` for state changes: it is idempotent and keeps the history.
        """
        pay = job.pay
        row = (
            job.job_id, job.network, job.image, job.state.value, job.gpu_uuid, job.created_ts,
            job.started_ts, job.ended_ts, job.exit_code,
            None if job.exit_reason is None else job.exit_reason.value, job.message,
            None if pay is None else str(pay.amount), None if pay is None else pay.unit,
            None if pay is None or pay.usd is None else str(pay.usd), clock.now(),
        )  # fmt: skip
        updates = ", ".join(
            f"{c} = coalesce(excluded.{c}, {c})" if c in _KEEP_KNOWN else f"{c} = excluded.{c}"
            for c in _COLUMNS.split(", ")[1:]
            if c != "message"
        )
        updates += (
            ", message = CASE WHEN excluded.message != '' THEN excluded.message ELSE message END"
        )
        with self._db.write() as conn:
            conn.execute(
                f"INSERT INTO jobs ({_COLUMNS}, updated_ts) VALUES ({', '.join('?' * 15)}) "
                f"ON CONFLICT (job_id) DO UPDATE SET {updates}, updated_ts = excluded.updated_ts",
                row,
            )

    def transition(
        self,
        job_id: str,
        state: JobState,
        ts: float,
        reason: str = "",
        seq: int | None = None,
        *,
        exit_code: int | None = None,
        exit_reason: ExitReason | None = None,
    ) -> bool:
        """Record a state change; False when ``(job_id, seq)`` was already recorded.

        ``seq`` None takes the next number (not idempotent: pass the seq when a replay is
        possible). A replayed OLD seq only fills the history; the job's current state moves
        only forward. Entering RUNNING sets ``started_ts`` once; a finished state sets
        ``ended_ts``. A non-empty ``reason`` becomes the job's message.
        """
        state = JobState(state)
        with self._db.write() as conn:
            row = conn.execute("SELECT last_seq FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is None:
                raise KeyError(f"no job {job_id!r}; store it with upsert_job first")
            last_seq = int(row[0])
            seq = last_seq + 1 if seq is None else int(seq)
            cur = conn.execute(
                "INSERT INTO job_transitions (job_id, seq, state, ts, reason) VALUES (?,?,?,?,?) "
                "ON CONFLICT (job_id, seq) DO NOTHING",
                (job_id, seq, state.value, ts, reason),
            )
            if cur.rowcount == 0:
                return False
            if seq > last_seq:
                conn.execute(
                    "UPDATE jobs SET state = ?, last_seq = ?, updated_ts = ?,"
                    " started_ts = CASE WHEN ? AND started_ts IS NULL THEN ? ELSE started_ts END,"
                    " ended_ts = CASE WHEN ? THEN ? ELSE ended_ts END,"
                    " message = CASE WHEN ? != '' THEN ? ELSE message END,"
                    " exit_code = coalesce(?, exit_code), exit_reason = coalesce(?, exit_reason)"
                    " WHERE job_id = ?",
                    (
                        state.value, seq, clock.now(),
                        state is JobState.RUNNING, ts, state.finished, ts, reason, reason,
                        exit_code, None if exit_reason is None else ExitReason(exit_reason).value,
                        job_id,
                    ),
                )  # fmt: skip
            return True

    def mark_interrupted(
        self, job_id: str, ts: float | None = None, reason: str = "the worker stopped while it ran"
    ) -> bool:
        """Mark an unfinished job INTERRUPTED; True only the one time it changes anything."""
        ts = clock.now() if ts is None else ts
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT state, last_seq FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if row is None or JobState(row[0]).finished:
                return False
            seq = int(row[1]) + 1
            conn.execute(
                "INSERT INTO job_transitions (job_id, seq, state, ts, reason) VALUES (?,?,?,?,?)",
                (job_id, seq, JobState.INTERRUPTED.value, ts, reason),
            )
            conn.execute(
                "UPDATE jobs SET state = ?, last_seq = ?, ended_ts = ?, exit_reason = ?,"
                " message = ?, updated_ts = ? WHERE job_id = ?",
                (JobState.INTERRUPTED.value, seq, ts, ExitReason.INTERRUPTED.value, reason,
                 clock.now(), job_id),
            )  # fmt: skip
            return True

    def job(self, job_id: str) -> JobRecord | None:
        with self._db.read() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,))
            found = row.fetchone()
        return None if found is None else _record(found)

    def jobs(self, limit: int = 50, state: JobState | None = None) -> list[JobRecord]:
        """The newest jobs first, optionally only those in one state."""
        sql, args = f"SELECT {_COLUMNS} FROM jobs", []
        if state is not None:
            sql += " WHERE state = ?"
            args.append(JobState(state).value)
        with self._db.read() as conn:
            rows = conn.execute(sql + " ORDER BY created_ts DESC LIMIT ?", (*args, limit))
            return [_record(r) for r in rows]

    def job_counts(self) -> dict[tuple[str, str], int]:
        """How many jobs each network has in each state (the metrics' jobs by state)."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT network, state, COUNT(*) FROM jobs GROUP BY network, state")
            return {(str(network), str(state)): int(n) for network, state, n in rows}

    def running_jobs(self) -> list[JobRecord]:
        """Jobs that should have a live container: STARTING, RUNNING or PAUSED."""
        marks = ", ".join("?" * len(ACTIVE_STATES))
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE state IN ({marks}) ORDER BY created_ts",
                [s.value for s in ACTIVE_STATES],
            )
            return [_record(r) for r in rows]

    def transitions(self, job_id: str) -> list[JobTransition]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT job_id, seq, state, ts, reason FROM job_transitions WHERE job_id = ? "
                "ORDER BY seq",
                (job_id,),
            )
            return [JobTransition(j, s, JobState(st), t, r) for j, s, st, t, r in rows]
