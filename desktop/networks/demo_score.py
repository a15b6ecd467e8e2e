"""The practice network's reputation: it drops on interruptions and recovers slowly.

Why io.net-style: an interrupted job forfeits its pay and costs reputation, so the
arbiter's penalty logic is exercised; online time and finished work win it back, as on
real networks. Pure bookkeeping on wall-clock seconds; the network holds the lock.
"""

from __future__ import annotations

from desktop.networks.records import Reputation

START_SCORE = 60.0
RECOVERY_PER_HOUR = 0.01  # online time closes 1 % of the gap to 100 per hour
INTERRUPTION_COST = 10.0  # points lost per interrupted job
FAILURE_COST = 3.0  # points lost per job that failed by itself
SUCCESS_GAIN = 0.05  # a finished job closes 5 % of the gap to 100


class PracticeScore:
    """Score, uptime and counts of the practice node."""

    def __init__(self) -> None:
        self.score = START_SCORE
        self.online_s = 0.0
        self.offline_s = 0.0
        self.completed = 0
        self.interruptions = 0

    def elapse(self, seconds: float, online: bool) -> None:
        """Time passed while enrolled: online time counts towards uptime and recovery."""
        if online:
            self.online_s += seconds
            self.score += (100.0 - self.score) * min(1.0, RECOVERY_PER_HOUR * seconds / 3600.0)
        else:
            self.offline_s += seconds

    def finished(self) -> None:
        self.completed += 1
        self.score += (100.0 - self.score) * SUCCESS_GAIN

    def interrupted(self) -> None:
        self.interruptions += 1
        self.score = max(0.0, self.score - INTERRUPTION_COST)

    def failed(self) -> None:
        self.score = max(0.0, self.score - FAILURE_COST)

    def reputation(self) -> Reputation:
        seen = self.online_s + self.offline_s
        return Reputation(
            uptime_pct=100.0 * self.online_s / seen if seen > 0 else None,
            verified=True,
            score=round(self.score, 2),
            details={"completed": self.completed, "interruptions": self.interruptions},
        )
