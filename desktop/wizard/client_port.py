"""The wizard's port over the worker's local API and the doctor child process.

The app and the settings page hand in a ``WorkerClient`` (anything with its typed
``call``); API refusals become
``PortError`` with the API's code, field and allowed range, connection problems become a
``PortError`` whose message says how to start the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from desktop.ipc import endpoints
from desktop.ipc.endpoints import Caller, Endpoint
from desktop.ipc.protocol import ApiError, IpcError
from desktop.ipc.schema import Answer
from desktop.ipc.schema_data import SettingsAnswer, SettingsChanges, SettingsPatched
from desktop.ipc.schema_money import EstimatesAnswer
from desktop.ipc.schema_networks import EnrollRequest, NetworkChange, NetworkRecord
from desktop.model import CheckResult
from desktop.wizard import doctor_run
from desktop.wizard.port import PortError

Doctor = Callable[[bool], list[CheckResult]]
Q = TypeVar("Q")
A = TypeVar("A", bound=Answer)


def as_port_error(exc: Exception) -> PortError:
    """The API's or the connection's error, in the wizard's terms."""
    if isinstance(exc, ApiError):
        return PortError(exc.message, code=exc.code, field=exc.field, allowed=exc.allowed)
    if isinstance(exc, IpcError):
        return PortError(exc.message, code="unreachable")
    return PortError(str(exc) or type(exc).__name__, code="internal")


class ClientPort:
    """``WizardPort`` over a ``WorkerClient`` (blocking: call off the GUI thread)."""

    def __init__(self, client: Caller, doctor: Doctor | None = None) -> None:
        self.client = client
        self._doctor: Doctor = doctor or (lambda smoke: doctor_run.run_doctor(smoke))

    def _call(self, endpoint: Endpoint[Q, A], request: Q | None = None) -> A:
        try:
            return self.client.call(endpoint, request)
        except IpcError as exc:
            raise as_port_error(exc) from None

    def run_checks(self, smoke: bool = False) -> list[CheckResult]:
        return self._doctor(smoke)

    def networks(self) -> list[NetworkRecord]:
        return list(self._call(endpoints.NETWORKS).networks)

    def estimates(self) -> EstimatesAnswer:
        return self._call(endpoints.ESTIMATES)

    def enroll(self, network: str, credentials: dict[str, str]) -> NetworkChange:
        return self._call(endpoints.ENROLL, EnrollRequest(network=network, credentials=credentials))

    def settings(self) -> SettingsAnswer:
        return self._call(endpoints.SETTINGS)

    def patch_settings(self, changes: SettingsChanges) -> SettingsPatched:
        return self._call(endpoints.PATCH_SETTINGS, changes)
