"""Golem's answers (yagna's REST API, the public stats API) as RigPilot's records.

Shapes: the GamerHash facade's models (yagna, camelCase) and golem-stats-backend's
serializers (stats, snake_case); recorded in tests/data/golem/. Every value is
type-checked; a missing or mistyped field is a BadAnswer with the reason, never a guess.
Amounts are GLM (TGLM on the test network), in their own unit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.model import Money
from desktop.networks.base import NetworkError
from desktop.networks.records import NetworkJob, Reputation

NODE_ID = re.compile(r"^0x[0-9a-fA-F]{40}$")
# ActivityState.StateType of the facade (ya-client's ActivityState)
WORKING_STATES = frozenset({"New", "Initialized", "Deployed", "Ready"})
ENDED_STATES = frozenset({"Terminated", "Unresponsive"})
PAID = frozenset({"ACCEPTED", "SETTLED"})
INVOICE_STATES = frozenset(
    {"ISSUED", "RECEIVED", "ACCEPTED", "REJECTED", "FAILED", "SETTLED", "CANCELLED"}
)


class BadAnswer(NetworkError, ValueError):
    """An answer without the documented shape; the message says what is wrong."""


def _utc(text: Any, what: str) -> float | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise BadAnswer(f"{what} is not text")
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadAnswer(f"{what} is not a date and time: {text[:40]!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _text(data: dict[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise BadAnswer(f"the {what} has no {key!r}")
    return value


def parse_me(answer: Any) -> str:
    """The node id (``identity``) of ``GET /me``."""
    if not isinstance(answer, dict):
        raise BadAnswer("yagna's /me answer is not an object")
    identity = _text(answer, "identity", "/me answer")
    if not NODE_ID.match(identity):
        raise BadAnswer(f"yagna's node id {identity[:50]!r} is not an 0x address")
    return identity


@dataclass(frozen=True)
class Agreement:
    """A Golem agreement as the node's API lists it."""

    id: str
    valid_to: float | None
    timestamp: float | None


def parse_agreements(answer: Any) -> list[Agreement]:
    if not isinstance(answer, list):
        raise BadAnswer("yagna's agreement list is not a list")
    out = []
    for entry in answer:
        if not isinstance(entry, dict):
            raise BadAnswer("an agreement is not an object")
        ident = entry.get("id") or entry.get("agreementId") or entry.get("agreementID")
        if not isinstance(ident, str) or not ident:
            raise BadAnswer("an agreement has no id")
        out.append(
            Agreement(
                ident, _utc(entry.get("validTo"), "validTo"), _utc(entry.get("timestamp"), "ts")
            )
        )
    return out


def parse_activity_ids(answer: Any) -> list[str]:
    if not isinstance(answer, list) or not all(isinstance(a, str) for a in answer):
        raise BadAnswer("yagna's activity list is not a list of ids")
    return list(answer)


def parse_activity_state(answer: Any) -> str:
    """The activity's current state word (``state[0]``); BadAnswer for one never seen."""
    if not isinstance(answer, dict) or not isinstance(answer.get("state"), list):
        raise BadAnswer("an activity state has no 'state' pair")
    pair = answer["state"]
    now = pair[0] if pair else None
    if not isinstance(now, str):
        raise BadAnswer("an activity state has no current state")
    if now not in WORKING_STATES | ENDED_STATES:
        raise BadAnswer(f"an activity is in the state {now[:30]!r}, never seen before")
    return now


@dataclass(frozen=True)
class Invoice:
    """A Golem invoice as the node's API lists it."""

    id: str
    agreement_id: str
    amount: Decimal
    status: str
    timestamp: float | None


def parse_invoices(answer: Any) -> list[Invoice]:
    if not isinstance(answer, list):
        raise BadAnswer("yagna's invoice list is not a list")
    out = []
    for entry in answer:
        if not isinstance(entry, dict):
            raise BadAnswer("an invoice is not an object")
        status = _text(entry, "status", "invoice")
        if status not in INVOICE_STATES:
            raise BadAnswer(f"an invoice has the status {status[:30]!r}, never seen before")
        try:
            amount = Decimal(_text(entry, "amount", "invoice"))
        except InvalidOperation:
            raise BadAnswer("an invoice's amount is not a number") from None
        out.append(
            Invoice(
                _text(entry, "invoiceId", "invoice"),
                _text(entry, "agreementId", "invoice"),
                amount,
                status,
                _utc(entry.get("timestamp"), "invoice timestamp"),
            )
        )
    return out


def jobs_from(agreements: list[Agreement], invoices: list[Invoice], unit: str) -> list[NetworkJob]:
    """One job per agreement; paid (its GLM) once its invoices are accepted or settled."""
    by_agreement: dict[str, list[Invoice]] = {}
    for invoice in invoices:
        by_agreement.setdefault(invoice.agreement_id, []).append(invoice)
    jobs = []
    for agreement in agreements:
        billed = by_agreement.get(agreement.id, [])
        paid = [i for i in billed if i.status in PAID]
        ended = max((i.timestamp or 0.0 for i in billed), default=None) or None
        amount = sum((i.amount for i in paid), Decimal(0))
        jobs.append(
            NetworkJob(
                job_id=agreement.id,
                state=billed[-1].status if billed else "agreed",
                started_ts=agreement.timestamp,
                ended_ts=ended,
                earned=Money(amount, unit) if paid and amount > 0 else None,
                extra={"invoices": [i.id for i in billed]},
            )
        )
    return jobs


def _number(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadAnswer(f"{what} is not a number")
    return float(value)


def parse_stats_node(answer: Any) -> dict[str, Any]:
    """The stats API's record of one node (the first of the list it answers)."""
    if not isinstance(answer, list) or not answer or not isinstance(answer[0], dict):
        raise BadAnswer("the stats API's node answer is not a list with the node")
    node = answer[0]
    online = node.get("online")
    if not isinstance(online, bool):
        raise BadAnswer("the stats API's node has no 'online'")
    found = node.get("reputation")
    reputation: dict[str, Any] = found if isinstance(found, dict) else {}
    return {
        "node_id": node.get("node_id"),
        "online": online,
        "computing_now": bool(node.get("computing_now")),
        "uptime_pct": _number(node.get("uptime"), "uptime"),
        "earnings_total_glm": _number(node.get("earnings_total"), "earnings_total"),
        "version": node.get("version"),
        "network": node.get("network"),
        "softbanned": bool(reputation.get("softbanned")),
        "softbanned_reason": reputation.get("softbannedReason"),
        "task_reputation": _number(reputation.get("taskReputation"), "taskReputation"),
    }


def reputation_from(node: dict[str, Any], uptime: Any | None = None) -> Reputation:
    """Uptime (the 30-day figure when the uptime answer has one), the portal's task
    reputation as the score (0 to 1, shown as 0 to 100), softbanned as not verified."""
    pct = node.get("uptime_pct")
    if isinstance(uptime, dict):
        pct = _number(uptime.get("uptime_percentage"), "uptime_percentage") or pct
    score = node.get("task_reputation")
    return Reputation(
        uptime_pct=pct,
        verified=not node["softbanned"],
        score=None if score is None else 100.0 * score if score <= 1.0 else score,
        details={k: v for k, v in node.items() if k not in ("uptime_pct",)},
    )


def parse_stats_earnings(answer: Any, unit: str = "GLM") -> Money:
    """GLM received since the epoch asked (matched and not matched to known requestors)."""
    if not isinstance(answer, dict):
        raise BadAnswer("the stats API's earnings answer is not an object")
    matched = _number(answer.get("total_amount_matched"), "total_amount_matched")
    other = _number(answer.get("total_amount_not_matched"), "total_amount_not_matched")
    if matched is None and other is None:
        raise BadAnswer("the stats API's earnings answer has no amounts")
    total = Decimal(str(matched or 0.0)) + Decimal(str(other or 0.0))
    return Money(total, unit)
