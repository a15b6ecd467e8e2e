"""Typed API answers for tests: a plausible rig in a few keywords, as the worker sends it.

The CLI, the views and the app consume ``desktop.ipc.schema`` objects, so their tests
build those objects (never dicts); every builder takes keyword overrides. The values are
those of a simulated warm RTX 3080 on the practice network.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from desktop.ipc.schema import (
    Components,
    EarningsTotals,
    GpuStatus,
    Mode,
    MoneyFigures,
    NetworkBrief,
    PowerView,
    StatusAnswer,
    ThermalLimits,
    ThermalView,
)
from desktop.ipc.schema_networks import Capabilities, CredentialField, NetworkRecord
from desktop.model import (
    GpuInfo,
    GpuSample,
    GpuState,
    GuardAction,
    Hold,
    HoldKind,
    NetworkPenalties,
    NodeState,
    PowerLimits,
    ThermalThresholds,
)

NOW = 1_800_000_000.0  # a fixed time: tests never read the wall clock's value


def info(index: int = 0, name: str = "Simulated RTX 3080 (warm)") -> GpuInfo:
    return GpuInfo(
        index=index,
        uuid=f"GPU-{index}",
        name=name,
        vram_total_mib=10240,
        driver_version="550.54",
        cuda_version="12.4",
        power=PowerLimits(100.0, 370.0, 320.0, 320.0),
        thresholds=ThermalThresholds(93.0, 98.0, 100.0, None),
        simulated=True,
    )


def sample(index: int = 0, ts: float = NOW, **values: Any) -> GpuSample:
    base: dict[str, Any] = {
        "ts": ts,
        "gpu_index": index,
        "uuid": f"GPU-{index}",
        "core_temp_c": 71.0,
        "mem_temp_c": None,
        "power_w": 215.4,
        "energy_j": 1000.0,
        "gpu_util_pct": 97.0,
        "mem_util_pct": 40.0,
        "vram_used_mib": 2000.0,
        "vram_total_mib": 10240.0,
        "fan_pct": 55.0,
        "sm_clock_mhz": 1800.0,
        "mem_clock_mhz": 9500.0,
        "clock_event_reasons": 0,
        "pstate": 2,
        "power_limit_w": 320.0,
    }
    return GpuSample(**{**base, **values})


def limits() -> ThermalLimits:
    return ThermalLimits(soft_c=80.0, pause_c=85.0, resume_c=70.0, emergency_c=90.0)


def thermal(state: str = "ok", reason: str = "", core: float | None = 71.0) -> ThermalView:
    return ThermalView(
        state=state,
        reason=reason,
        core_c=core,
        mem_c=None,
        recent_pauses=0,
        vram_temperature_reported=False,
        limits=limits(),
    )


def user_hold(scope: str = "all", **kw: Any) -> Hold:
    return Hold(
        kind=HoldKind.USER,
        action=GuardAction.PAUSE,
        reason=kw.pop("reason", ""),
        since=kw.pop("since", NOW - 60),
        scope=scope,
        **kw,
    )


def guard_hold(kind: HoldKind, action: GuardAction = GuardAction.PAUSE, reason: str = "") -> Hold:
    return Hold(kind=kind, action=action, reason=reason, since=NOW - 30, gpu=0)


def gpu(
    index: int = 0,
    state: GpuState = GpuState.WORKING,
    holds: list[Hold] | None = None,
    **kw: Any,
) -> GpuStatus:
    values: dict[str, Any] = {
        "index": index,
        "info": info(index),
        "sample": sample(index),
        "degraded": False,
        "state": state,
        "owner": "demo" if state in (GpuState.WORKING, GpuState.WAITING) else None,
        "holds": holds or [],
        "work": "run",
        "jobs_running": 1 if state is GpuState.WORKING else 0,
        "power": PowerView(limit_w=320.0, user_w=320.0, cap_w=None),
        "thermal": thermal(),
    }
    values.update(kw)
    return GpuStatus(**values)


def brief(
    network: str = "demo",
    state: NodeState = NodeState.BUSY,
    enrolled: bool = True,
    **kw: Any,
) -> NetworkBrief:
    names = {"demo": "Practice network", "nosana": "Nosana"}
    values: dict[str, Any] = {
        "network": network,
        "display_name": names.get(network, network),
        "state": state,
        "enrolled": enrolled,
        "held": None,
        "gpus": [0] if state is NodeState.BUSY else [],
        "message": "",
        "next_step": "",
    }
    values.update(kw)
    return NetworkBrief(**values)


def money(
    gross: str = "0.2460", net: str = "0.1993", currency: str = "USD"
) -> MoneyFigures:
    return MoneyFigures(
        currency=currency,
        gross=Decimal(gross),
        gross_now=Decimal(gross),
        energy_kwh=Decimal("0.232101"),
        electricity=Decimal(gross) - Decimal(net),
        net=Decimal(net),
    )


def totals(gross: str = "0.2460", net: str = "0.1993", currency: str = "USD") -> EarningsTotals:
    figures = money(gross, net, currency)
    return EarningsTotals(
        currency=figures.currency,
        gross=figures.gross,
        gross_now=figures.gross_now,
        energy_kwh=figures.energy_kwh,
        electricity=figures.electricity,
        net=figures.net,
        networks={"nosana": figures},
    )


def status(**kw: Any) -> StatusAnswer:
    values: dict[str, Any] = {
        "version": "0.1.0",
        "pid": 42,
        "mode": Mode.SIMULATED,
        "now": NOW,
        "started_ts": NOW - 3725.0,
        "uptime_s": 3725.0,
        "user_holds": [],
        "gpus": [gpu()],
        "gpu_error": None,
        "networks": [brief(), brief("nosana", NodeState.NOT_ENROLLED, enrolled=False)],
        "jobs_running": 1,
        "earnings_today": totals(),
        "sampling_interval_s": 2.0,
        "settings_warnings": [],
        "last_event_seq": 7,
        "components": Components(
            jobs=True, networks=True, earnings=True, guard=True, settings=True
        ),
    }
    values.update(kw)
    return StatusAnswer(**values)


def paused_status(**kw: Any) -> StatusAnswer:
    """All work paused by the user: every GPU held, every network held."""
    hold = user_hold("all", **kw)
    return status(
        user_holds=[hold],
        gpus=[gpu(state=GpuState.PAUSED, holds=[hold], jobs_running=0, work="pause")],
        networks=[
            brief(state=NodeState.IDLE, held=hold),
            brief("nosana", NodeState.NOT_ENROLLED, enrolled=False, held=hold),
        ],
        jobs_running=0,
    )


def record(network: str = "demo", **kw: Any) -> NetworkRecord:
    """A full network record (``GET /networks``)."""
    names = {"demo": "Practice network", "nosana": "Nosana"}
    values: dict[str, Any] = {
        "network": network,
        "display_name": names.get(network, network),
        "state": NodeState.IDLE,
        "native_state": "waiting for offers",
        "enrolled": True,
        "held": None,
        "as_of": NOW,
        "message": "",
        "next_step": "",
        "description": "A practice marketplace that pays in play money.",
        "capabilities": Capabilities(
            platforms=["linux"],
            can_enroll=True,
            can_start_stop=True,
            can_pause=True,
            runs_jobs_here=True,
            earnings_api=True,
            reputation_api=True,
            monitor_only=False,
        ),
        "credential_fields": [],
        "requirements": [],
        "penalties": NetworkPenalties(),
        "action_required": None,
        "earnings_today": money(),
        "earnings_total": money("1.5000", "1.2000"),
        "reputation": None,
        "uptime_pct": 99.0,
    }
    values.update(kw)
    return NetworkRecord(**values)


def secret_field(name: str = "api_key") -> CredentialField:
    return CredentialField(
        name=name, kind="api_key", required=True, how_to_obtain="from the site", secret=True
    )


def to_json(value: Any) -> Any:
    """The wire form of any typed value (what the worker would have sent)."""
    return msgspec.to_builtins(value)
