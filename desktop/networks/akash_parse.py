"""Pure readers of Akash answers (the Console API and a provider's /status).

What decides the state: the Console's ``isOnline`` (its own uptime checks), then the
number of active leases: the provider's own ``cluster.leases`` when its /status answered
(a number, or ``{"active": n}``), else the Console's count of active GPUs. Amounts come in
micro-units (``totalUAktEarned`` is uAKT): one AKT is 1 000 000 uAKT.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from desktop.model import Money, NodeState
from desktop.networks.records import Reputation, StatusSnapshot

ADDRESS = re.compile(r"akash1[02-9ac-hj-np-z]{38}")  # bech32, 20-byte account
MICRO = Decimal(1_000_000)
EARNED_UNITS = {"totalUAktEarned": "AKT", "totalUUsdcEarned": "USDC", "totalUActEarned": "ACT"}


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, dict):
        return _count(value.get("active"))
    return None


def leases_of(gateway_status: Any) -> int | None:
    """Active leases from the provider's own ``/status`` (None when not readable)."""
    cluster = gateway_status.get("cluster") if isinstance(gateway_status, dict) else None
    return _count(cluster.get("leases")) if isinstance(cluster, dict) else None


def gpus_active(provider: dict[str, Any]) -> int | None:
    stats = provider.get("stats")
    gpu = stats.get("gpu") if isinstance(stats, dict) else None
    return _count(gpu.get("active")) if isinstance(gpu, dict) else None


def provider_status(provider: Any, leases: int | None, as_of: float) -> StatusSnapshot:
    """The Console's provider record (+ the gateway's lease count) → the common state."""
    if not isinstance(provider, dict):
        return StatusSnapshot(
            NodeState.UNKNOWN, "", as_of, message="the Akash Console's answer is not a provider"
        )
    owner = provider.get("owner") if isinstance(provider.get("owner"), str) else None
    online = provider.get("isOnline")
    extra = {
        k: provider[k] for k in ("hostUri", "isAudited", "leaseCount", "uptime30d") if k in provider
    }
    if not isinstance(online, bool):
        return StatusSnapshot(
            NodeState.UNKNOWN,
            "",
            as_of,
            owner,
            "the Akash Console did not say whether the provider is online (isOnline)",
            extra,
        )
    if not online:
        since = provider.get("lastOnlineDate")
        when = f" (last online {since})" if isinstance(since, str) else ""
        return StatusSnapshot(
            NodeState.OFFLINE,
            "offline",
            as_of,
            owner,
            f"The Akash Console sees your provider offline{when}: check its cluster and "
            "`kubectl -n akash-services logs -l app=akash-provider`.",
            extra,
        )
    busy = leases if leases is not None else gpus_active(provider)
    if busy is None:
        return StatusSnapshot(
            NodeState.UNKNOWN,
            "online",
            as_of,
            owner,
            "the provider is online, but neither it nor the Console said how many leases it has",
            extra,
        )
    extra["active_leases" if leases is not None else "active_gpus"] = busy
    native = f"online, {busy} active lease{'s' if busy != 1 else ''}"
    if leases is None:
        native = f"online, {busy} GPU{'s' if busy != 1 else ''} leased"
    state = NodeState.BUSY if busy else NodeState.IDLE
    return StatusSnapshot(state, native, as_of, owner, "", extra)


def host_uri(provider: Any) -> str | None:
    uri = provider.get("hostUri") if isinstance(provider, dict) else None
    return uri if isinstance(uri, str) and uri.startswith(("https://", "http://")) else None


def reputation(provider: Any) -> Reputation | None:
    """Uptime over 30 days (the Console gives fractions 0..1) and the audit flag."""
    if not isinstance(provider, dict):
        return None
    uptimes = {k: provider.get(k) for k in ("uptime1d", "uptime7d", "uptime30d")}
    fractions = {k: f for k, v in uptimes.items() if (f := _finite(v)) is not None and 0 <= f <= 1}
    audited = provider.get("isAudited")
    if not fractions and not isinstance(audited, bool):
        return None
    month = fractions.get("uptime30d")
    return Reputation(
        uptime_pct=None if month is None else round(month * 100, 2),
        verified=audited if isinstance(audited, bool) else None,
        score=None,
        details={**fractions, "source": "akash console"},
    )


def earned(doc: Any) -> list[Money] | None:
    """``{earnings: {totalUAktEarned, ...}}`` → AKT, USDC, ACT (None without it)."""
    earnings = doc.get("earnings") if isinstance(doc, dict) else None
    if not isinstance(earnings, dict):
        return None
    out = []
    for key, unit in EARNED_UNITS.items():
        value = _finite(earnings.get(key))
        if value is not None:
            amount = Decimal(str(value)) / MICRO
            if amount or unit == "AKT":
                out.append(Money(amount, unit, amount if unit == "USDC" else None))
    return out


def usd_value(doc: Any) -> Decimal | None:
    earnings = doc.get("earnings") if isinstance(doc, dict) else None
    value = _finite(earnings.get("totalUUsdEarned")) if isinstance(earnings, dict) else None
    return None if value is None else Decimal(str(value)) / MICRO
