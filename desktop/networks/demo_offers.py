"""The practice network's offers: random jobs as docs/jobs.md specs, taken when one is due.

Why a job's duration is in simulated seconds but its ``sleep`` in real ones: ``speed``
(simulated seconds per real second) turns one into the other, so a 5-minute job sleeps 30 s
at speed 10 and lasts 5 minutes on the simulated clock. The tick also keeps the uptime and
the slow recovery of the reputation, and a refusal the runner will repeat for every offer
(BLOCKING_CODES) turns the status to ERROR with the way out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from desktop.networks.demo_outcomes import RECOVERY_PER_HOUR, DemoOutcomes
from desktop.networks.demo_state import UNIT, practice_refusal

PROFILES = ("constant", "ramp", "bursty")
# refusals that no later offer can get past: the image is not allowed, missing, no engine
BLOCKING_CODES = frozenset({"image_not_pinned", "image_missing", "engine_unavailable"})


def load_profile(kind: str, seconds: float, level: float) -> list[dict[str, float]]:
    """The spec's ``load_profile`` steps for a profile kind over ``seconds`` real seconds."""
    seconds = max(1.0, seconds)
    if kind == "ramp":
        step = seconds / 4
        return [{"seconds": step, "load": round(level * f, 3)} for f in (0.25, 0.5, 0.75, 1.0)]
    if kind == "bursty":
        steps, chunk, high = [], seconds / 6, True
        for _ in range(6):
            steps.append({"seconds": chunk, "load": round(level if high else level * 0.2, 3)})
            high = not high
        return steps
    return [{"seconds": seconds, "load": round(level, 3)}]


class DemoOffers(DemoOutcomes):
    """Offers and the tick of the practice network (part of DemoNetwork)."""

    def make_offer(self) -> dict[str, Any]:
        """A random job offer as a docs/jobs.md spec (sim duration, real ``sleep``)."""
        self._seq += 1
        duration = round(self.rng.uniform(*self.duration_s))
        rate = Decimal(str(round(self.rng.uniform(*self.rate_per_hour), 2)))
        kind = self.rng.choice(PROFILES)
        level = round(self.rng.uniform(0.5, 1.0), 2)
        return self._offer(f"demo-{int(self.clock())}-{self._seq}", duration, rate, kind, level)

    def _offer(
        self, job_id: str, duration: int, rate: Decimal, kind: str, level: float
    ) -> dict[str, Any]:
        amount = (rate * Decimal(duration) / Decimal(3600)).quantize(Decimal("0.0001"))
        real = max(1, round(duration / self.speed))
        return {
            "job_id": job_id,
            "network": self.id,
            "image": self.image,
            "command": ["sleep", str(real)],
            "env": {},
            "gpus": self.gpus,
            "cpus": 0.5,
            "memory_mb": 64,
            "deadline_s": real * 3 + 30,
            "pay": {"amount": str(amount), "unit": UNIT, "per": "job"},
            "load_profile": load_profile(kind, real, level),
        }

    def tick(self) -> None:
        """Advance uptime and reputation, and take an offer when one is due."""
        with self._lock:
            now = self.clock()
            dt = max(0.0, now - self._last_tick)
            self._last_tick = now
            online = self._running and not self._paused
            if online:
                self.online_s += dt
                self.score += (100.0 - self.score) * min(1.0, RECOVERY_PER_HOUR * dt / 3600.0)
            elif self._enrolled:
                self.offline_s += dt
            if not online or self._current is not None:
                return
            if self._next_offer is None:
                self._schedule_offer(now)
            if self._next_offer is None or now < self._next_offer:
                return
            self._next_offer = None
            offer = self.make_offer()
        self._take(offer)

    def _take(self, offer: dict[str, Any]) -> None:
        if self.submit_job is None:
            return
        try:
            job_id = self.submit_job(offer)
        except Exception as exc:  # the runner refused: skip this offer, try the next one
            reason = getattr(exc, "message", None) or str(exc)
            with self._lock:
                first, self._refusing = not self._refusing, True
                if getattr(exc, "code", None) in BLOCKING_CODES:
                    self._blocked = practice_refusal(self.image, exc)
                self._schedule_offer(self.clock())
            if first:  # once per refusal streak, not at every offer
                self._say(f"the job runner refused offer {offer['job_id']}: {reason}")
            return
        with self._lock:
            self._blocked, self._refusing = None, False
            self._current = {**offer, "job_id": job_id, "started_ts": self.clock()}
            early = self._early.pop(job_id, None)
        if early is not None:  # the runner finished (or refused) it before submit returned
            self.job_finished(job_id, *early)
            return
        self._say(
            f"accepted job {job_id}: {offer['command'][1]} s for {offer['pay']['amount']} DEMO"
        )
