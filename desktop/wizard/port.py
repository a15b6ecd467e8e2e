"""The few calls the wizard makes to the outside world, as a Protocol (Electrum's DaemonMock
idea): the real app passes a ``ClientPort`` over the worker's API, tests a hand-written fake.

Every failure reaches the flow as a ``PortError`` carrying the API's ``code``, ``message``,
``field`` and ``allowed``, so a refused setting or enrollment is shown next to the input
at fault with the worker's own words.
"""

from __future__ import annotations

from typing import Any, Protocol

from desktop.ipc.schema_data import SettingsAnswer, SettingsChanges, SettingsPatched
from desktop.ipc.schema_money import EstimatesAnswer
from desktop.ipc.schema_networks import NetworkChange, NetworkRecord
from desktop.model import CheckResult


class PortError(Exception):
    """A call failed; ``message`` is a sentence a person can act on."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        field: str | None = None,
        allowed: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.allowed = allowed


class WizardPort(Protocol):
    """What the first-run flow needs: the doctor, the networks, enrollment and settings."""

    def run_checks(self, smoke: bool = False) -> list[CheckResult]:
        """Run the setup doctor now (``smoke``: also start a GPU container)."""
        ...

    def networks(self) -> list[NetworkRecord]:
        """``GET /networks``: every network in full."""
        ...

    def estimates(self) -> EstimatesAnswer:
        """``GET /estimates``: what this card could earn on each network, before enrolling."""
        ...

    def enroll(self, network: str, credentials: dict[str, str]) -> NetworkChange:
        """``POST /networks/{id}/enroll``: the network now and the step left to the user."""
        ...

    def settings(self) -> SettingsAnswer:
        """``GET /settings``: the values and what each accepts."""
        ...

    def patch_settings(self, changes: SettingsChanges) -> SettingsPatched:
        """``PATCH /settings``: PortError with field/allowed if refused (nothing is saved)."""
        ...
