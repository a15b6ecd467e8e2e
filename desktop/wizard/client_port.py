"""The wizard's port over the worker's local API and the doctor child process.

The app and the settings page hand in a ``WorkerClient``; API refusals become
``PortError`` with the API's code, field and allowed range, connection problems become a
``PortError`` whose message says how to start the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from desktop.ipc.protocol import ApiError, IpcError
from desktop.model import CheckResult
from desktop.wizard import doctor_run
from desktop.wizard.port import PortError

Doctor = Callable[[bool], list[CheckResult]]


class RequestClient(Protocol):
    """The one method of ``desktop.ipc.client.WorkerClient`` the port uses."""

    def request(
        self,
        method: str,
        path: str,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]: ...


def as_port_error(exc: Exception) -> PortError:
    """The API's or the connection's error, in the wizard's terms."""
    if isinstance(exc, ApiError):
        return PortError(exc.message, code=exc.code, field=exc.field, allowed=exc.allowed)
    if isinstance(exc, IpcError):
        return PortError(exc.message, code="unreachable")
    return PortError(str(exc) or type(exc).__name__, code="internal")


class ClientPort:
    """``WizardPort`` over a ``WorkerClient`` (blocking: call off the GUI thread)."""

    def __init__(self, client: RequestClient, doctor: Doctor | None = None) -> None:
        self.client = client
        self._doctor: Doctor = doctor or (lambda smoke: doctor_run.run_doctor(smoke))

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return self.client.request(method, path, json=body)
        except (ApiError, IpcError) as exc:
            raise as_port_error(exc) from None

    def run_checks(self, smoke: bool = False) -> list[CheckResult]:
        return self._doctor(smoke)

    def networks(self) -> list[dict[str, Any]]:
        answer = self._call("GET", "/networks")
        return [n for n in answer.get("networks") or [] if isinstance(n, dict)]

    def enroll(self, network: str, credentials: dict[str, str]) -> dict[str, Any]:
        return self._call("POST", f"/networks/{network}/enroll", {"credentials": credentials})

    def settings(self) -> dict[str, Any]:
        return self._call("GET", "/settings")

    def patch_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        return self._call("PATCH", "/settings", changes)
