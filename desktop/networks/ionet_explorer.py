"""What RigPilot reads of one io.net device through the Explorer API, and when.

Why a reader apart from the adapter: the Explorer is optional (it needs a token the user
copies from the browser, valid 21 days), rate-limited, and its failures must never make
the adapter fail: the local worker's state comes from Docker. The reader keeps the token
and its end, stops using a token that has ended or that the API refused (the user is
asked for a new one: ``ExplorerToken.action``), reads the device summary at most once a
minute, and remembers which finished days' block rewards it has already reported.

Block rewards are io.net's main pay and are hourly; the ledger records pay per "job", so
each finished UTC day's rewards become one record ``block-rewards-YYYY-MM-DD``, read with
the block-rewards summary for that one day (documented fields only), once the day has
been over for a full day (rewards can be slashed before distribution).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from desktop.model import Money
from desktop.networks import ionet_parse as parse
from desktop.networks.base import NetworkError
from desktop.networks.ionet_api import ExplorerApi
from desktop.networks.ionet_token import ExplorerToken
from desktop.networks.records import EarningsSummary, NetworkJob, Reputation
from desktop.networks.remote_api import CredentialRefused

log = logging.getLogger(__name__)

SUMMARY_EVERY_S = 60.0  # summary: 100 calls per 5 min allowed; one a minute is plenty
DAY_S = 86400.0
SETTLE_DAYS = 1  # a day's block rewards are read once it has been over this long


@dataclass
class Seen:
    """The last summary and hire jobs read, for status between reads."""

    summary: dict[str, Any] = field(default_factory=dict)
    summary_at: float = float("-inf")
    note: str = ""  # why the last read failed ("" when it worked)
    hires: list[NetworkJob] = field(default_factory=list)


def _day(ts: float) -> dt.date:
    return dt.datetime.fromtimestamp(ts, dt.UTC).date()


def _midnight(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()


class ExplorerReader:
    """The Explorer side of one device (thread-safe: polls and syncs may overlap)."""

    def __init__(self, api: ExplorerApi, clock: Callable[[], float]) -> None:
        self.api, self.clock = api, clock
        self.device_id = ""
        self.token: ExplorerToken | None = None
        self.seen = Seen()
        self._days_done: set[dt.date] = set()
        self._lock = threading.Lock()

    def configure(self, device_id: str, token: str | None) -> None:
        """A new enrollment: its device and (optional) token; what was read is dropped."""
        with self._lock:
            self.device_id = device_id
            self.token = ExplorerToken.given(token, self.clock()) if token else None
            self.seen, self._days_done = Seen(), set()
        self.api.use_token(self.token.value if self.token else None)

    def usable(self) -> bool:
        token = self.token
        return bool(self.device_id) and token is not None and token.usable(self.clock())

    def notice(self) -> str:
        """What the status says of the Explorer ("" when all is well)."""
        token = self.token
        if token is None:
            return (
                "Earnings and reputation are not read: give an io.net Explorer token "
                "(enroll io.net again with 'explorer_token') to see them here."
            )
        said = token.notice(self.clock())
        return said or self.seen.note

    def _call(self, fn: Callable[[], Any]) -> Any:
        """One Explorer call; a refused token is marked so (never sent again)."""
        try:
            return fn()
        except CredentialRefused:
            if self.token is not None:
                self.token.rejected = True
                self.api.use_token(None)
            log.warning("ionet: the Explorer refused the token; asking the user for a new one")
            raise NetworkError(self.notice()) from None

    def summary(self) -> dict[str, Any]:
        """The device summary's figures, read at most once a minute (the last ones when
        the Explorer cannot be read now, with the reason in ``seen.note``)."""
        now = self.clock()
        if not self.usable() or now - self.seen.summary_at < SUMMARY_EVERY_S:
            return dict(self.seen.summary)
        try:
            figures = parse.parse_summary(self._call(lambda: self.api.summary(self.device_id)))
        except (NetworkError, parse.BadAnswer) as exc:
            self.seen.note = f"io.net's Explorer could not be read: {exc}"
            self.seen.summary_at = now  # tried: the backoff decides when it is tried again
            return dict(self.seen.summary)
        self.seen.summary, self.seen.summary_at, self.seen.note = figures, now, ""
        return dict(figures)

    def hired_now(self) -> bool:
        """A hire job of the last details read covers this moment."""
        now = self.clock()
        return any(
            (j.started_ts or now + 1) <= now < (j.ended_ts if j.ended_ts is not None else now + 1)
            for j in self.seen.hires
        )

    def jobs(self, since: float | None) -> list[NetworkJob]:
        """Hire jobs (paid once ended) and each finished day's block rewards."""
        if not self.usable():
            return []
        now = self.clock()
        hires, bad = parse.parse_jobs(self._call(lambda: self.api.details(self.device_id)), now)
        if bad:
            log.warning("ionet: skipped %d malformed job entries from the Explorer", bad)
        self.seen.hires = hires
        rewards = self._rewards(since, now)
        return [j for j in hires + rewards if since is None or (j.started_ts or 0) >= since]

    def _rewards(self, since: float | None, now: float) -> list[NetworkJob]:
        last = _day(now) - dt.timedelta(days=SETTLE_DAYS + 1)
        # whole days only: the first one that starts at or after ``since``
        first = _day(since + DAY_S - 1) if since is not None else last - dt.timedelta(days=6)
        out, day = [], first
        while day <= last:
            if day not in self._days_done:
                text = day.isoformat()
                answer = self._call(partial(self.api.block_rewards, self.device_id, text, text))
                total, counts = parse.parse_block_rewards(answer)
                with self._lock:
                    self._days_done.add(day)
                if total is not None and total.amount > 0:
                    out.append(
                        NetworkJob(
                            job_id=f"block-rewards-{text}",
                            state="rewarded",
                            started_ts=_midnight(day),
                            ended_ts=_midnight(day) + DAY_S,
                            earned=total,
                            extra=dict(counts),
                        )
                    )
            day += dt.timedelta(days=1)
        return out

    def earnings(self, start: float | None, end: float | None) -> EarningsSummary:
        """Block rewards between two moments (the last 30 days by default)."""
        now = self.clock()
        first, last = _day(start if start is not None else now - 30 * DAY_S), _day(end or now)
        if not self.usable():
            return EarningsSummary(start, end, [], source=self.notice())
        answer = self._call(
            lambda: self.api.block_rewards(self.device_id, first.isoformat(), last.isoformat())
        )
        total, counts = parse.parse_block_rewards(answer)
        described = ", ".join(f"{k.removeprefix('total_')}: {v}" for k, v in counts.items())
        all_time = self.seen.summary.get("total_earnings_io")
        return EarningsSummary(
            start,
            end,
            [total] if total is not None else [],
            all_time=None if all_time is None else Money(Decimal(all_time), parse.UNIT),
            source=f"io.net block rewards, Explorer API ({described})",
            as_of=now,
        )

    def reputation(self) -> Reputation | None:
        """Proof-of-work results, and uptime from the summary's downtime share."""
        if not self.usable():
            return None
        down = self.summary().get("down_percentage")
        answer = self._call(lambda: self.api.pow_summary(self.device_id))
        return parse.parse_pow(answer, down)
