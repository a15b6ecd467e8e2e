"""The one interface every marketplace adapter implements (networks.md, "Proposed uniform
adapter interface"), in RigPilot's own vocabulary (desktop.model).

Why one protocol: the supervisor, the API and the GUI treat Nosana, the demo network and
the networks to come the same way: start, stop, state, jobs, earnings, reputation, and the
penalty rules the arbiter needs. What differs per network (a Docker container, a binary, a
remote API only) stays inside the adapter.

Adapters are synchronous and may block (HTTP, Docker): the worker calls them through
``asyncio.to_thread``. Timestamps are Unix seconds (floats), like the rest of the model.
Requirements are pure functions of ``HostFacts`` so that they are tested without the host.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from desktop.model import CheckResult, CheckStatus, Money, NetworkPenalties, NodeState, to_json


class NetworkError(Exception):
    """A network operation failed; the message is a sentence a person understands."""


class EnrollmentError(NetworkError):
    """Enrollment was refused (bad or missing credential, unmet requirement, no keyring)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


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
class Capabilities:
    """What RigPilot can drive on this network; the GUI greys out what it cannot."""

    platforms: frozenset[str]
    can_install: bool
    can_start_stop: bool
    can_pause: bool
    graceful_stop_waits_for_job: bool
    local_status: bool
    public_status: bool
    earnings_api: bool
    gpu_shared_with_desktop: bool = True
    max_idle_gpu_util_pct: float | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = to_json(self)
        data["platforms"] = sorted(self.platforms)
        return data


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


def requirements_met(results: Sequence[CheckResult]) -> bool:
    return all(r.status != CheckStatus.FAIL for r in results)


@runtime_checkable
class NetworkAdapter(Protocol):
    """One marketplace, driven synchronously (the supervisor runs calls in threads)."""

    id: str
    display_name: str

    def capabilities(self) -> Capabilities: ...

    def credential_schema(self) -> Sequence[CredentialField]: ...

    def penalties(self) -> NetworkPenalties: ...

    def check_requirements(self, facts: HostFacts) -> list[CheckResult]: ...

    def enroll(self, creds: dict[str, str]) -> ActionRequired | None:
        """Validate and apply credentials; None when done, else the user's next step.

        Raises EnrollmentError with a plain message when the credentials are unusable.
        """
        ...

    def start(self) -> None: ...

    def stop(self, graceful: bool = True, timeout_s: float = 120.0) -> None:
        """Stop; when graceful, first wait (at most timeout_s) for a running job to end."""
        ...

    def pause(self) -> bool:
        """Pause, or stop when the network cannot pause; False when it could not."""
        ...

    def resume(self) -> None: ...

    def status(self) -> StatusSnapshot: ...

    def jobs(self, since: float | None = None) -> list[NetworkJob]: ...

    def earnings(self, start: float | None = None, end: float | None = None) -> EarningsSummary: ...

    def reputation(self) -> Reputation | None: ...

    def logs(self, tail: int = 200) -> list[str]: ...


def split_credentials(
    adapter: NetworkAdapter, creds: Mapping[str, Any], facts: HostFacts | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Check enrollment input against the adapter's schema and requirements.

    Returns (secret fields, plain fields); raises EnrollmentError naming the field or the
    unmet requirement and its fix. Secret values never appear in the messages.
    """
    schema = {f.name: f for f in adapter.credential_schema()}
    for name, value in creds.items():
        if name not in schema:
            known = ", ".join(schema) or "none"
            raise EnrollmentError(
                f"{adapter.display_name} has no field {name!r}; its fields: {known}.", name
            )
        if not isinstance(value, str):
            raise EnrollmentError(f"{name} must be text.", name)
    for name, spec in schema.items():
        if spec.required and not str(creds.get(name) or "").strip():
            raise EnrollmentError(
                f"{adapter.display_name} needs {spec.label or name}: {spec.how_to_obtain}", name
            )
    if facts is not None:
        failing = [c for c in adapter.check_requirements(facts) if c.status == CheckStatus.FAIL]
        if failing:
            fixes = " ".join(c.fix for c in failing if c.fix)
            raise EnrollmentError(
                f"This computer does not meet {adapter.display_name}'s requirements: {fixes}"
            )
    secret = {k: str(v) for k, v in creds.items() if schema[k].secret and v}
    plain = {k: str(v) for k, v in creds.items() if not schema[k].secret}
    return secret, plain
