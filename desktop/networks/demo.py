"""The practice marketplace: the whole loop (offer, run, pay, reputation) without a wallet.

Why it looks like a real network: a newcomer learns what RigPilot does by watching it
(ARCHITECTURE.md, "Simulation"), so the demo keeps the rules that matter on real networks:
pay in the network's own unit (DEMO, at a fixed USD rate), an interrupted job forfeits its
pay (io.net-style, so the arbiter's penalty logic is exercised), and a reputation that drops
on interruptions and recovers slowly with uptime and finished work.

The adapter never runs containers. It hands job specs (docs/jobs.md format) to
``submit_job`` and learns the outcome through ``job_finished``; the worker decides whether
the job runs in Docker (the local test image, ``sleep N``) or on the simulated runner. Pay
is credited through ``credit`` for SUCCEEDED jobs only, with an idempotency key.

Time: the network lives on ``clock``, which the supervisor replaces with its own
(``use_clock``; the simulated clock in demo and simulated modes), so offers, uptime, job
times and status stamps are all in the same seconds as the ledger's other rows. ``speed``
(simulated seconds per real second) only turns a job's duration into its real ``sleep``:
a 5-minute job sleeps 30 s at speed 10, which is 5 minutes on the simulated clock.

Outside demo mode the practice job's image is refused unless the user allowed it, and a
real-GPU worker never fakes GPU load: ``check_offer`` (the job service's dry run) is asked
at enrollment, which is then refused with the way out (:func:`practice_refusal`). Without
that hook the first refused offer turns the status to ERROR with the same sentence.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from desktop.model import CheckResult, ExitReason, JobState, Money, NetworkPenalties, NodeState
from desktop.networks.base import (
    ActionRequired,
    Capabilities,
    CredentialField,
    CredentialKind,
    EarningsSummary,
    EnrollmentError,
    HostFacts,
    NetworkError,
    NetworkJob,
    Reputation,
    StatusSnapshot,
    requirement,
)

log = logging.getLogger(__name__)

UNIT = "DEMO"
USD_PER_DEMO = Decimal("0.10")
DEFAULT_IMAGE = "rigpilot-test/busybox:latest"
PROFILES = ("constant", "ramp", "bursty")
RECOVERY_PER_HOUR = 0.01  # online time closes 1 % of the gap to 100 per hour
INTERRUPTION_COST = 10.0  # points lost per interrupted job
SUCCESS_GAIN = 0.05  # a finished job closes 5 % of the gap to 100
SubmitJob = Callable[[dict[str, Any]], str]
CheckOffer = Callable[[dict[str, Any]], object]
Credit = Callable[[str, str, Money, str], bool]
# refusals that no later offer can get past: the image is not allowed, missing, no engine
BLOCKING_CODES = frozenset({"image_not_pinned", "image_missing", "engine_unavailable"})


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


class DemoNetwork:
    """The in-process practice marketplace (see module docstring)."""

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

    # --- description -------------------------------------------------------------

    def capabilities(self) -> Capabilities:
        return Capabilities(
            platforms=frozenset({"linux", "windows", "macos"}),
            can_install=False,
            can_start_stop=True,
            can_pause=True,
            graceful_stop_waits_for_job=True,
            local_status=True,
            public_status=False,
            earnings_api=True,
        )

    def credential_schema(self) -> Sequence[CredentialField]:
        return [
            CredentialField(
                "api_key",
                CredentialKind.API_KEY,
                False,
                "Optional: any text. Real networks ask for a key here; the practice network "
                "shows that RigPilot keeps it in your system keyring only.",
                secret=True,
                label="Practice API key",
            )
        ]

    def penalties(self) -> NetworkPenalties:
        return NetworkPenalties(pause_voids_job_pay=True, can_pause=True)

    def check_requirements(self, facts: HostFacts) -> list[CheckResult]:
        return [requirement("demo.any", "Any computer", True, "The practice network runs anywhere")]

    def enroll(self, creds: dict[str, str]) -> ActionRequired | None:
        """Refused (EnrollmentError) when this worker would refuse the practice jobs."""
        if self.check_offer is not None:
            probe = self._offer("demo-probe", 60, Decimal("1"), "constant", 1.0)
            try:
                self.check_offer(probe)
            except Exception as exc:
                raise EnrollmentError(practice_refusal(self.image, exc)) from None
        with self._lock:
            self._enrolled = True
            self._blocked = None
        self._say("enrolled")
        return None

    # --- time and offers ---------------------------------------------------------

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

    # --- outcomes ----------------------------------------------------------------

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

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if not self._enrolled:
                raise NetworkError("The practice network is not enrolled yet.")
            self._running, self._paused = True, False
            self._last_tick = self.clock()
        self._say("online: waiting for job offers")
        if self.tick_interval_s is not None and (
            self._thread is None or not self._thread.is_alive()
        ):
            self._wake.clear()
            self._thread = threading.Thread(target=self._loop, name="demo-network", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        interval = self.tick_interval_s or 0.5
        while not self._wake.wait(interval):
            try:
                self.tick()
            except Exception:
                log.exception("demo: tick failed")

    def stop(self, graceful: bool = True, timeout_s: float = 120.0) -> None:
        with self._lock:
            if graceful and self._current is not None:
                self._done.wait_for(lambda: self._current is None, timeout=timeout_s)
            to_stop = self._forfeit_current()
            self._running = False
        self._stop_job(to_stop)
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        self._say("offline")

    def pause(self) -> bool:
        with self._lock:
            to_stop = self._forfeit_current()
            self._paused = True
            self._next_offer = None
        self._stop_job(to_stop)
        self._say("paused")
        return True

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._last_tick = self.clock()
        self._say("resumed")

    def remove(self) -> None:
        self.stop(graceful=False)
        with self._lock:
            self._enrolled = False

    # --- observation -------------------------------------------------------------

    def status(self) -> StatusSnapshot:
        with self._lock:
            now = self.clock()
            if not self._enrolled:
                return StatusSnapshot(NodeState.NOT_ENROLLED, "not enrolled", now)
            if not self._running:
                return StatusSnapshot(NodeState.OFFLINE, "offline", now)
            if self._paused:
                return StatusSnapshot(NodeState.PAUSED, "paused", now)
            if self._blocked is not None and self._current is None:
                return StatusSnapshot(NodeState.ERROR, "jobs refused", now, message=self._blocked)
            if self._current is not None:
                return StatusSnapshot(
                    NodeState.BUSY,
                    "running job",
                    now,
                    message=f"job {self._current['job_id']}",
                    extra={"job_id": self._current["job_id"]},
                )
            return StatusSnapshot(NodeState.IDLE, "waiting for offers", now)

    def jobs(self, since: float | None = None) -> list[NetworkJob]:
        with self._lock:
            return [j for j in self._history if since is None or (j.started_ts or 0) >= since]

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary:
        total = Decimal(0)
        for job in self.jobs(start):
            if job.earned is not None and (end is None or (job.ended_ts or 0) <= end):
                total += job.earned.amount
        return EarningsSummary(
            start,
            end,
            [Money(total, UNIT, total * USD_PER_DEMO)],
            source="practice network",
            as_of=self.clock(),
        )

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

    def logs(self, tail: int = 200) -> list[str]:
        with self._lock:
            return list(self._log)[-tail:]
