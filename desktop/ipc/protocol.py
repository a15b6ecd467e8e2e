"""The local API's transport constants and the errors its clients meet.

The contract itself (every request and answer, the version) is typed in
``desktop.ipc.schema*`` and declared per endpoint in ``desktop.ipc.endpoints``; this module
holds what surrounds it: the header names, the limits the gate enforces, the stable error
codes with their usual HTTP status, and ``ApiError``, an error answer as a client (or the
gate, before any route) sees it. The worker's domain raises ``desktop.errors`` instead.
"""

from __future__ import annotations

from typing import Any

from desktop.ipc.schema import PROTOCOL_VERSION

__all__ = [
    "API_PREFIX",
    "ERROR_STATUS",
    "MAX_BODY_BYTES",
    "PROTOCOL_HEADER",
    "PROTOCOL_VERSION",
    "ApiError",
    "IpcError",
    "parse_protocol",
]

PROTOCOL_HEADER = "RigPilot-Protocol"
API_PREFIX = "/v1"
MAX_BODY_BYTES = 1024 * 1024  # 1 MiB

# Stable error codes and the HTTP status each one normally travels with.
ERROR_STATUS = {
    "unauthorized": 401,
    "forbidden_host": 403,
    "not_found": 404,
    "body_too_large": 413,
    "invalid_json": 400,
    "json_too_deep": 400,
    "number_out_of_range": 400,
    "duplicate_key": 400,
    "invalid_text": 400,
    "invalid_header": 400,
    "invalid_http": 400,
    "client_disconnected": 400,
    "protocol_mismatch": 400,
    "invalid_setting": 422,
    "invalid_request": 422,
    "conflict": 409,
    "unavailable": 503,
    "too_many_connections": 503,
    "internal": 500,
}


class IpcError(Exception):
    """Base of every error a local-API client can meet; ``message`` is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApiError(IpcError):
    """An error answer of the API, as the gate sends it and as clients rebuild it.

    Attributes:
        code: a stable code from ``ERROR_STATUS`` (or a job spec's refusal code);
            clients branch on it, never on the text.
        message: a sentence a person understands, naming the problem and the fix.
        status: the HTTP status.
        field: the request field (or setting) at fault.
        allowed: what that field accepts, in words or JSON.
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

    def __repr__(self) -> str:
        return f"ApiError({self.code!r}, {self.message!r}, status={self.status})"


def parse_protocol(value: str | None) -> int | None:
    """The major version in a ``RigPilot-Protocol`` header ("2" or "2.1"); None if absent/bad."""
    if not value:
        return None
    head = value.strip().split(".", 1)[0]
    return int(head) if head.isdigit() else None
