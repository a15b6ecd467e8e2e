"""One connection of the local API: HTTP/1.1 parsed by h11, one request at a time through
the ASGI app, inside the bounds of the connection book (desktop/ipc/connections.py).

Why our own and not uvicorn: the API serves small JSON answers to local programs from a
worker that is left on all day, and uvicorn (with click, multiprocessing, logging.config
and email, which its package imports) was the largest single part of the worker's start-up
CPU (issue 18). The HTTP itself stays with h11, a maintained sans-I/O parser; what is here
is the I/O loop around it: requests in order (a pipelined request waits, h11 pauses), a
body handed to the app as it arrives, flow control for answers, the deadlines of the book
and a JSON 400 for what is not HTTP/1.1.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import h11

from desktop.ipc.asgi import ASGIApp, Message, Scope
from desktop.ipc.connections import peer_key
from desktop.ipc.gate import error_body, send_error, stamp_protocol
from desktop.ipc.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, ApiError

if TYPE_CHECKING:
    from desktop.ipc.connections import ConnectionBook

log = logging.getLogger(__name__)
MAX_HEAD_BYTES = 16 * 1024  # a request line and headers; more is a 400 invalid_http
MAX_REFUSING = 64  # refused connections kept open long enough to read their 503
_DISCONNECT: Message = {"type": "http.disconnect"}


def refusing_app(error: ApiError) -> ASGIApp:
    """An ASGI app that answers every request with ``error`` and closes the connection."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await send_error(stamp_protocol(send), error, close=True)

    return app


class Exchange:
    """One request and its answer: the ASGI ``receive`` and ``send`` of the app's call."""

    def __init__(self, connection: ApiConnection, scope: Scope) -> None:
        self.connection, self.scope = connection, scope
        self.head_only = scope["method"] == "HEAD"  # h11 frames a HEAD answer without a body
        self.chunks: list[bytes] = []
        self.more_body = True
        self.arrived = asyncio.Event()
        self.started = False
        self.complete = False
        self.gone = False  # the client left (or the connection was closed under us)

    def feed(self, data: bytes, *, end: bool = False) -> None:
        if data:
            self.chunks.append(data)
        self.more_body = self.more_body and not end
        self.arrived.set()

    def lost(self) -> None:
        self.gone = True
        self.arrived.set()

    async def receive(self) -> Message:
        while not self.chunks and self.more_body and not self.gone and not self.complete:
            self.arrived.clear()
            await self.arrived.wait()
        if self.chunks:
            body, self.chunks = b"".join(self.chunks), []
            return {"type": "http.request", "body": body, "more_body": self.more_body}
        if self.gone or self.complete:
            return _DISCONNECT
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(self, message: Message) -> None:
        if self.gone:
            return  # nobody to read it: the app may finish its work, its answer goes nowhere
        connection, kind = self.connection, message["type"]
        if kind == "http.response.start" and not self.started:
            self.started = True
            event: Any = h11.Response(
                status_code=message["status"], headers=list(message.get("headers", [])), reason=b""
            )
            connection.write(connection.conn.send(event))
        elif kind == "http.response.body" and self.started and not self.complete:
            body = bytes(message.get("body", b""))
            if body and not self.head_only:
                connection.write(connection.conn.send(h11.Data(data=body)))
            if not message.get("more_body", False):
                connection.write(connection.conn.send(h11.EndOfMessage()))
                self.complete = True
                connection.answered()
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r} in this state")
        await connection.drained()

    async def run(self, app: ASGIApp) -> None:
        try:
            await app(self.scope, self.receive, self.send)
        except Exception:
            log.exception("API: the app failed on %s %s", self.scope["method"], self.scope["path"])
            if not self.started and not self.gone:
                message = "the worker hit an internal error; `rigpilot logs` shows the details"
                await send_error(self.send, ApiError("internal", message, 500), close=True)
        if not self.complete and not self.gone:
            self.connection.close("the answer was left unfinished")


class ApiConnection(asyncio.Protocol):
    """The protocol the server makes per connection (see the module docstring)."""

    def __init__(self, app: ASGIApp, book: ConnectionBook) -> None:
        self.app, self.book = app, book
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()
        self.client_key: str | None = None
        self.refused = False
        self.exchange: Exchange | None = None
        self.task: asyncio.Task[None] | None = None
        self.close_after_answer = False  # the server is stopping: no next request
        self.phase, self.phase_since = "new", 0.0
        self._deadline: asyncio.TimerHandle | None = None
        self._keep_alive: asyncio.TimerHandle | None = None
        self._writable = asyncio.Event()
        self._writable.set()

    @property
    def idle(self) -> bool:
        """No request in progress: waiting for (part of) a request head."""
        return self.exchange is None or self.exchange.complete

    # asyncio's side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
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
        self._cancel_timers()
        self._writable.set()
        if self.exchange is not None and not self.exchange.complete:
            self.exchange.lost()

    def data_received(self, data: bytes) -> None:
        if self._keep_alive is not None:
            self._keep_alive.cancel()
            self._keep_alive = None
        self.conn.receive_data(data)
        self._handle_events()
        self._arm()

    def eof_received(self) -> bool | None:
        self.conn.receive_data(b"")
        self._handle_events()
        return None  # close our side too

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    # the exchange's side

    def write(self, data: bytes | None) -> None:
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    async def drained(self) -> None:
        await self._writable.wait()

    def answered(self) -> None:
        """The answer went out whole: close, or get ready for the next request."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self.close_after_answer or self.conn.our_state is h11.MUST_CLOSE:
            transport.close()
            return
        if self.conn.their_state is not h11.DONE:
            return  # the client is still sending a body nobody reads: h11 closes after it
        self.conn.start_next_cycle()
        self._arm()
        self._keep_alive = self.loop.call_later(
            self.book.limits.keep_alive_s, self.close, "idle after its keep-alive time"
        )
        transport.resume_reading()
        self.loop.call_soon(self._handle_events)  # a request already buffered (pipelined)

    def close(self, why: str) -> None:
        log.debug("API: closing a connection: %s", why)
        self._cancel_timers()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    # inside

    def _handle_events(self) -> None:
        transport = self.transport
        while transport is not None and not transport.is_closing():
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError:
                self._send_400()
                return
            if event is h11.NEED_DATA:
                return
            if event is h11.PAUSED:
                transport.pause_reading()  # the next request waits for this answer
                return
            if isinstance(event, h11.Request):
                self._start(event)
            elif isinstance(event, h11.Data) and self.exchange is not None:
                self.exchange.feed(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                if self.exchange is not None:
                    self.exchange.feed(b"", end=True)
                if self.idle:
                    self.answered()  # answered before the body ended (a refusal)
            elif isinstance(event, h11.ConnectionClosed):
                transport.close()
                return

    def _start(self, request: h11.Request) -> None:
        raw_path, _, query = bytes(request.target).partition(b"?")
        sock_name = self.transport.get_extra_info("sockname") if self.transport else None
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": request.http_version.decode("ascii"),
            "method": request.method.decode("ascii"),
            "scheme": "http",
            "path": unquote(raw_path.decode("ascii")),
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": [(name, value) for name, value in request.headers],
            "server": sock_name if isinstance(sock_name, tuple) else None,
            "client": None,
        }
        self.exchange = Exchange(self, scope)
        self.task = self.loop.create_task(self.exchange.run(self.app))

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
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self.phase, self.phase_since = phase, self.loop.time()
        if timeout:
            self._deadline = self.loop.call_later(timeout, self.close, f"no whole {phase} in time")

    def _cancel_timers(self) -> None:
        for timer in (self._deadline, self._keep_alive):
            if timer is not None:
                timer.cancel()
        self._deadline = self._keep_alive = None

    def _send_400(self) -> None:
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
                self.write(self.conn.send(event))
        except h11.LocalProtocolError:
            pass  # an answer was already under way on this connection: just close it
        self.close("not valid HTTP/1.1")


def connection_factory(app: ASGIApp, book: ConnectionBook) -> Callable[[], ApiConnection]:
    """What ``loop.create_server`` calls per accepted connection."""
    return lambda: ApiConnection(app, book)
