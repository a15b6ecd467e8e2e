"""What adapters say, as frozen records in RigPilot's own vocabulary (desktop.model).

Why apart from the protocols (base.py): every adapter, parser and view reads these
records, while only the supervisor needs the protocols. Timestamps are Unix seconds
(floats) on the one wall clock (desktop.clock), like the rest of the model. Requirements
are doctor ``CheckResult``s judged on ``HostFacts`` alone, so that they are tested without
the host.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from desktop.model import CheckResult, CheckStatus, Money, NodeState, to_json


class CredentialKind(enum.StrEnum):
    KEYPAIR_FILE = "keypair_file"  # Nosana ~/.nosana/nosana_key.json
    WALLET_ADDRESS = "wallet_address"
    API_KEY = "api_key"
    DEVICE_TOKEN = "device_token"
    SESSION_JWT = "session_jwt"
    INIT_TOKEN = "init_token"
    TEXT = "text"  # a plain choice or name, not a credential proper


@dataclass(frozen=True)
class CredentialField:
    """One thing enrollment asks for. ``secret`` fields go to the keyring and nowhere else."""

    name: str
    kind: CredentialKind
    required: bool
    how_to_obtain: str
    url: str | None = None
    expires_days: int | None = None
    secret: bool = False
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


@dataclass(frozen=True)
class HostFacts:
    """What requirement checks judge; gathered once by the worker (hardware.host, checks)."""

    os: str  # "linux", "windows", "macos"
    is_wsl: bool
    ram_gb: float
    free_disk_gb: float
    docker_ok: bool
    toolkit_ok: bool
    gpu_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActionRequired:
    """A step only the user can take: open a page, run a command once, wait for approval."""

    message: str
    url: str | None = None
    command: str | None = None
    code: str | None = None
    expires_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


@dataclass(frozen=True)
class StatusSnapshot:
    """What an adapter saw: the common state plus the network's own word for it."""

    state: NodeState
    native_state: str
    as_of: float
    node_id: str | None = None
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


@dataclass(frozen=True)
class NetworkJob:
    """A job as the network reports it (not necessarily run by our job runner)."""

    job_id: str
    state: str
    started_ts: float | None
    ended_ts: float | None
    earned: Money | None = None
    rate_usd_per_hour: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


@dataclass(frozen=True)
class EarningsSummary:
    """Earned (and pending/claimable) amounts over a period, each Money with its USD value."""

    period_start: float | None
    period_end: float | None
    earned: list[Money]
    pending: list[Money] = field(default_factory=list)
    claimable: list[Money] = field(default_factory=list)
    by_day: dict[str, Money] = field(default_factory=dict)  # "YYYY-MM-DD" -> USD
    all_time: Money | None = None
    source: str = ""
    as_of: float | None = None

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


@dataclass(frozen=True)
class Reputation:
    """A network's word on this node: uptime, verification, score, and its own details."""

    uptime_pct: float | None
    verified: bool | None = None
    score: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


def requirement(
    check_id: str, title: str, ok: bool, summary: str, fix: str = "", **details: Any
) -> CheckResult:
    """A requirement as a doctor CheckResult (pass, or fail with the fix)."""
    return CheckResult(
        id=check_id,
        title=title,
        status=CheckStatus.PASS if ok else CheckStatus.FAIL,
        summary=summary,
        fix="" if ok else fix,
        details=dict(details),
    )
