"""The practice network's vocabulary and state: its unit, the hooks the worker gives it,
and everything it remembers between ticks, under one lock.

Why a base of its own: DemoNetwork is assembled from parts (offers, outcomes; see
desktop/networks/demo.py) that all read and change this state, from the tick thread, the
supervisor and the job runner's threads alike.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from desktop.model import ExitReason, JobState, Money
from desktop.networks.base import NetworkJob

# One logger for every part, named as before the split, so log filters see the same name.
log = logging.getLogger("desktop.networks.demo")

UNIT = "DEMO"
USD_PER_DEMO = Decimal("0.10")
DEFAULT_IMAGE = "rigpilot-test/busybox:latest"
SubmitJob = Callable[[dict[str, Any]], str]
CheckOffer = Callable[[dict[str, Any]], object]
Credit = Callable[[str, str, Money, str], bool]


def practice_refusal(image: str, exc: BaseException) -> str:
    """What a user reads when the practice network cannot run its jobs on this worker:
    where it does run, how to run it here, and this worker's own reason (left out when it
    only says that the image is not allowed, which the sentence already says)."""
    text = (
        "The practice network runs in demo mode: start `rigpilot --demo` (the app) or "
        "`rigpilot worker --demo`. To run it on this worker, allow its image (it must be on "
        f"this machine): `rigpilot settings set jobs.allowed_local_images {image}`."
    )
    if getattr(exc, "code", None) == "image_not_pinned":
        return text
    return f"{text} This worker refused it: {getattr(exc, 'message', None) or exc}"


def pay_idem_key(job_id: str) -> str:
    """The one idempotency key of a demo job's pay (credit and any later sync agree)."""
    return f"demo:{job_id}:pay"


class DemoState:
    """The practice network's state and its log (see desktop/networks/demo.py)."""

    id = "demo"
    display_name = "Practice network"

    def __init__(
        self,
        submit_job: SubmitJob | None = None,
        credit: Credit | None = None,
        stop_job: Callable[[str], None] | None = None,
        check_offer: CheckOffer | None = None,
        clock: Callable[[], float] = time.time,
        speed: float = 1.0,
        seed: int | None = None,
        image: str | None = None,
        mean_gap_s: float = 40.0,
        duration_s: tuple[float, float] = (60.0, 300.0),
        rate_per_hour: tuple[float, float] = (1.0, 4.0),
        gpus: int = 1,
        tick_interval_s: float | None = 0.5,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.submit_job, self.credit, self.stop_job = submit_job, credit, stop_job
        self.check_offer = check_offer
        self.clock, self.speed = clock, speed
        self.rng = random.Random(seed)
        self.image = image or os.environ.get("RIGPILOT_DEMO_IMAGE", DEFAULT_IMAGE)
        self.mean_gap_s, self.duration_s, self.rate_per_hour = mean_gap_s, duration_s, rate_per_hour
        self.gpus = gpus
        self.tick_interval_s = tick_interval_s
        self._lock = threading.RLock()
        self._done = threading.Condition(self._lock)
        self._enrolled = False
        self._running = False
        self._paused = False
        self._current: dict[str, Any] | None = None
        self._forfeited: set[str] = set()
        self._early: dict[str, tuple[JobState, ExitReason | None]] = {}
        self._history: deque[NetworkJob] = deque(maxlen=500)
        self._log: deque[str] = deque(maxlen=500)
        self._next_offer: float | None = None
        self._last_tick = clock()
        self._seq = 0
        self._blocked: str | None = None  # why offers are refused for good (see module doc)
        self._refusing = False
        self.score = 60.0
        self.online_s = 0.0
        self.offline_s = 0.0
        self.completed = 0
        self.interruptions = 0
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def use_clock(self, clock: Callable[[], float]) -> None:
        """Live on the supervisor's clock (simulated in demo mode) from now on."""
        with self._lock:
            self.clock = clock
            self._last_tick = clock()
            self._next_offer = None

    def _schedule_offer(self, now: float) -> None:
        self._next_offer = now + self.rng.expovariate(1.0 / self.mean_gap_s)

    def _say(self, message: str) -> None:
        self._log.append(f"{time.strftime('%H:%M:%S', time.localtime(self.clock()))} {message}")
        log.info("demo: %s", message)
