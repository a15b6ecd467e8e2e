"""io.net's Explorer answers turned into RigPilot's records, defensively.

Shapes are the OpenAPI examples of ionet-official/docs (tests/data/ionet/). Every field is
type-checked: anything missing or of the wrong type is reported with the reason
(BadAnswer), never guessed, and fields io.net adds later are ignored. Amounts are $IO,
kept in their own unit (Money(..., "IO")); conversion to dollars is not done here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.model import Money
from desktop.networks.base import NetworkError
from desktop.networks.records import NetworkJob, Reputation

UNIT = "IO"
PASSED_WORDS = frozenset({"succeeded", "success", "passed", "verified"})
FAILED_WORDS = frozenset({"failed", "failure", "verification failed", "not verified"})


class BadAnswer(NetworkError, ValueError):
    """An answer that does not have the documented shape; the message says what is wrong."""


def _data(answer: Any, what: str) -> dict[str, Any]:
    if not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
        raise BadAnswer(f"the {what} answer has no 'data' object")
    return answer["data"]


def _number(value: Any, what: str) -> float | None:
    """A JSON number (None when absent); BadAnswer for any other type."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadAnswer(f"{what} is {type(value).__name__}, not a number")
    return float(value)


def io_amount(value: Any, what: str) -> Money | None:
    """An $IO amount (None when absent)."""
    number = _number(value, what)
    if number is None:
        return None
    try:
        return Money(Decimal(str(value)), UNIT)
    except InvalidOperation:
        raise BadAnswer(f"{what} is not a number") from None


def parse_summary(answer: Any) -> dict[str, Any]:
    """The device summary's figures worth showing (status extras): downtime share,
    connectivity tier, all-time earnings and slashed earnings in $IO, jobs served."""
    data = _data(answer, "device summary")
    down = _number(data.get("down_percentage"), "down_percentage")
    earned = io_amount(data.get("total_earnings"), "total_earnings")
    slashed = io_amount(data.get("total_slashed_earning"), "total_slashed_earning")
    jobs = _number(data.get("total_jobs"), "total_jobs")
    tier = _number(data.get("connectivity_tier"), "connectivity_tier")
    return {
        "down_percentage": down,
        "connectivity_tier": None if tier is None else int(tier),
        "total_earnings_io": None if earned is None else str(earned.amount),
        "total_slashed_io": None if slashed is None else str(slashed.amount),
        "total_jobs": None if jobs is None else int(jobs),
    }


def parse_pow(answer: Any, down_percentage: float | None = None) -> Reputation:
    """Proof-of-work results as a reputation: the pass rate as the score, the last
    challenge's outcome as "verified" (None for a word never seen), and the uptime as
    100 minus the summary's downtime share when it is known."""
    data = _data(answer, "PoW summary")
    passed = _number(data.get("pow_jobs_passed"), "pow_jobs_passed")
    failed = _number(data.get("pow_jobs_failed"), "pow_jobs_failed")
    last = data.get("last_challenge_status")
    if last is not None and not isinstance(last, str):
        raise BadAnswer("last_challenge_status is not text")
    word = (last or "").strip().lower()
    verified = True if word in PASSED_WORDS else False if word in FAILED_WORDS else None
    total = (passed or 0.0) + (failed or 0.0)
    score = 100.0 * (passed or 0.0) / total if total > 0 else None
    uptime = None if down_percentage is None else max(0.0, 100.0 - down_percentage)
    return Reputation(
        uptime_pct=uptime,
        verified=verified,
        score=score,
        details={
            "last_challenge_status": last,
            "pow_jobs_passed": None if passed is None else int(passed),
            "pow_jobs_failed": None if failed is None else int(failed),
        },
    )


def parse_block_rewards(answer: Any) -> tuple[Money | None, dict[str, int | None]]:
    """The block rewards of a period ($IO; None when absent) and the block counts."""
    if not isinstance(answer, dict):
        raise BadAnswer("the block rewards answer is not an object")
    total = io_amount(answer.get("total_block_rewards"), "total_block_rewards")
    counts = {}
    for key in ("total_blocks_earned", "total_blocks_failed", "total_blocks_missed"):
        value = _number(answer.get(key), key)
        counts[key] = None if value is None else int(value)
    return total, counts


def _utc(text: Any, what: str) -> float | None:
    """ "2023-09-12 00:00:00" (UTC, as documented) or ISO 8601, as Unix seconds."""
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise BadAnswer(f"{what} is not text")
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadAnswer(f"{what} is not a date and time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def parse_jobs(answer: Any, now: float) -> tuple[list[NetworkJob], int]:
    """The hire jobs of the device details (and how many entries were malformed). A job
    carries its pay only once it has ended and earned something."""
    data = _data(answer, "device details")
    entries = data.get("jobs")
    if entries is None:
        return [], 0
    if not isinstance(entries, list):
        raise BadAnswer("jobs is not a list")
    jobs, bad = [], 0
    for entry in entries:
        try:
            jobs.append(_job(entry, now))
        except BadAnswer:
            bad += 1
    return jobs, bad


def _job(entry: Any, now: float) -> NetworkJob:
    if not isinstance(entry, dict):
        raise BadAnswer("a job is not an object")
    cluster, status = entry.get("for"), entry.get("status")
    started = _utc(entry.get("start_time"), "start_time")
    ended = _utc(entry.get("end_time"), "end_time")
    if not isinstance(cluster, str) or not cluster or started is None:
        raise BadAnswer("a job has no cluster id or start time")
    earned = io_amount(entry.get("earned"), "earned")
    paid = earned is not None and earned.amount > 0 and ended is not None and ended <= now
    rate = _number(entry.get("total_hire_rate"), "total_hire_rate")
    return NetworkJob(
        job_id=f"{cluster}@{entry.get('start_time')}",
        state=str(status or "unknown"),
        started_ts=started,
        ended_ts=ended,
        earned=earned if paid else None,
        extra={
            "cluster": cluster,
            "total_hire_rate_io": rate,
            "slashed": entry.get("slashed"),
            "uptime_percent": entry.get("uptime_percent"),
        },
    )
