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

The class is assembled from parts: ``demo_state`` (vocabulary, state, log),
``demo_outcomes`` (pay, forfeits, reputation) and ``demo_offers`` (offers and the tick);
the adapter's description, life cycle and observation are here.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from decimal import Decimal

from desktop.model import CheckResult, Money, NetworkPenalties, NodeState
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
    StatusSnapshot,
    requirement,
)
from desktop.networks.demo_offers import BLOCKING_CODES, PROFILES, DemoOffers, load_profile
from desktop.networks.demo_outcomes import INTERRUPTION_COST, RECOVERY_PER_HOUR, SUCCESS_GAIN
from desktop.networks.demo_state import (
    DEFAULT_IMAGE,
    UNIT,
    USD_PER_DEMO,
    CheckOffer,
    Credit,
    SubmitJob,
    log,
    pay_idem_key,
    practice_refusal,
)

__all__ = [
    "BLOCKING_CODES",
    "DEFAULT_IMAGE",
    "INTERRUPTION_COST",
    "PROFILES",
    "RECOVERY_PER_HOUR",
    "SUCCESS_GAIN",
    "UNIT",
    "USD_PER_DEMO",
    "CheckOffer",
    "Credit",
    "DemoNetwork",
    "SubmitJob",
    "load_profile",
    "pay_idem_key",
    "practice_refusal",
]


class DemoNetwork(DemoOffers):
    """The in-process practice marketplace (see module docstring)."""

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

    def logs(self, tail: int = 200) -> list[str]:
        with self._lock:
            return list(self._log)[-tail:]
