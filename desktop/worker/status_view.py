"""Today's worker parts read as the typed record of protocol 2 (a bridge, replaced whole).

Why: the API answers ``StatusAnswer`` (one snapshot per GPU: state, owner, holds, work,
power, heat) while the worker core that keeps the pauses, the guard and the networks is
being rewritten around one record per GPU. Until then this module reads the parts as they
are (the user's ``PauseState``, the guard's top decision and status, the supervisor's
summary, the job service's live jobs) and builds the typed answer, so the clients can be
written against the final contract. Pure functions of plain inputs: no part is changed.

Known limits of the bridge (the record removes them): only the guard's *top* decision is
visible, so a heat hold under a user pause shows as the user's; a network paused before
this update (the ledger's ``paused`` flag) shows as a user hold since the worker started.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import msgspec

from desktop.ipc.schema import (
    GpuStatus,
    NetworkBrief,
    PauseScope,
    PowerView,
    ThermalView,
)
from desktop.ipc.schema_networks import ActionRequired, NetworkChange, NetworkRecord
from desktop.model import (
    GpuInfo,
    GpuSample,
    GpuState,
    GuardAction,
    GuardDecision,
    Hold,
    HoldKind,
    NodeState,
)

# States in which an enrolled network can own a GPU (it is there and not failing).
OWNING_STATES = {
    NodeState.STARTING,
    NodeState.BENCHMARKING,
    NodeState.IDLE,
    NodeState.BUSY,
    NodeState.PAUSED,
    NodeState.STOPPING,
}
GUARD_KINDS = {
    "thermal": HoldKind.THERMAL,
    "activity": HoldKind.GAME,
    "schedule": HoldKind.SCHEDULE,
}
HOLDING_ACTIONS = {
    GuardAction.PAUSE,
    GuardAction.STOP,
    GuardAction.STOP_FOR_DAY,
    GuardAction.EMERGENCY,
}


def user_holds(
    pause_items: Iterable[Mapping[str, Any]], legacy_paused: Iterable[str], since: float
) -> list[Hold]:
    """The user's holds: each pause of ``PauseState``, then networks paused the old way."""
    holds = [
        Hold(
            kind=HoldKind.USER,
            action=GuardAction.PAUSE,
            reason=str(item.get("reason") or ""),
            since=float(item["since_ts"]),
            until=item.get("until_ts"),
            scope=str(item["scope"]),
            gpu=item.get("gpu"),
            network=item.get("network"),
        )
        for item in pause_items
    ]
    for network in legacy_paused:
        if not any(h.covers_network(network) for h in holds):
            holds.append(
                Hold(
                    HoldKind.USER,
                    GuardAction.PAUSE,
                    "",
                    since,
                    scope=PauseScope.NETWORK,
                    network=network,
                )
            )
    return holds


def guard_hold(decision: GuardDecision | None) -> Hold | None:
    """The guard's top decision as a hold, when it holds work back (throttling does not)."""
    if decision is None or decision.action not in HOLDING_ACTIONS:
        return None
    if decision.action is GuardAction.EMERGENCY:
        kind = HoldKind.EMERGENCY
    else:
        found = GUARD_KINDS.get(decision.source)
        if found is None:  # the user's own pause, already among the user's holds
            return None
        kind = found
    return Hold(kind, decision.action, decision.reason, decision.ts, gpu=decision.gpu_index)


def first_hold_first(holds: Iterable[Hold]) -> list[Hold]:
    """The holds, the one that decides first (most drastic action, then kind) first."""
    return sorted(holds, key=lambda h: h.severity, reverse=True)


def owner_of(networks: Sequence[Mapping[str, Any]], held: set[str]) -> str | None:
    """The first enrolled network (registry order) that is there, not failing, not held."""
    for net in networks:
        name = str(net["network"])
        if net.get("enrolled") and name not in held and NodeState(net["state"]) in OWNING_STATES:
            return name
    return None


def gpu_state(holds: list[Hold], owner: str | None, busy: bool) -> GpuState:
    if holds:
        drastic = holds[0].action is GuardAction.EMERGENCY or holds[0].kind is HoldKind.EMERGENCY
        return GpuState.EMERGENCY if drastic else GpuState.PAUSED
    if owner is None:
        return GpuState.UNUSED
    return GpuState.WORKING if busy else GpuState.WAITING


def thermal_view(guard: Mapping[str, Any] | None) -> ThermalView | None:
    if not guard or "thermal" not in guard:
        return None
    return msgspec.convert(
        {
            **guard["thermal"],
            "vram_temperature_reported": bool(guard.get("vram_temperature_reported")),
            "limits": guard["limits"],
        },
        ThermalView,
    )


def gpu_status(
    info: GpuInfo,
    sample: GpuSample | None,
    *,
    degraded: bool,
    holds: list[Hold],
    owner: str | None,
    owner_busy: bool,
    jobs_running: int,
    guard: Mapping[str, Any] | None,
) -> GpuStatus:
    """One GPU of ``StatusAnswer`` from its facts, reading, holds and owner."""
    ordered = first_hold_first(holds)
    limit = sample.power_limit_w if sample is not None else None
    work = str(guard.get("work") or "run") if guard else ("pause" if ordered else "run")
    return GpuStatus(
        index=info.index,
        info=info,
        sample=sample,
        degraded=degraded,
        state=gpu_state(ordered, owner, owner_busy or jobs_running > 0),
        owner=owner,
        holds=ordered,
        work=work,
        jobs_running=jobs_running,
        power=PowerView(
            limit_w=limit if limit is not None else info.power.enforced_w,
            user_w=info.power.enforced_w,
            cap_w=guard.get("power_limit_w") if guard else None,
            duty_cycle=guard.get("duty_cycle") if guard else None,
        ),
        thermal=thermal_view(guard),
    )


def network_briefs(
    networks: Sequence[Mapping[str, Any]], holds: list[Hold], owned: Mapping[str, list[int]]
) -> list[NetworkBrief]:
    """Status's short form of each network, with the user's hold that covers it."""
    briefs = []
    for net in networks:
        name = str(net["network"])
        covering = first_hold_first(h for h in holds if h.covers_network(name))
        briefs.append(
            NetworkBrief(
                network=name,
                display_name=str(net["display_name"]),
                state=NodeState(net["state"]),
                enrolled=bool(net["enrolled"]),
                held=covering[0] if covering else None,
                gpus=list(owned.get(name, [])),
                message=str(net.get("message") or ""),
                next_step=str(net.get("next_step") or ""),
            )
        )
    return briefs


MONEY_KEYS = ("gross_usd", "energy_kwh", "electricity_cost", "net_usd")
ActionRequiredOrNone = ActionRequired | None


def network_record(raw: Mapping[str, Any], holds: list[Hold]) -> NetworkRecord:
    """The network layer's summary (desktop/networks/summary.py) as the typed record: its
    ``paused`` flag gives way to the user's hold, and money the ledger has not seen yet is
    zero in all four figures."""
    body = {k: v for k, v in raw.items() if k != "paused"}
    name = str(raw["network"])
    covering = first_hold_first(h for h in holds if h.covers_network(name))
    body["held"] = covering[0] if covering else None
    for key in ("earnings_today", "earnings_total"):
        money = dict(raw.get(key) or {})
        body[key] = {k: money.get(k, "0") for k in MONEY_KEYS}
    return msgspec.convert(body, NetworkRecord)


def network_change(
    answer: Mapping[str, Any], record: Callable[[dict[str, Any]], NetworkRecord]
) -> NetworkChange:
    """The supervisor's ``{status, action_required}`` answer as the typed change."""
    return NetworkChange(
        status=record(dict(answer["status"])),
        action_required=msgspec.convert(answer.get("action_required"), ActionRequiredOrNone),
    )
