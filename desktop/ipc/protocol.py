"""The local API's contract shared by the worker (server) and its clients (GUI, CLI).

One place holds the protocol version, the header names, the stable error codes and the
``Controller`` the server calls, so the two sides cannot drift apart. docs/api.md is the
human description of the same contract and must stay true to this file.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the typed answers (schema imports nothing of this module)
    from desktop.ipc import schema

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "RigPilot-Protocol"
API_PREFIX = "/v1"
MAX_BODY_BYTES = 1024 * 1024  # 1 MiB
MAX_EVENT_WAIT_S = 25.0
TELEMETRY_RANGES = {"10m": 600.0, "1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}
PAUSE_SCOPES = ("all", "gpu", "network")
_NETWORK_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")  # as desktop/jobs/validate.NETWORK_RE
PAUSE_FIELDS = ("scope", "gpu", "network", "until_ts", "reason")
MAX_PAUSE_S = 366 * 86400.0
MAX_REASON_CHARS = 200

# Stable error codes and the HTTP status each one normally travels with.
ERROR_STATUS = {
    "unauthorized": 401,
    "forbidden_host": 403,
    "not_found": 404,
    "body_too_large": 413,
    "invalid_json": 400,
    "protocol_mismatch": 400,
    "invalid_setting": 422,
    "invalid_request": 422,
    "conflict": 409,
    "unavailable": 503,
    "internal": 500,
}


class IpcError(Exception):
    """Base of every error a local-API client can meet; ``message`` is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApiError(IpcError):
    """An error answer of the API: raised by the controller, sent as JSON, rebuilt by clients.

    Attributes:
        code: a stable code from ``ERROR_STATUS`` (clients branch on it, never on text).
        message: a sentence a person understands, naming the problem and the fix.
        status: the HTTP status.
        field: for settings and requests, the field at fault.
        allowed: for settings, the allowed range or choices, in words or JSON.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int | None = None,
        field: str | None = None,
        allowed: Any = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status if status is not None else ERROR_STATUS.get(code, 400)
        self.field = field
        self.allowed = allowed

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"protocol": PROTOCOL_VERSION, "code": self.code}
        body["message"] = self.message
        if self.field is not None:
            body["field"] = self.field
        if self.allowed is not None:
            body["allowed"] = self.allowed
        return body

    @classmethod
    def from_json(cls, status: int, body: dict[str, Any]) -> ApiError:
        return cls(
            code=str(body.get("code") or "internal"),
            message=str(body.get("message") or f"the worker answered HTTP {status}"),
            status=status,
            field=body.get("field"),
            allowed=body.get("allowed"),
        )

    def __repr__(self) -> str:
        return f"ApiError({self.code!r}, {self.message!r}, status={self.status})"


def unavailable(what: str) -> ApiError:
    """The answer of a route whose component is not wired into this worker yet."""
    return ApiError("unavailable", f"{what} is not available in this worker yet", 503)


def parse_protocol(value: str | None) -> int | None:
    """The major version in a ``RigPilot-Protocol`` header ("1" or "1.2"); None if absent/bad."""
    if not value:
        return None
    head = value.strip().split(".", 1)[0]
    return int(head) if head.isdigit() else None


@dataclass(frozen=True)
class PauseRequest:
    """A validated pause or resume order from a client.

    Attributes:
        scope: "all", "gpu" or "network".
        gpu: the GPU index when scope is "gpu".
        network: the network id when scope is "network".
        until_ts: when the pause ends by itself (epoch seconds); None = until resumed.
        reason: free text shown in status ("gaming", "too hot in here").
    """

    scope: str = "all"
    gpu: int | None = None
    network: str | None = None
    until_ts: float | None = None
    reason: str = ""

    @classmethod
    def from_json(
        cls, body: dict[str, Any], *, now: float | None = None, resume: bool = False
    ) -> PauseRequest:
        """Validate a request body; raises ApiError(invalid_request) naming the field."""
        unknown = sorted(set(body) - set(PAUSE_FIELDS))
        if unknown:
            allowed = ", ".join(PAUSE_FIELDS)
            raise _bad(unknown[0], f"unknown field '{unknown[0]}'; the fields are {allowed}", None)
        scope = body.get("scope", "all")
        if scope not in PAUSE_SCOPES:
            raise _bad("scope", f"scope must be one of {', '.join(PAUSE_SCOPES)}", PAUSE_SCOPES)
        gpu = body.get("gpu")
        network = body.get("network")
        if scope == "gpu":
            if isinstance(gpu, bool) or not isinstance(gpu, int) or gpu < 0:
                raise _bad("gpu", "scope 'gpu' needs 'gpu': the GPU index (0, 1, ...)", ">= 0")
        else:
            gpu = None
        if scope == "network":
            # Matched whole, in ASCII: "a\nb" is not a network id (it was paused as one).
            if not isinstance(network, str) or not _NETWORK_ID.fullmatch(network):
                raise _bad("network", "scope 'network' needs 'network': the network id", None)
        else:
            network = None
        until = body.get("until_ts")
        if until is not None and not resume:
            now = time.time() if now is None else now
            valid_number = isinstance(until, int | float) and not isinstance(until, bool)
            if not valid_number or not math.isfinite(until):
                raise _bad("until_ts", "until_ts must be a time in seconds since the epoch", None)
            if until <= now:
                raise _bad("until_ts", "until_ts is in the past; give a time in the future", None)
            if until - now > MAX_PAUSE_S:
                raise _bad("until_ts", "a timed pause can last at most a year", None)
            until = float(until)
        else:
            until = None
        reason = body.get("reason", "")
        if not isinstance(reason, str) or len(reason) > MAX_REASON_CHARS:
            raise _bad("reason", f"reason must be text of at most {MAX_REASON_CHARS} characters")
        return cls(scope, gpu, network, until, reason.strip())

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"scope": self.scope}
        if self.gpu is not None:
            body["gpu"] = self.gpu
        if self.network is not None:
            body["network"] = self.network
        if self.until_ts is not None:
            body["until_ts"] = self.until_ts
        if self.reason:
            body["reason"] = self.reason
        return body


def _bad(field: str, message: str, allowed: Any = None) -> ApiError:
    return ApiError("invalid_request", message, 422, field=field, allowed=allowed)


class Controller(Protocol):
    """What the API server needs from the worker; ``worker.service.WorkerService`` provides it.

    Routes stay thin: they parse and validate the transport, then call one method. Every
    method returns the JSON object of the answer (without ``protocol``, the server adds it)
    or raises ApiError.
    """

    async def status(self) -> schema.StatusAnswer: ...

    async def gpus(self) -> dict[str, Any]: ...

    async def telemetry(
        self, gpu: int | None, since: float | None, range_: str | None
    ) -> dict[str, Any]: ...

    async def telemetry_latest(self) -> dict[str, Any]: ...

    async def events(self, since: int, wait: float, limit: int) -> dict[str, Any]: ...

    async def pause(self, request: schema.PauseRequest) -> schema.HoldsAnswer: ...

    async def resume(self, request: schema.ResumeRequest) -> schema.HoldsAnswer: ...

    async def settings(self) -> dict[str, Any]: ...

    async def patch_settings(self, changes: dict[str, Any]) -> dict[str, Any]: ...

    async def networks(self) -> dict[str, Any]: ...

    async def network_enroll(self, network: str, credentials: dict[str, Any]) -> dict[str, Any]: ...

    async def network_action(self, network: str, action: str) -> dict[str, Any]: ...

    async def jobs(self, limit: int, state: str | None) -> dict[str, Any]: ...

    async def job(self, job_id: str) -> dict[str, Any]: ...

    async def submit_job(self, spec: dict[str, Any]) -> dict[str, Any]: ...

    async def stop_job(self, job_id: str) -> dict[str, Any]: ...

    async def earnings(self, days: int) -> dict[str, Any]: ...

    async def logs(self, tail: int) -> dict[str, Any]: ...

    async def request_shutdown(self) -> None:
        """Begin a graceful stop; called after the answer to POST /shutdown was sent."""
        ...
