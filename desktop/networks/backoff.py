"""Capped exponential backoff with jitter, shared by every network client and the supervisor.

Why: a marketplace API that is down, or a node agent that keeps crashing, must not be
hammered (reliability.md §8 item 15: ``2^min(9, n)`` s like Folding@home), and many rigs
retrying in lock-step would hit the API together, so each delay is jittered. The delay is
logged by the caller in plain words ("nosana: node API unreachable, retrying in 4.2 s") so
that a user reading the log sees why nothing happens.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """The delay schedule of one retrying thing.

    ``next_delay()`` returns ``base * factor**n`` seconds (n = failures so far), capped at
    ``cap``, then scaled by a random factor in ``[1 - jitter, 1 + jitter]`` (still capped).
    ``reset()`` after a success starts over.
    """

    base: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def peek(self) -> float:
        """The un-jittered delay the next failure would get (for messages and tests)."""
        exponent = min(self.failures, 30)  # keep the power finite
        return float(min(self.cap, self.base * self.factor**exponent))

    def next_delay(self) -> float:
        """Count one failure and return how long to wait before the next try."""
        delay = self.peek()
        self.failures += 1
        if self.jitter > 0:
            delay *= 1.0 + self.rng.uniform(-self.jitter, self.jitter)
        return max(0.0, min(self.cap, delay))

    def reset(self) -> None:
        self.failures = 0


@dataclass
class RetryGate:
    """Backoff in the time domain, for pollers that must not block.

    A status poll that fails calls ``failed()``; until the returned delay has passed,
    ``ready()`` is False and the caller answers from its last known state instead of
    calling the remote end again.
    """

    backoff: Backoff = field(default_factory=Backoff)
    clock: Callable[[], float] = time.monotonic
    not_before: float = 0.0

    def ready(self) -> bool:
        return self.clock() >= self.not_before

    def failed(self) -> float:
        delay = self.backoff.next_delay()
        self.not_before = self.clock() + delay
        return delay

    def succeeded(self) -> None:
        self.backoff.reset()
        self.not_before = 0.0

    @property
    def remaining(self) -> float:
        return max(0.0, self.not_before - self.clock())
