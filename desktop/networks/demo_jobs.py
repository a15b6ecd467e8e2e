"""The practice network's job book: the job it runs now, how each ended, and what it paid.

Why a book of its own: a job can end in three ways that pay differently (finished: paid;
interrupted by a guard, the user or a crash: forfeited, io.net-style; failed: nothing),
and endings arrive from the job service's threads, sometimes before ``submit_job`` has
even returned. Pure bookkeeping; the practice network holds the lock and does the paying.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop.model import ExitReason, JobState, Money
from desktop.networks.demo_terms import UNIT, USD_PER_DEMO
from desktop.networks.records import NetworkJob

_INTERRUPTING = (ExitReason.GUARD, ExitReason.USER, ExitReason.INTERRUPTED)
_EARLY_LIMIT = 100  # endings kept for jobs not begun yet (a runner that refuses at once)


@dataclass(frozen=True)
class Ending:
    """How the running job ended: ``outcome`` is paid, interrupted or failed."""

    job_id: str
    outcome: str
    offered: Decimal
    pay: Money | None


class PracticeJobs:
    """The current job (at most one), endings that came early, and the history."""

    def __init__(self, history: int = 500) -> None:
        self.current: dict[str, Any] | None = None
        self._forfeited: set[str] = set()
        self._early: dict[str, tuple[JobState, ExitReason | None]] = {}
        self._history: deque[NetworkJob] = deque(maxlen=history)

    def begin(
        self, offer: dict[str, Any], job_id: str, now: float
    ) -> tuple[JobState, ExitReason | None] | None:
        """The job service took the offer; returns its ending if that came already."""
        self.current = {**offer, "job_id": job_id, "started_ts": now}
        return self._early.pop(job_id, None)

    def finish(
        self, job_id: str, state: JobState, exit_reason: ExitReason | None, now: float
    ) -> Ending | None:
        """Book the end of the running job; None for a job that is not (yet) the current one."""
        current = self.current
        if current is None or current["job_id"] != job_id:
            if job_id not in self._forfeited and len(self._early) < _EARLY_LIMIT:
                self._early[job_id] = (state, exit_reason)
            return None
        self.current = None
        offered = Decimal(current["pay"]["amount"])
        if state is JobState.SUCCEEDED:
            outcome = "paid"
        elif state in (JobState.STOPPED, JobState.INTERRUPTED) or exit_reason in _INTERRUPTING:
            outcome = "interrupted"
        else:
            outcome = "failed"
        pay = Money(offered, UNIT, offered * USD_PER_DEMO) if outcome == "paid" else None
        extra = {"offered": str(offered), "exit_reason": str(exit_reason or "")}
        self._history.append(
            NetworkJob(job_id, str(state), current["started_ts"], now, pay, None, extra)
        )
        return Ending(job_id, outcome, offered, pay)

    def forfeit(self, now: float) -> str | None:
        """Interrupt the running job: its pay is forfeited now, whatever it reports later.
        Returns its id (for the caller to stop, outside the lock), None if none runs."""
        current = self.current
        if current is None:
            return None
        job_id = str(current["job_id"])
        self._forfeited.add(job_id)
        self.current = None
        extra = {"offered": current["pay"]["amount"], "exit_reason": "forfeited"}
        self._history.append(
            NetworkJob(job_id, str(JobState.STOPPED), current["started_ts"], now, None, None, extra)
        )
        return job_id

    def listed(self, since: float | None = None) -> list[NetworkJob]:
        return [j for j in self._history if since is None or (j.started_ts or 0) >= since]
