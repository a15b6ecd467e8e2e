"""The per-network summary the API's ``GET /networks`` returns, built from plain data.

Why separate from the supervisor: what the user is told to do next ("Enroll it", "Run this
command once", "Paused") is a pure decision, tested without any event loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desktop.model import CheckResult, CheckStatus, NetworkStatus, NodeState
from desktop.networks.base import ActionRequired, NetworkAdapter, Reputation, StatusSnapshot


def next_step(
    network: str,
    record: Mapping[str, Any],
    snapshot: StatusSnapshot,
    action: ActionRequired | None,
    checks: list[CheckResult],
) -> str:
    """What the user should do next, in plain words ("" when nothing)."""
    failing = [c.fix for c in checks if c.status is CheckStatus.FAIL and c.fix]
    if not record.get("enrolled"):
        return failing[0] if failing else f"Enroll it: rigpilot enroll {network}"
    if action is not None:
        return action.message
    if not record.get("running"):
        return "Paused: resume it to take jobs again."
    if (
        snapshot.state in (NodeState.UNKNOWN, NodeState.ERROR, NodeState.OFFLINE)
        and snapshot.message
    ):
        return snapshot.message
    return ""


def network_summary(
    adapter: NetworkAdapter,
    snapshot: StatusSnapshot,
    record: Mapping[str, Any],
    action: ActionRequired | None,
    checks: list[CheckResult],
    reputation: Reputation | None,
    uptime: float | None,
    money: Mapping[str, Any],
) -> dict[str, Any]:
    """NetworkStatus + capabilities, credential fields, requirements, earnings, reputation."""
    status = NetworkStatus(
        network=adapter.id,
        display_name=adapter.display_name,
        state=snapshot.state,
        native_state=snapshot.native_state,
        enrolled=bool(record.get("enrolled")),
        paused=bool(record.get("enrolled")) and not record.get("running"),
        as_of=snapshot.as_of,
        message=snapshot.message,
        next_step=next_step(adapter.id, record, snapshot, action, checks),
    )
    zero = {"gross_usd": "0", "net_usd": "0"}
    return {
        **status.to_json(),
        "capabilities": adapter.capabilities().to_json(),
        "credential_fields": [f.to_json() for f in adapter.credential_schema()],
        "requirements": [c.to_json() for c in checks],
        "penalties": adapter.penalties().to_json(),
        "action_required": None if action is None else action.to_json(),
        "earnings_today": money.get("earnings_today") or zero,
        "earnings_total": money.get("earnings_total") or zero,
        "reputation": None if reputation is None else reputation.to_json(),
        "uptime_pct": uptime,
    }
