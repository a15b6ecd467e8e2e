"""The local API's contract for networks: the full record, enrollment, removal, operations.

Why apart from ``schema``: status shows a network in short (``NetworkBrief``); the
Networks page, the wizard and ``rigpilot networks``/``enroll`` need the whole record,
with what enrolling asks for and what the network requires. The shapes mirror the
network layer's own types (desktop/networks/base.py) without importing it, so the app,
which must not reach the network layer, can decode them.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from desktop.ipc.schema import (
    Answer,
    MoneyFigures,
    NetworkId,
    Operation,
    OperationState,
)
from desktop.model import CheckResult, Hold, NetworkPenalties, NodeState


class CredentialField(msgspec.Struct, kw_only=True, frozen=True):
    """One thing enrolling asks for. ``secret`` fields go to the OS keyring and nowhere else.

    Attributes:
        kind: keypair_file, wallet_address, api_key...: how the form asks for it.
        how_to_obtain: where the user finds it, in plain words.
        expires_days: how long it stays valid, when it expires.
    """

    name: str
    kind: str
    required: bool
    how_to_obtain: str
    url: str | None = None
    expires_days: int | None = None
    secret: bool = False
    label: str = ""

    @property
    def title(self) -> str:
        """What a form calls the field: its label, or its name in words."""
        return self.label or self.name.replace("_", " ").capitalize()


class Capabilities(msgspec.Struct, kw_only=True, frozen=True):
    """What RigPilot can do with this network, from the protocols its adapter implements
    (desktop/networks/base.py); the app greys out what it cannot."""

    platforms: list[str]
    can_enroll: bool
    can_start_stop: bool
    can_pause: bool
    runs_jobs_here: bool  # its jobs run in RigPilot's own job service (the practice network)
    earnings_api: bool
    reputation_api: bool
    monitor_only: bool


class ActionRequired(msgspec.Struct, kw_only=True, frozen=True):
    """A step only the user can take (register once, wait for approval, run a command);
    the network starts once it is done."""

    message: str
    url: str | None = None
    command: str | None = None
    code: str | None = None
    expires_at: float | None = None


class Reputation(msgspec.Struct, kw_only=True, frozen=True):
    """The network's own count of this node (None where it does not say)."""

    uptime_pct: float | None = None
    verified: bool | None = None
    score: float | None = None
    details: dict[str, Any] = {}


class NetworkRecord(msgspec.Struct, kw_only=True, frozen=True):
    """One network in full, for the Networks page, the wizard and ``rigpilot networks``.

    Attributes:
        state: the common state (the network's own word is ``native_state``).
        held: the user's hold on this network (its own pause, or a pause of all work);
            None when the user holds nothing back.
        as_of: when the worker last saw it.
        next_step: what the user should do now, in plain words ("" when nothing).
        requirements: this machine against the network's requirements (doctor checks).
        penalties: what pausing or throttling costs there (the guards read them).
        uptime_pct: the worker's own count over 30 days from the status history.
        operation: a long action on this network still running (an enrollment pulling
            an image, a graceful stop), with its progress.
    """

    network: str
    display_name: str
    state: NodeState
    native_state: str
    enrolled: bool
    held: Hold | None
    description: str
    as_of: float
    message: str
    next_step: str
    capabilities: Capabilities
    credential_fields: list[CredentialField]
    requirements: list[CheckResult]
    penalties: NetworkPenalties
    action_required: ActionRequired | None
    earnings_today: MoneyFigures
    earnings_total: MoneyFigures
    reputation: Reputation | None
    uptime_pct: float | None
    operation: Operation | None = None


class NetworksAnswer(Answer, kw_only=True, frozen=True):
    """``GET /networks``: every network the worker knows, enrolled or not."""

    networks: list[NetworkRecord]


class NetworkRef(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A network named in the path (``/networks/{network}``)."""

    network: NetworkId


class NetworkAnswer(Answer, kw_only=True, frozen=True):
    """``GET /networks/{network}``: one network in full."""

    network: NetworkRecord


class EnrollRequest(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``POST /networks/{network}/enroll``: enroll with the credentials the network asks for.

    Attributes:
        network: the network id (from the path).
        credentials: field name to value, as ``credential_fields`` lists them; secret
            values go to the OS keyring only (refused without a safe keyring).
    """

    network: NetworkId
    credentials: dict[Annotated[str, msgspec.Meta(max_length=64)], str] = {}


class NetworkChange(Answer, kw_only=True, frozen=True):
    """The answer of enroll and remove: the network now, and what follows.

    It comes with HTTP 200 when the change is done, or 202 when it goes on in the
    background (``operation`` is running; ``GET /operations/{id}`` and the
    ``operation.*`` events tell how it ends).

    Attributes:
        status: the network as it is now.
        action_required: a step only the user can take before it starts.
        operation: the long action still running, when there is one.
    """

    status: NetworkRecord
    action_required: ActionRequired | None = None
    operation: Operation | None = None

    @property
    def accepted(self) -> bool:
        """True when the change goes on in the background (the answer is a 202)."""
        return self.operation is not None and self.operation.state is OperationState.RUNNING


class OperationRef(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """An operation named in the path (``/operations/{id}``)."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class OperationAnswer(Answer, kw_only=True, frozen=True):
    """``GET /operations/{id}``: a long action's state."""

    operation: Operation
