"""Bounded connections for the local API, so that no local client can lock the others out.

Why: uvicorn's own ``limit_concurrency`` counts idle connections, and a connection that
never sends a request has no timeout at all, so 128 idle sockets made every request of the
app and the CLI fail with a plain-text 503 until they closed (a hostile test did exactly
that). What the API promises instead (docs/api.md, "Connections"):

* a request head must arrive whole within ``header_timeout_s`` of the connection (or of
  the previous answer), however slowly its bytes trickle in; a body within
  ``body_timeout_s`` of its head; an idle keep-alive connection closes after
  ``keep_alive_s``;
* at most ``max_connections`` connections, and at most ``per_client`` from one client
  process (by the unix socket's peer credentials where the system gives them). When a
  new connection would pass either bound, the oldest IDLE connection (no request in
  progress) of that scope is closed to make room, so idle or slow sockets can never
  shut out a working client. Only when every connection in scope is busy is the new one
  answered ``503 too_many_connections`` (JSON, like every other answer);
* a request that is not valid HTTP/1.1 gets a JSON ``400 invalid_http``, not uvicorn's
  plain text.

Platform-neutral: it works on uvicorn's h11 protocol class, whatever the socket is.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from desktop.ipc.asgi import ASGIApp, Receive, Scope, Send
from desktop.ipc.gate import error_body, send_error, stamp_protocol
from desktop.ipc.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, ApiError

log = logging.getLogger(__name__)
_WARN_EVERY_S = 60.0
MAX_REFUSING = 64  # refused connections kept open long enough to read their 503


@dataclass(frozen=True)
class ConnectionLimits:
    """The bounds of the API server (see the module docstring for what each one means)."""

    max_connections: int = 1024
    per_client: int = 512  # one program can hold at most half: the others always get in
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    keep_alive_s: int = 5  # uvicorn takes whole seconds

    @classmethod
    def for_open_files(cls, open_files: int | None) -> ConnectionLimits:
        """Limits that leave room under the process's open-file limit for the ledger, the
        logs and Docker: running out of descriptors would stall ``accept`` itself."""
        if open_files is None:
            return cls()
        most = max(16, (open_files - 256) // 2)
        limits = cls()
        return cls(
            max_connections=min(limits.max_connections, most),
            per_client=min(limits.per_client, max(8, most // 2)),
        )


class ConnectionBook:
    """Every open API connection, who it belongs to, and the room left."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.open: dict[GuardedH11Protocol, None] = {}  # insertion-ordered: oldest first
        self.evicted = 0
        self.refused = 0
        self.refusing = 0  # refused connections still open, waiting to read their answer
        self._last_warning = float("-inf")

    def admit(self, conn: GuardedH11Protocol) -> ApiError | None:
        """Make room for ``conn`` by closing idle connections; the 503 to send if none."""
        limits = self.limits
        same_client = [c for c in self.open if conn.client_key and c.client_key == conn.client_key]
        if len(same_client) >= limits.per_client and not self._evict(same_client):
            self.refused += 1
            return _too_many(f"this program already has {len(same_client)} connections open")
        if len(self.open) >= limits.max_connections and not self._evict(list(self.open)):
            self.refused += 1
            return _too_many(f"the worker already has {len(self.open)} connections open")
        self.open[conn] = None
        return None

    def leave(self, conn: GuardedH11Protocol) -> None:
        self.open.pop(conn, None)
        if conn.refused:
            conn.refused = False
            self.refusing -= 1

    def _evict(self, candidates: list[GuardedH11Protocol]) -> bool:
        idle = [c for c in candidates if c.idle]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c.phase_since)
        oldest.close("evicted to make room for a new connection")
        self.open.pop(oldest, None)
        self.evicted += 1
        now = asyncio.get_running_loop().time()
        if now - self._last_warning >= _WARN_EVERY_S:
            self._last_warning = now
            log.warning(
                "API: %d connections open; closed idle ones to make room (%d so far). "
                "A local program may be opening connections without using them.",
                len(self.open),
                self.evicted,
            )
        return True


def _too_many(why: str) -> ApiError:
    message = f"too many connections to the worker's API: {why}, all busy; try again shortly"
    return ApiError("too_many_connections", message, 503)


def peer_key(transport: asyncio.BaseTransport) -> str | None:
    """Who is on the other end: ``pid:<n>`` from a unix socket's peer credentials, or None
    where the system does not say (then only the global bound applies)."""
    sock = transport.get_extra_info("socket")
    option = getattr(socket, "SO_PEERCRED", None)
    if sock is None or option is None or sock.family != getattr(socket, "AF_UNIX", None):
        return None
    try:
        pid, _uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, 12))
    except OSError:
        return None
    return f"pid:{pid}"


def refusing_app(error: ApiError) -> ASGIApp:
    """An ASGI app that answers every request with ``error`` and closes the connection."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send_error(stamp_protocol(send), error, close=True)

    return app


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the header/body deadlines, the book and JSON errors."""

    book: ClassVar[ConnectionBook]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client_key: str | None = None
        self.refused = False
        self.phase = "new"
        self.phase_since = 0.0
        self._deadline: asyncio.TimerHandle | None = None

    @property
    def idle(self) -> bool:
        """No request in progress: waiting for (part of) a request head."""
        return self.cycle is None or self.cycle.response_complete

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.client_key = peer_key(transport)
        refusal = self.book.admit(self)
        if refusal is not None:
            log.warning("API: refused a connection (%s)", refusal.message)
            if self.book.refusing >= MAX_REFUSING:  # a flood: no answer, just close
                transport.close()
                return
            self.refused = True
            self.book.refusing += 1
            self.app = refusing_app(refusal)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self.book.leave(self)
        self._cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def close(self, why: str) -> None:
        log.debug("API: closing a connection: %s", why)
        self._cancel()
        if not self.transport.is_closing():
            self.transport.close()

    def _arm(self) -> None:
        """Start the deadline of the phase the connection is in, if it changed: a head
        must be whole in ``header_timeout_s``, a body in ``body_timeout_s``; data arriving
        does not push a deadline back (that is how slow clients hold servers)."""
        if self.transport is None or self.transport.is_closing():
            return
        their = self.conn.their_state
        if self.idle and their in (h11.IDLE, h11.DONE):
            phase, timeout = "head", self.book.limits.header_timeout_s
        elif their is h11.SEND_BODY:
            phase, timeout = "body", self.book.limits.body_timeout_s
        else:
            phase, timeout = "busy", 0.0
        if phase == self.phase:
            return
        self._cancel()
        self.phase, self.phase_since = phase, self.loop.time()
        if timeout:
            self._deadline = self.loop.call_later(timeout, self.close, f"no whole {phase} in time")

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def send_400_response(self, msg: str) -> None:
        """A request that is not valid HTTP/1.1: a JSON 400, then close."""
        error = ApiError(
            "invalid_http",
            "the request is not valid HTTP/1.1 (RigPilot's API takes HTTP/1.1 requests "
            "with a Host header, headers under 16 KiB and JSON bodies)",
            400,
        )
        body = error_body(error)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (PROTOCOL_HEADER.lower().encode(), str(PROTOCOL_VERSION).encode()),
        ]
        try:
            for event in (
                h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                h11.Data(data=body),
                h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event) or b"")
        except h11.LocalProtocolError:
            pass  # an answer was already under way on this connection: just close it
        self.transport.close()


def protocol_class(book: ConnectionBook) -> Callable[..., GuardedH11Protocol]:
    """The protocol class uvicorn instantiates per connection, bound to ``book``."""
    return type("ApiH11Protocol", (GuardedH11Protocol,), {"book": book})
