"""The wizard's data: the steps, one immutable state, and the API's networks as plain values.

Why immutable: every step is a pure function ``(state, inputs) -> state``, so the whole
first-run flow is tested headless against a fake port, and the Qt pages only render a
state and read inputs back. Secrets typed into the credentials step live only in
``WizardState.credentials`` (kept out of ``repr``) and are dropped once enrolled.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop.ipc.schema_data import SettingSpec
from desktop.ipc.schema_networks import CredentialField, NetworkRecord
from desktop.model import CheckResult, CheckStatus
from desktop.views.listing import NotJoinable, not_joinable


class Step(enum.StrEnum):
    """The wizard's views, in order."""

    WELCOME = "welcome"
    CHECKS = "checks"
    NETWORKS = "networks"
    CREDENTIALS = "credentials"
    DEFAULTS = "defaults"
    ELECTRICITY = "electricity"
    AUTOSTART = "autostart"
    DONE = "done"


ORDER = tuple(Step)


# One field a network asks for at enrollment, as the API describes it.
CredentialSpec = CredentialField


@dataclass(frozen=True)
class NetworkOption:
    """A network as ``GET /networks`` describes it, reduced to what the wizard needs."""

    id: str
    display_name: str
    state: str = "unknown"
    enrolled: bool = False
    next_step: str = ""
    requirements: tuple[CheckResult, ...] = ()
    credential_fields: tuple[CredentialSpec, ...] = ()
    description: str = ""
    not_joinable: NotJoinable | None = None  # a network RigPilot only lists, and why

    @classmethod
    def of(cls, record: NetworkRecord) -> NetworkOption:
        return cls(
            id=record.network,
            display_name=record.display_name or record.network,
            state=record.state.value,
            enrolled=record.enrolled,
            next_step=record.next_step,
            requirements=tuple(record.requirements),
            credential_fields=tuple(record.credential_fields),
            description=record.description,
            not_joinable=not_joinable(record.capabilities, record.requirements),
        )

    def unmet(self) -> list[CheckResult]:
        return [r for r in self.requirements if r.status is CheckStatus.FAIL]


@dataclass(frozen=True)
class Enrollment:
    """The outcome of one enrollment: done, done with a step left for the user, or refused."""

    network: str
    ok: bool
    message: str = ""  # the refusal, or the action the user must still take
    field: str | None = None
    url: str | None = None
    command: str | None = None


@dataclass(frozen=True)
class Problem:
    """Why the current step cannot go on, for the page to show next to the input at fault."""

    message: str
    field: str | None = None
    allowed: str = ""


@dataclass(frozen=True)
class WizardState:
    """Everything the wizard knows; steps return a new one (``dataclasses.replace``)."""

    step: Step = Step.WELCOME
    history: tuple[tuple[Step, int], ...] = ()
    # checks
    checks: tuple[CheckResult, ...] = ()
    checks_ran: bool = False
    checks_running: bool = False
    checks_error: str = ""
    # networks
    networks: tuple[NetworkOption, ...] = ()
    networks_loaded: bool = False
    networks_error: str = ""
    chosen: tuple[str, ...] = ()
    # credentials: one step per chosen network
    cred_index: int = 0
    credentials: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)
    enrollments: tuple[Enrollment, ...] = ()
    skipped: tuple[str, ...] = ()
    # settings, as the worker confirmed them
    settings: Mapping[str, Any] = field(default_factory=dict)
    schema: Mapping[str, SettingSpec] = field(default_factory=dict)
    applied: tuple[str, ...] = ()
    # inputs of the preference steps (text as typed: the API judges it)
    gaming_enabled: bool = True
    idle_only: bool = False
    quiet_period_min: str = "5"
    price_text: str = "0.15"
    currency_text: str = "USD"
    autostart: bool = False
    # what stops the current step, shown in place
    problem: Problem | None = None

    @property
    def current_network(self) -> NetworkOption | None:
        """The network whose credentials the CREDENTIALS step asks for."""
        if self.step is not Step.CREDENTIALS or not 0 <= self.cred_index < len(self.chosen):
            return None
        return self.network(self.chosen[self.cred_index])

    def network(self, network_id: str) -> NetworkOption | None:
        return next((n for n in self.networks if n.id == network_id), None)

    def enrollment(self, network_id: str) -> Enrollment | None:
        return next((e for e in self.enrollments if e.network == network_id), None)

    @property
    def enrolled_ids(self) -> tuple[str, ...]:
        return tuple(e.network for e in self.enrollments if e.ok)
