"""How a practice job ends: pay for finished work, forfeit for interrupted work, and the
reputation both move.

Why io.net-style: an interrupted job forfeits its pay, so the arbiter's penalty logic is
exercised, and the reputation drops on interruptions and recovers slowly with uptime and
finished work, as on real networks.
"""

from __future__ import annotations

from decimal import Decimal

from desktop.model import ExitReason, JobState, Money
from desktop.networks.base import NetworkJob, Reputation
from desktop.networks.demo_state import UNIT, USD_PER_DEMO, DemoState, pay_idem_key

RECOVERY_PER_HOUR = 0.01  # online time closes 1 % of the gap to 100 per hour
INTERRUPTION_COST = 10.0  # points lost per interrupted job
SUCCESS_GAIN = 0.05  # a finished job closes 5 % of the gap to 100


class DemoOutcomes(DemoState):
    """Job endings, pay and reputation of the practice network (part of DemoNetwork)."""

    def job_finished(self, job_id: str, state: JobState, exit_reason: ExitReason | None) -> None:
        """The worker reports how one of our jobs ended; pay only SUCCEEDED, uninterrupted."""
        with self._lock:
            current = self._current
            if current is None or current["job_id"] != job_id:
                if job_id not in self._forfeited and len(self._early) < 100:
                    self._early[job_id] = (state, exit_reason)  # ended inside submit_job
                return
            self._current = None
            self._done.notify_all()
            pay = Decimal(current["pay"]["amount"])
            interrupted = state in (JobState.STOPPED, JobState.INTERRUPTED) or exit_reason in (
                ExitReason.GUARD,
                ExitReason.USER,
                ExitReason.INTERRUPTED,
            )
            forfeited = job_id in self._forfeited
            paid = state is JobState.SUCCEEDED and not forfeited
            if paid:
                self.completed += 1
                self.score += (100.0 - self.score) * SUCCESS_GAIN
            elif interrupted and not forfeited:
                self._interrupted()
            elif not forfeited:
                self.score = max(0.0, self.score - 3.0)
            money = Money(pay, UNIT, pay * USD_PER_DEMO) if paid else None
            self._history.append(
                NetworkJob(
                    job_id,
                    str(state),
                    current["started_ts"],
                    self.clock(),
                    money,
                    None,
                    {"offered": str(pay), "exit_reason": str(exit_reason or "")},
                )
            )
            self._schedule_offer(self.clock())
        if money is not None and self.credit is not None:
            self.credit(self.id, job_id, money, pay_idem_key(job_id))
        self._say(f"job {job_id} {state}: " + (f"paid {pay} DEMO" if paid else "no pay"))

    def _interrupted(self) -> None:
        self.interruptions += 1
        self.score = max(0.0, self.score - INTERRUPTION_COST)

    def _forfeit_current(self) -> str | None:
        """Interrupt the running job: its pay is forfeited now, whatever it reports later.

        Returns the job id to stop; the caller stops it *after* releasing the lock, since
        the worker may report the ending synchronously from another thread.
        """
        current = self._current
        if current is None or current["job_id"] in self._forfeited:
            return None
        self._forfeited.add(current["job_id"])
        self._interrupted()
        self._current = None
        self._done.notify_all()
        self._history.append(
            NetworkJob(
                current["job_id"],
                str(JobState.STOPPED),
                current["started_ts"],
                self.clock(),
                None,
                None,
                {"offered": current["pay"]["amount"], "exit_reason": "forfeited"},
            )
        )
        self._say(f"job {current['job_id']} interrupted: its pay is forfeited")
        return str(current["job_id"])

    def _stop_job(self, job_id: str | None) -> None:
        if job_id is None or self.stop_job is None:
            return
        try:
            self.stop_job(job_id)
        except Exception as exc:
            self._say(f"could not stop job {job_id}: {exc}")

    def reputation(self) -> Reputation:
        with self._lock:
            seen = self.online_s + self.offline_s
            uptime = 100.0 * self.online_s / seen if seen > 0 else None
            return Reputation(
                uptime_pct=uptime,
                verified=True,
                score=round(self.score, 2),
                details={"completed": self.completed, "interruptions": self.interruptions},
            )
