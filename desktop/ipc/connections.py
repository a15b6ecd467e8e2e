"""Bounded connections for the local API, so that no local client can lock the others out.

Why: a server's usual ``limit_concurrency`` counts idle connections, and with uvicorn (which
served the API before) a connection that never sent a request had no timeout at all, so 128
idle sockets made every request of the app and the CLI fail with a plain-text 503 until they
closed (a hostile test did exactly that). What the API promises instead (docs/api.md,
"Connections"):

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
* a request that is not valid HTTP/1.1 gets a JSON ``400 invalid_http``, not plain text.

Platform-neutral: the book counts desktop/ipc/http_connection.py's connections, whatever
the socket is; the connection arms the deadlines.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from dataclasses import dataclass
from typing import Protocol

from desktop.ipc.protocol import ApiError

log = logging.getLogger(__name__)
_WARN_EVERY_S = 60.0


@dataclass(frozen=True)
class ConnectionLimits:
    """The bounds of the API server (see the module docstring for what each one means)."""

    max_connections: int = 1024
    per_client: int = 512  # one program can hold at most half: the others always get in
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    keep_alive_s: float = 5.0

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


class BookedConnection(Protocol):
    """What the book needs of a connection (desktop/ipc/http_connection.py has the real one)."""

    client_key: str | None
    refused: bool
    phase_since: float
    close_after_answer: bool  # the server is stopping: no request after this answer
    task: asyncio.Task[None] | None  # the request being answered, if any

    @property
    def idle(self) -> bool: ...

    def close(self, why: str) -> None: ...


class ConnectionBook:
    """Every open API connection, who it belongs to, and the room left."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.open: dict[BookedConnection, None] = {}  # insertion-ordered: oldest first
        self.evicted = 0
        self.refused = 0
        self.refusing = 0  # refused connections still open, waiting to read their answer
        self._last_warning = float("-inf")

    def admit(self, conn: BookedConnection) -> ApiError | None:
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

    def leave(self, conn: BookedConnection) -> None:
        self.open.pop(conn, None)
        if conn.refused:
            conn.refused = False
            self.refusing -= 1

    def _evict(self, candidates: list[BookedConnection]) -> bool:
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
