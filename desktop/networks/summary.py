"""The per-network record the API's ``GET /networks`` returns, built from plain data.

Why separate from the supervisor: what the user is told to do next ("Enroll it", "Run this
command once", "Paused") is a pure decision, tested without any event loop; and what a
network can do is read from the capability protocols it implements (base.py), so the
record cannot claim a capability the adapter does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desktop.model import CheckResult, CheckStatus, NetworkStatus, NodeState
from desktop.networks.base import (
    Controllable,
    EarningsReporter,
    Enrollable,
    JobSource,
    MonitorOnly,
    NetworkAdapter,
    Pausable,
    ReputationReporter,
)
from desktop.networks.records import ActionRequired, Reputation, StatusSnapshot
from desktop.networks.spec import NetworkSpec

ZERO_MONEY = {"currency": "USD", "gross": "0", "gross_now": "0", "electricity": "0", "net": "0",
              "energy_kwh": "0"}  # fmt: skip


@dataclass(frozen=True)
class Standing:
    """What the worker knows of one network beyond the adapter's own snapshot.

    Attributes:
        enrolled: enrolled (the ledger has it).
        paused: the user holds it, or the worker paused its agent for a hold.
        pause_reason: why, in words ("" when not paused).
        action: the user's step still to take (a first-time registration).
    """

    enrolled: bool
    paused: bool = False
    pause_reason: str = ""
    action: ActionRequired | None = None


def status_action(snapshot: StatusSnapshot) -> ActionRequired | None:
    """A step an adapter asks of the user while its agent keeps running (io.net's Explorer
    token about to end), carried in ``extra["action_required"]``: an enrollment's pending
    step (``Standing.action``) would hold the agent back, this one must not."""
    raw = snapshot.extra.get("action_required")
    if not isinstance(raw, dict) or not isinstance(raw.get("message"), str):
        return None
    text = {
        k: raw.get(k) if isinstance(raw.get(k), str) else None for k in ("url", "command", "code")
    }
    return ActionRequired(raw["message"], text["url"], text["command"], text["code"])


def next_step(
    network: str, standing: Standing, snapshot: StatusSnapshot, checks: list[CheckResult]
) -> str:
    """What the user should do next, in plain words ("" when nothing)."""
    failing = [c.fix for c in checks if c.status is CheckStatus.FAIL and c.fix]
    if not standing.enrolled:
        return failing[0] if failing else f"Enroll it: rigpilot enroll {network}"
    action = standing.action or status_action(snapshot)
    if action is not None:
        return action.message
    if standing.paused:
        why = standing.pause_reason.rstrip(".")
        if why:
            return f"Paused: {why}. It takes jobs again when resumed."
        return "Paused: it takes jobs again when resumed."
    if (
        snapshot.state in (NodeState.UNKNOWN, NodeState.ERROR, NodeState.OFFLINE)
        and snapshot.message
    ):
        return snapshot.message
    return ""


def capabilities(spec: NetworkSpec, adapter: NetworkAdapter) -> dict[str, Any]:
    """What RigPilot can do with this network, from the protocols it implements."""
    return {
        "platforms": sorted(spec.platforms),
        "can_enroll": isinstance(adapter, Enrollable),
        "can_start_stop": isinstance(adapter, Controllable),
        "can_pause": isinstance(adapter, Pausable),
        "runs_jobs_here": isinstance(adapter, JobSource),
        "earnings_api": isinstance(adapter, EarningsReporter),
        "reputation_api": isinstance(adapter, ReputationReporter),
        "monitor_only": isinstance(adapter, MonitorOnly),
    }


def network_summary(
    spec: NetworkSpec,
    adapter: NetworkAdapter,
    snapshot: StatusSnapshot,
    standing: Standing,
    checks: list[CheckResult],
    reputation: Reputation | None,
    uptime: float | None,
    money: Mapping[str, Any],
) -> dict[str, Any]:
    """NetworkStatus + description, capabilities, credential fields, requirements,
    penalties, the user's step, earnings, reputation and uptime."""
    action = standing.action or (status_action(snapshot) if standing.enrolled else None)
    status = NetworkStatus(
        network=adapter.id,
        display_name=adapter.display_name,
        state=snapshot.state,
        native_state=snapshot.native_state,
        enrolled=standing.enrolled,
        paused=standing.enrolled and standing.paused,
        as_of=snapshot.as_of,
        message=snapshot.message,
        next_step=next_step(adapter.id, standing, snapshot, checks),
    )
    return {
        **status.to_json(),
        "description": adapter.description,
        "capabilities": capabilities(spec, adapter),
        "credential_fields": [f.to_json() for f in adapter.credential_schema()],
        "requirements": [c.to_json() for c in checks],
        "penalties": adapter.penalties().to_json(),
        "action_required": None if action is None else action.to_json(),
        "earnings_today": money.get("earnings_today") or ZERO_MONEY,
        "earnings_total": money.get("earnings_total") or ZERO_MONEY,
        "reputation": None if reputation is None else reputation.to_json(),
        "uptime_pct": uptime,
    }
