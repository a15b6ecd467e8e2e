"""The practice marketplace: the whole loop (offer, run, pay, reputation) without a wallet.

Why it looks like a real network: a newcomer learns what RigPilot does by watching it
(ARCHITECTURE.md, "Simulation"), so the practice network keeps the rules that matter on
real networks: pay in its own unit (DEMO, at a fixed USD rate), an interrupted job
forfeits its pay (io.net-style, so the arbiter's penalty logic is exercised), and a
reputation that drops on interruptions and recovers slowly with uptime and finished work.

It never runs containers: it hands job specs (docs/jobs.md) to the job service
(``submit_job``) and learns how they ended through ``job_finished`` (it is a JobSource);
the worker runs them in Docker or on the simulated runner. SUCCEEDED jobs are paid through
``credit``, with an idempotency key.

One clock: everything is wall time (``desktop.clock.now``); ``speed`` only shortens the
real length of a job and the gaps between offers (desktop/networks/demo_offers.py).

Outside demo mode its image is refused unless the user allowed it, and a real-GPU worker
never fakes GPU load: the job service's dry run (``check_offer``) is asked at enrollment,
which is then refused with the way out (demo_terms.practice_refusal). Without that hook
the first refused offer turns the status to ERROR with the same sentence.

Collaborators, each in its module: ``PracticeMarket`` (the simulation: its tick thread,
its lock and the node's life) with ``Offers`` (what is offered and when), ``PracticeJobs``
(the running job and how jobs ended) and ``PracticeScore`` (reputation). This class is
what the worker sees: the protocols.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from desktop.model import CheckResult, ExitReason, JobState, Money, NetworkPenalties
from desktop.networks.base import EnrollmentError
from desktop.networks.demo_market import PracticeMarket
from desktop.networks.demo_offers import Offers, OfferTerms
from desktop.networks.demo_spec import SPEC
from desktop.networks.demo_terms import DEFAULT_IMAGE, UNIT, USD_PER_DEMO, log, practice_refusal
from desktop.networks.records import (
    ActionRequired,
    CredentialField,
    CredentialKind,
    EarningsSummary,
    HostFacts,
    NetworkJob,
    Reputation,
    StatusSnapshot,
    requirement,
)
from desktop.networks.spec import (
    AdapterContext,
    CheckJob,
    Credit,
    StopJob,
    SubmitJob,
    wall_now,
)

DEFAULT_TERMS = OfferTerms()


class DemoNetwork:
    """The in-process practice marketplace (see the module docstring)."""

    id = SPEC.id
    display_name = SPEC.display_name
    description = SPEC.description

    def __init__(
        self,
        submit_job: SubmitJob | None = None,
        credit: Credit | None = None,
        stop_job: StopJob | None = None,
        check_offer: CheckJob | None = None,
        allows_image: Callable[[str], bool] | None = None,
        clock_now: Callable[[], float] | None = None,
        speed: float = 1.0,
        seed: int | None = None,
        image: str = DEFAULT_IMAGE,
        terms: OfferTerms = DEFAULT_TERMS,
        tick_interval_s: float | None = 0.5,
    ) -> None:
        self.check_offer, self.image = check_offer, image
        self.allows_image = allows_image
        self._now = clock_now or wall_now
        offers = Offers(self.id, image, terms, speed, random.Random(seed))
        self.market = PracticeMarket(
            offers, self._now, submit_job, credit, stop_job, tick_interval_s
        )

    # --- description ---------------------------------------------------------------------

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

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        """Any computer in the demo; elsewhere only where its image was allowed (jobs on
        a real GPU): a newcomer is pointed at the demo rather than at settings."""
        if self.allows_image is None or self.allows_image(self.image):
            return [
                requirement("demo.any", "Any computer", True, "The practice network runs anywhere")
            ]
        return [
            requirement(
                "demo.demo_mode",
                "The demo",
                False,
                "the practice network runs in the demo, on a simulated GPU",
                "Try the demo (rigpilot --demo): it shows the practice network at work on a "
                "simulated GPU, with nothing to install. (To run its jobs on this computer's "
                "GPU, a developer "
                f"allows its image {self.image} in Settings, under Local Docker images.)",
            )
        ]

    # --- Enrollable ------------------------------------------------------------------------

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        """Refused (EnrollmentError) when this worker would refuse the practice jobs."""
        if self.check_offer is not None:
            probe = self.market.offers.spec("demo-probe", 60, Decimal("1"), "constant", 1.0)
            try:
                self.check_offer(probe)
            except Exception as exc:
                raise EnrollmentError(practice_refusal(self.image, exc)) from None
        with self.market.lock:
            self.market.enrolled = True
        log.info("demo: enrolled")
        return None

    def remove(self) -> None:
        self.market.close(graceful=False, timeout_s=0.0)
        with self.market.lock:
            self.market.enrolled = False

    # --- Controllable, Pausable, JobSource ----------------------------------------------------

    def start(self) -> None:
        self.market.open()

    def stop(self, graceful: bool = True, timeout_s: float = 120.0) -> None:
        self.market.close(graceful, timeout_s)

    def pause(self) -> None:
        self.market.pause()

    def resume(self) -> None:
        self.market.resume()

    def job_finished(self, job_id: str, state: JobState, exit_reason: ExitReason | None) -> None:
        """The job service reports how one of our jobs ended."""
        self.market.job_finished(job_id, state, exit_reason)

    def tick(self) -> None:
        """One step of the market (its thread calls it; tests step it by hand)."""
        self.market.tick()

    # --- observation (core, EarningsReporter, ReputationReporter) --------------------------

    def status(self) -> StatusSnapshot:
        return self.market.snapshot()

    def jobs(self, since: float | None = None) -> list[NetworkJob]:
        return self.market.jobs(since)

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
            as_of=self._now(),
        )

    def reputation(self) -> Reputation:
        return self.market.reputation()


def _speed(env: Mapping[str, str], default: float) -> float:
    """``RIGPILOT_DEMO_SPEED`` (tests: a faster market than the GPU model), else default."""
    try:
        value = float(env.get("RIGPILOT_DEMO_SPEED", ""))
    except ValueError:
        return default
    return value if 0 < value <= 10000 else default


def build(ctx: AdapterContext) -> DemoNetwork:
    return DemoNetwork(
        submit_job=ctx.submit_job,
        credit=ctx.credit,
        stop_job=ctx.stop_job,
        check_offer=ctx.check_job,
        allows_image=ctx.allows_image,
        speed=_speed(ctx.env, ctx.speed),
        image=ctx.env.get("RIGPILOT_DEMO_IMAGE") or DEFAULT_IMAGE,
    )
