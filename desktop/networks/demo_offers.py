"""The practice network's offers: random jobs as docs/jobs.md specs, and when the next is due.

Why ``speed`` appears twice: a faster market (``--sim-speed``) shortens the real time a
job runs (its ``sleep``) and the gap between offers, so that a newcomer sees the loop in
minutes; the pay still follows the job's nominal duration. Every time is wall time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop.networks.demo_terms import UNIT

PROFILES = ("constant", "ramp", "bursty")


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


@dataclass(frozen=True)
class OfferTerms:
    """The market's habits, at speed 1: seconds between offers (mean), a job's nominal
    duration range, its pay rate range (DEMO per hour), and the GPUs a job asks for."""

    mean_gap_s: float = 40.0
    duration_s: tuple[float, float] = (60.0, 300.0)
    rate_per_hour: tuple[float, float] = (1.0, 4.0)
    gpus: int = 1


class Offers:
    """Makes offers and keeps the time the next one is due. Not thread-safe: the practice
    network calls it under its own lock."""

    def __init__(
        self, network: str, image: str, terms: OfferTerms, speed: float, rng: random.Random
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.network, self.image, self.terms = network, image, terms
        self.speed, self.rng = speed, rng
        self.due_at: float | None = None
        self._seq = 0

    def schedule(self, now: float) -> None:
        """The next offer comes after a random gap (``mean_gap_s / speed`` on average)."""
        self.due_at = now + self.rng.expovariate(self.speed / self.terms.mean_gap_s)

    def cancel(self) -> None:
        self.due_at = None

    def due(self, now: float) -> bool:
        """Whether an offer is due now (the first call schedules one)."""
        if self.due_at is None:
            self.schedule(now)
        return self.due_at is not None and now >= self.due_at

    def make(self, now: float) -> dict[str, Any]:
        """A random job offer as a docs/jobs.md spec (nominal duration, shortened sleep)."""
        self._seq += 1
        duration = round(self.rng.uniform(*self.terms.duration_s))
        rate = Decimal(str(round(self.rng.uniform(*self.terms.rate_per_hour), 2)))
        kind = self.rng.choice(PROFILES)
        level = round(self.rng.uniform(0.5, 1.0), 2)
        return self.spec(f"demo-{int(now)}-{self._seq}", duration, rate, kind, level)

    def spec(
        self, job_id: str, duration: int, rate: Decimal, kind: str, level: float
    ) -> dict[str, Any]:
        """The spec of one offer: pay for ``duration`` nominal seconds at ``rate`` an hour."""
        amount = (rate * Decimal(duration) / Decimal(3600)).quantize(Decimal("0.0001"))
        real = max(1, round(duration / self.speed))
        return {
            "job_id": job_id,
            "network": self.network,
            "image": self.image,
            "command": ["sleep", str(real)],
            "env": {},
            "gpus": self.terms.gpus,
            "cpus": 0.5,
            "memory_mb": 64,
            "deadline_s": real * 3 + 30,
            "pay": {"amount": str(amount), "unit": UNIT, "per": "job"},
            "load_profile": load_profile(kind, real, level),
        }
