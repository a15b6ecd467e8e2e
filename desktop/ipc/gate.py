"""The checks every API request passes before any route sees it, as one plain ASGI layer.

Order matters and is fixed: body cap (so nothing reads an oversized body), Host header
(DNS-rebinding defence), bearer token, protocol version. The same layer stamps every
response with the ``RigPilot-Protocol`` header, so even errors carry the version.
Written as raw ASGI, like the router behind it (asgi.py), to stay cheap on the status path.
"""

from __future__ import annotations

import logging
import re

from desktop.ipc.asgi import Answer, ASGIApp, Message, Receive, Scope, Send
from desktop.ipc.auth import host_allowed, token_matches
from desktop.ipc.codec import encode_answer
from desktop.ipc.protocol import (
    MAX_BODY_BYTES,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    ApiError,
)
from desktop.ipc.schema_data import ErrorAnswer

log = logging.getLogger(__name__)
_DIGITS = re.compile(r"[0-9]{1,18}")
_VERSION = re.compile(r"([0-9]{1,6})(?:\.[0-9]{1,6})?")
_PROTOCOL_HEADER_RAW = (PROTOCOL_HEADER.lower().encode("ascii"), str(PROTOCOL_VERSION).encode())


class BodyTooLarge(ApiError):
    """Raised from ``receive`` when a streamed body passes the cap; the routes turn it to 413."""

    def __init__(self, limit: int) -> None:
        super().__init__("body_too_large", _too_large_message(limit), 413)


def _too_large_message(limit: int) -> str:
    return f"the request body is larger than the {limit // 1024} KiB the API accepts"


class ApiGate:
    """ASGI middleware: body cap → Host check → bearer token → protocol version → app."""

    def __init__(self, app: ASGIApp, token: str, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        send = stamp_protocol(send)

        length = headers.get("content-length")
        if length is not None and (not _DIGITS.fullmatch(length) or int(length) > self.max_body):
            if _DIGITS.fullmatch(length):
                error = ApiError("body_too_large", _too_large_message(self.max_body), 413)
            else:
                message = "the Content-Length header is not a whole number of bytes"
                error = ApiError("invalid_header", message, 400, "Content-Length")
            await send_error(send, error, close=True)
            return
        if not host_allowed(headers.get("host")):
            log.warning("refused a request with Host %r", headers.get("host"))
            message = "the Host header must name this machine (localhost)"
            await send_error(send, ApiError("forbidden_host", message, 403))
            return
        if not token_matches(headers.get("authorization"), self.token):
            log.warning("refused a request to %s without the right API token", scope.get("path"))
            message = (
                "the request lacks the right API token; RigPilot's clients read it from "
                "the api-token file in the config folder"
            )
            await send_error(send, ApiError("unauthorized", message, 401))
            return
        version = headers.get(PROTOCOL_HEADER.lower())
        if version is not None:
            refusal = _version_error(version)
            if refusal is not None:
                await send_error(send, refusal)
                return
        await _guarded(self.app, scope, _capped(receive, self.max_body), send)


async def _guarded(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run ``app``; an exception it lets out becomes a JSON 500 (a plain server's answer
    is plain text), or a closed connection when the answer had already begun."""
    started = False

    async def tracking(message: Message) -> None:
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, receive, tracking)
    except Exception:
        log.exception("internal error on %s %s", scope.get("method"), scope.get("path"))
        if started:
            raise
        message = "the worker hit an internal error; `rigpilot logs` shows the details"
        await send_error(send, ApiError("internal", message, 500), close=True)


def _version_error(value: str) -> ApiError | None:
    """None when ``value`` names this protocol's major version; else the 4xx to send.

    Parsed here in ASCII only: ``"²".isdigit()`` is true but ``int("²")`` fails, and a
    5000-digit value is past ``int()``'s limit; both used to be 500s.
    """
    match = _VERSION.fullmatch(value.strip())
    if match is None:
        shown = value if len(value) <= 20 else value[:20] + "..."
        message = (
            f"the {PROTOCOL_HEADER} header must be a version number such as "
            f"{PROTOCOL_VERSION} or {PROTOCOL_VERSION}.0 (got {shown!r})"
        )
        return ApiError("invalid_header", message, 400, PROTOCOL_HEADER)
    if int(match.group(1)) == PROTOCOL_VERSION:
        return None
    message = (
        f"this worker speaks API protocol {PROTOCOL_VERSION} but the client asked "
        f"for {value.strip()}; update or restart RigPilot so both sides are the same version"
    )
    return ApiError("protocol_mismatch", message, 400)


def _headers(scope: Scope) -> dict[str, str]:
    result: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        result[raw_name.decode("latin-1").lower()] = raw_value.decode("latin-1")
    return result


def stamp_protocol(send: Send) -> Send:
    """Wrap ``send`` so that every response starts with the protocol header."""

    async def stamped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            headers.append(_PROTOCOL_HEADER_RAW)
            message = {**message, "headers": headers}
        await send(message)

    return stamped


def _capped(receive: Receive, limit: int) -> Receive:
    """Wrap ``receive`` to count streamed body bytes (a chunked body has no Content-Length)."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return counted


def error_body(error: ApiError) -> bytes:
    """The JSON body of an error answer: ``{protocol, code, message, field?, allowed?}``."""
    answer = ErrorAnswer(
        code=error.code, message=error.message, field=error.field, allowed=error.allowed
    )
    return encode_answer(answer)


async def send_error(send: Send, error: ApiError, *, close: bool = False) -> None:
    """Send an error answer straight through ASGI (used before any route is involved);
    ``close`` when the client may still be sending a body we refuse to read."""
    await Answer(error_body(error), error.status, close).send(send)
