"""The practice market at work: the tick that brings offers, the jobs it hands to the job
service, how they end, and the node's life (enrolled, online, paused).

Why apart from the adapter (demo.py): the adapter is what the worker sees (the protocols);
this is the simulation behind it, driven from three sides at once (its tick thread, the
supervisor, and the job service's threads reporting endings), so it owns the one lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from desktop.model import ExitReason, JobState, NodeState
from desktop.networks.base import NetworkError
from desktop.networks.demo_jobs import PracticeJobs
from desktop.networks.demo_offers import Offers
from desktop.networks.demo_score import PracticeScore
from desktop.networks.demo_terms import BLOCKING_CODES, log, pay_idem_key, practice_refusal, refusal
from desktop.networks.records import NetworkJob, Reputation, StatusSnapshot
from desktop.networks.spec import Credit, StopJob, SubmitJob


class PracticeMarket:
    """Offers, jobs and reputation of one practice node, under one lock."""

    def __init__(
        self,
        offers: Offers,
        now: Callable[[], float],
        submit_job: SubmitJob | None,
        credit: Credit | None,
        stop_job: StopJob | None,
        tick_interval_s: float | None,
    ) -> None:
        self.offers, self.now = offers, now
        self.submit_job, self.credit, self.stop_job = submit_job, credit, stop_job
        self.tick_interval_s = tick_interval_s
        self.book = PracticeJobs()
        self.score = PracticeScore()
        self.lock = threading.RLock()
        self._done = threading.Condition(self.lock)
        self.enrolled = self._running = self._paused = False
        self._blocked: str | None = None  # why offers are refused for good (demo.py)
        self._refusing = False
        self._last_tick = now()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    # --- life ------------------------------------------------------------------------------

    def open(self) -> None:
        with self.lock:
            if not self.enrolled:
                raise NetworkError("The practice network is not enrolled yet.")
            self._running, self._paused = True, False
            self._last_tick = self.now()
        log.info("demo: online, waiting for job offers")
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

    def close(self, graceful: bool, timeout_s: float) -> None:
        with self.lock:
            if graceful and self.book.current is not None:
                self._done.wait_for(lambda: self.book.current is None, timeout=timeout_s)
            to_stop = self._forfeit()
            self._running = False
        self._stop_job(to_stop)
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        log.info("demo: offline")

    def pause(self) -> None:
        with self.lock:
            to_stop = self._forfeit()
            self._paused = True
            self.offers.cancel()
        self._stop_job(to_stop)
        log.info("demo: paused")

    def resume(self) -> None:
        with self.lock:
            self._paused = False
            self._last_tick = self.now()
        log.info("demo: resumed")

    # --- offers and jobs -----------------------------------------------------------------------

    def tick(self) -> None:
        """Count the time, and take an offer when one is due."""
        with self.lock:
            now = self.now()
            elapsed, self._last_tick = max(0.0, now - self._last_tick), now
            online = self._running and not self._paused
            if self.enrolled:
                self.score.elapse(elapsed, online)
            if not online or self.book.current is not None or not self.offers.due(now):
                return
            self.offers.cancel()
            offer = self.offers.make(now)
        self._take(offer)

    def _take(self, offer: dict[str, Any]) -> None:
        if self.submit_job is None:
            return
        try:
            job_id = self.submit_job(offer)
        except Exception as exc:  # the runner refused: skip this offer, try the next one
            code, reason = refusal(exc)
            with self.lock:
                first, self._refusing = not self._refusing, True
                if code in BLOCKING_CODES:
                    self._blocked = practice_refusal(self.offers.image, exc)
                self.offers.schedule(self.now())
            if first:  # once per refusal streak, not at every offer
                log.warning("demo: the job runner refused offer %s: %s", offer["job_id"], reason)
            return
        with self.lock:
            self._blocked, self._refusing = None, False
            early = self.book.begin(offer, job_id, self.now())
        if early is not None:  # the runner finished (or refused) it before submit returned
            self.job_finished(job_id, *early)
            return
        amount = offer["pay"]["amount"]
        log.info("demo: accepted job %s: %s s for %s DEMO", job_id, offer["command"][1], amount)

    def job_finished(self, job_id: str, state: JobState, exit_reason: ExitReason | None) -> None:
        with self.lock:
            ending = self.book.finish(job_id, state, exit_reason, self.now())
            if ending is None:
                return
            self._done.notify_all()
            if ending.outcome == "paid":
                self.score.finished()
            elif ending.outcome == "interrupted":
                self.score.interrupted()
            else:
                self.score.failed()
            self.offers.schedule(self.now())
        if ending.pay is not None and self.credit is not None:
            self.credit(self.offers.network, job_id, ending.pay, pay_idem_key(job_id))
        paid = f"paid {ending.offered} DEMO" if ending.pay is not None else "no pay"
        log.info("demo: job %s %s: %s", job_id, state, paid)

    def _forfeit(self) -> str | None:
        """Interrupt the running job (under the lock); the caller stops it after."""
        job_id = self.book.forfeit(self.now())
        if job_id is not None:
            self.score.interrupted()
            self._done.notify_all()
            log.info("demo: job %s interrupted: its pay is forfeited", job_id)
        return job_id

    def _stop_job(self, job_id: str | None) -> None:
        if job_id is None or self.stop_job is None:
            return
        try:
            self.stop_job(job_id)
        except Exception as exc:
            log.warning("demo: could not stop job %s: %s", job_id, exc)

    # --- what it looks like ------------------------------------------------------------------

    def snapshot(self) -> StatusSnapshot:
        with self.lock:
            now, current = self.now(), self.book.current
            if not self.enrolled:
                return StatusSnapshot(NodeState.NOT_ENROLLED, "not enrolled", now)
            if not self._running:
                return StatusSnapshot(NodeState.OFFLINE, "offline", now)
            if self._paused:
                return StatusSnapshot(NodeState.PAUSED, "paused", now)
            if self._blocked is not None and current is None:
                return StatusSnapshot(NodeState.ERROR, "jobs refused", now, message=self._blocked)
            if current is not None:
                job = str(current["job_id"])
                return StatusSnapshot(
                    NodeState.BUSY, "running job", now, message=f"job {job}", extra={"job_id": job}
                )
            return StatusSnapshot(NodeState.IDLE, "waiting for offers", now)

    def jobs(self, since: float | None) -> list[NetworkJob]:
        with self.lock:
            return self.book.listed(since)

    def reputation(self) -> Reputation:
        with self.lock:
            return self.score.reputation()
