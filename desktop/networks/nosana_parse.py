"""Pure readers of Nosana answers (networks.md §1), tolerant of anything unexpected.

Why separate: these functions decide what a user sees about their node and money, so they
are tested table-style on recorded answers, including broken ones, without any server.
Nothing here raises on bad input: a missing or mistyped field becomes "unknown" with the
reason, a malformed job is skipped and counted.

Value conventions taken from the dashboard's own source: job ``state`` is numeric (0 queued,
1 running, 2 completed, 3 stopped; some contexts use the names), ``timeStart``/``timeEnd``
are Unix seconds (0 when not set), ``usdRewardPerHour`` is a number or null, and a job's
host pay is runtime (capped at ``timeout``) × ``usdRewardPerHour``.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.model import Money, NodeState
from desktop.networks.records import EarningsSummary, NetworkJob, Reputation, StatusSnapshot

NODE_STATES: dict[str, NodeState] = {
    "QUEUED": NodeState.IDLE,
    "RUNNING_JOB": NodeState.BUSY,
    "BENCHMARKING": NodeState.BENCHMARKING,
    "HEALTHCHECK": NodeState.BENCHMARKING,
    "STARTING": NodeState.STARTING,
    "RESTARTING": NodeState.STARTING,
    "JOINING_MARKET": NodeState.STARTING,
}
JOB_STATES = {0: "QUEUED", 1: "RUNNING", 2: "COMPLETED", 3: "STOPPED"}
_FINISHED = {"COMPLETED", "STOPPED"}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _decimal(value: Any) -> Decimal | None:
    number = _number(value)
    if number is None:
        return None
    try:
        return Decimal(str(value)) if isinstance(value, str) else Decimal(repr(number))
    except InvalidOperation:
        return None


def _short(value: Any, limit: int = 40) -> str:
    text = "".join(ch for ch in str(value) if ch.isprintable())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def node_status(info: Any, as_of: float) -> StatusSnapshot:
    """Map ``/node/info`` onto the common states; unknown shapes give UNKNOWN with the reason."""
    if not isinstance(info, dict):
        return StatusSnapshot(
            NodeState.UNKNOWN,
            "",
            as_of,
            message="the node API answered something other than an object",
        )
    node = info.get("node") if isinstance(info.get("node"), str) else None
    extra: dict[str, Any] = {}
    uptime = _number(info.get("uptime"))
    if uptime is not None:
        extra["uptime"] = uptime
    gpus = (info.get("info") or {}).get("gpus") if isinstance(info.get("info"), dict) else None
    devices = gpus.get("devices") if isinstance(gpus, dict) else None
    if isinstance(devices, list):
        extra["gpus"] = [d.get("name") for d in devices if isinstance(d, dict) and d.get("name")]
    state = info.get("state")
    if not isinstance(state, str) or not state:
        return StatusSnapshot(
            NodeState.UNKNOWN, "", as_of, node, "the node's answer has no state field", extra
        )
    mapped = NODE_STATES.get(state)
    if mapped is None:
        reason = (
            "the node reports OTHER (a state it does not classify)"
            if state == "OTHER"
            else f"the node reports a state RigPilot does not know: {_short(state)!r}"
        )
        return StatusSnapshot(NodeState.UNKNOWN, _short(state), as_of, node, reason, extra)
    return StatusSnapshot(mapped, state, as_of, node, "", extra)


def job_state_name(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return JOB_STATES.get(value, f"STATE_{value}")
    if isinstance(value, str) and value:
        return _short(value.upper())
    return "UNKNOWN"


def parse_job(raw: Any) -> NetworkJob | None:
    """One dashboard job, or None when it lacks an id."""
    if not isinstance(raw, dict):
        return None
    job_id = raw.get("id", raw.get("address"))
    if isinstance(job_id, bool) or not isinstance(job_id, int | str) or job_id == "":
        return None
    state = job_state_name(raw.get("state"))
    start = _number(raw.get("timeStart")) or None
    end = _number(raw.get("timeEnd")) or None
    rate = _number(raw.get("usdRewardPerHour"))
    earned = None
    if state in _FINISHED and start and end and end > start and rate is not None:
        seconds = end - start
        timeout = _number(raw.get("timeout"))
        if timeout and timeout > 0:
            seconds = min(seconds, timeout)
        usd = (Decimal(repr(rate)) * Decimal(repr(seconds)) / Decimal(3600)).quantize(
            Decimal("0.000001")
        )
        earned = Money(usd, "USD", usd)
    return NetworkJob(str(job_id), state, start, end, earned, rate, {"timeout": raw.get("timeout")})


def parse_jobs(doc: Any) -> tuple[list[NetworkJob], int]:
    """(jobs, number of malformed entries skipped) from ``{jobs: [...], totalJobs}``."""
    items = doc.get("jobs") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return [], 1
    jobs = [job for job in (parse_job(item) for item in items) if job is not None]
    return jobs, len(items) - len(jobs)


def parse_earning_history(doc: Any, start: float | None, end: float | None) -> EarningsSummary:
    """Per-day USD from ``results[{period, total_usd}]``, summed over [start, end]."""
    by_day: dict[str, Money] = {}
    results = doc.get("results") if isinstance(doc, dict) else None
    first = dt.datetime.fromtimestamp(start, dt.UTC).date().isoformat() if start else None
    last = dt.datetime.fromtimestamp(end, dt.UTC).date().isoformat() if end else None
    total = Decimal(0)
    for row in results if isinstance(results, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("period"), str):
            continue
        usd = _decimal(row.get("total_usd"))
        period = row["period"][:10]
        if usd is None or (first and period < first) or (last and period > last):
            continue
        by_day[period] = Money(usd, "USD", usd)
        total += usd
    all_time = _decimal(doc.get("totalEarnedAllTime")) if isinstance(doc, dict) else None
    return EarningsSummary(
        period_start=start,
        period_end=end,
        earned=[Money(total, "USD", total)],
        by_day=by_day,
        source="nosana dashboard earning-history",
        all_time=None if all_time is None else Money(all_time, "USD", all_time),
    )


def parse_claimable(specs: Any) -> list[Money]:
    """Unclaimed uptime rewards (NOS) from ``/api/nodes/{addr}/specs``."""
    amount = _decimal(specs.get("claimableUptimeNosRewards")) if isinstance(specs, dict) else None
    return [] if amount is None else [Money(amount, "NOS")]


def parse_node_report(doc: Any) -> Reputation | None:
    """``{node, participationRate, uptimePercentage}`` → Reputation (None when unusable)."""
    if not isinstance(doc, dict):
        return None
    uptime = _number(doc.get("uptimePercentage"))
    participation = _number(doc.get("participationRate"))
    if uptime is None and participation is None:
        return None
    return Reputation(
        uptime_pct=uptime,
        verified=None,
        score=participation,
        details={"participationRate": participation, "source": "nosana node-report"},
    )
