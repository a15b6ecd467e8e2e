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

from desktop.model import CheckResult, CheckStatus


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


@dataclass(frozen=True)
class CredentialSpec:
    """One field a network asks for at enrollment (the adapter's ``credential_schema``)."""

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
        return self.label or self.name.replace("_", " ").capitalize()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CredentialSpec:
        expires = data.get("expires_days")
        return cls(
            name=str(data["name"]),
            kind=str(data.get("kind") or "text"),
            required=bool(data.get("required")),
            how_to_obtain=str(data.get("how_to_obtain") or ""),
            url=data.get("url") or None,
            expires_days=int(expires) if isinstance(expires, int | float) else None,
            secret=bool(data.get("secret")),
            label=str(data.get("label") or ""),
        )


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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NetworkOption:
        network_id = str(data.get("network") or data.get("id") or "")
        requirements = []
        for item in data.get("requirements") or []:
            if isinstance(item, Mapping) and "id" in item and "status" in item:
                try:
                    requirements.append(CheckResult.from_json(dict(item)))
                except ValueError:
                    continue  # an unknown status word: ignore rather than crash the wizard
        return cls(
            id=network_id,
            display_name=str(data.get("display_name") or network_id),
            state=str(data.get("state") or "unknown"),
            enrolled=bool(data.get("enrolled")),
            next_step=str(data.get("next_step") or ""),
            requirements=tuple(requirements),
            credential_fields=tuple(
                CredentialSpec.from_json(f)
                for f in data.get("credential_fields") or []
                if isinstance(f, Mapping) and f.get("name")
            ),
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
    schema: Mapping[str, Any] = field(default_factory=dict)
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
