"""The few ASGI pieces the worker's API needs: the types, a request, an answer, a router.

Why our own and not a web framework: the API is one table of endpoints
(``desktop.ipc.endpoints``) with fixed paths, JSON in and JSON out, behind our own gate
(``gate.py``) and connection bounds (``connections.py``). A framework brought about a
hundred modules that a worker left on all day loaded at every start for a router, and
that was a tenth of its start-up CPU (issue 18). What is here is what the routes use:
exact paths with ``{name}`` segments, 404 and 405 told apart, the query string as pairs,
and the body read whole (the gate caps it).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_PARAMETER = re.compile(r"{(\w+)}")


class ClientDisconnect(Exception):
    """The client went away before its request body arrived whole."""


@dataclass
class Request:
    """One HTTP request as the routes see it."""

    scope: Scope
    receive: Receive
    path_params: dict[str, str]

    @property
    def method(self) -> str:
        return str(self.scope["method"])

    @property
    def path(self) -> str:
        return str(self.scope["path"])

    def query_items(self) -> list[tuple[str, str]]:
        """Every ``name=value`` of the query string, in order, blanks kept."""
        raw = self.scope.get("query_string", b"").decode("latin-1")
        return parse_qsl(raw, keep_blank_values=True)

    async def body(self) -> bytes:
        """The whole body; ClientDisconnect when the client left first."""
        chunks: list[bytes] = []
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    return b"".join(chunks)


@dataclass(frozen=True)
class Answer:
    """A JSON answer: its status, its encoded body, and whether the connection closes after
    it (a refusal sent before the client's body was read)."""

    body: bytes
    status: int = 200
    close: bool = False

    async def send(self, send: Send) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self.body)).encode("ascii")),
        ]
        if self.close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


Handler = Callable[[Request], Awaitable[Answer]]


class Route:
    """One path template and method, e.g. ``GET /v1/jobs/{job_id}``: the path must have
    the template's segments, a ``{name}`` segment taking any non-empty text."""

    def __init__(self, path: str, handler: Handler, method: str) -> None:
        self.path, self.handler = path, handler
        self.methods = {method, "HEAD"} if method == "GET" else {method}
        self._segments = [
            (True, part[1:-1]) if _PARAMETER.fullmatch(part) else (False, part)
            for part in path.split("/")
        ]

    def match(self, path: str) -> dict[str, str] | None:
        """The path's ``{name}`` values when the path is this route's, else None."""
        parts = path.split("/")
        if len(parts) != len(self._segments):
            return None
        params: dict[str, str] = {}
        for part, (is_parameter, text) in zip(parts, self._segments, strict=True):
            if is_parameter:
                if not part:
                    return None
                params[text] = part
            elif part != text:
                return None
        return params


NotMatched = Callable[[Request, int], Awaitable[Answer]]


class Router:
    """Finds the route of a request: its answer, or ``not_matched`` with 404 (no such
    path) or 405 (the path exists, not with this method). A trailing slash is another
    path: ``/v1/jobs/`` is a 404, not a redirect."""

    def __init__(self, routes: list[Route], not_matched: NotMatched) -> None:
        self.routes = routes
        self.not_matched = not_matched

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # the server runs without one; answer if asked
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        status = 404
        for route in self.routes:
            params = route.match(path)
            if params is None:
                continue
            if method in route.methods:
                answer = await route.handler(Request(scope, receive, params))
                break
            status = 405
        else:
            answer = await self.not_matched(Request(scope, receive, {}), status)
        await answer.send(send)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
