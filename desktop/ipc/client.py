"""The one client of the worker's local API, shared by the desktop app and the CLI.

``client.call(endpoints.PAUSE, PauseRequest(...))`` sends a typed request and returns the
typed answer (``HoldsAnswer``): the endpoint's declaration (desktop/ipc/endpoints.py)
says the method, the path, where the request goes (query or body) and the answer's type,
so no caller builds a path or reads a dict. An answer that does not match its type is an
``IpcError`` (``BadAnswer``) saying so, never a KeyError three layers up.

Blocking httpx with explicit timeouts (connect 1 s, read 5 s or the endpoint's own; a
long poll waits ``wait`` + 5 s), so neither the GUI's background tasks nor a terminal
ever hang on a stuck worker. Every failure becomes an ``IpcError`` whose message a person
can act on; the token is read from its file and never logged or put in an error.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, TypeVar

import httpx
import msgspec

from desktop.ipc import endpoints
from desktop.ipc.codec import AnswerInvalid, decode_answer, encode
from desktop.ipc.endpoints import Endpoint
from desktop.ipc.protocol import (
    API_PREFIX,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    ApiError,
    IpcError,
    parse_protocol,
)
from desktop.ipc.routes import (
    NOT_RUNNING,
    Connection,
    LocalRoute,
    Route,
    WorkerNotRunning,
    WorkerUnreachable,
)
from desktop.ipc.schema import Answer, StatusAnswer
from desktop.ipc.schema_data import ErrorAnswer, EventsQuery
from desktop.paths import Paths, get_paths

__all__ = [
    "NOT_RUNNING",
    "ApiError",
    "BadAnswer",
    "IpcError",
    "ProtocolMismatch",
    "Route",
    "WorkerClient",
    "WorkerNotRunning",
    "WorkerUnreachable",
]

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = httpx.Timeout(connect=1.0, read=5.0, write=5.0, pool=1.0)


class ProtocolMismatch(IpcError):
    """The worker speaks another major version of the API (an old worker after an update)."""


class BadAnswer(IpcError):
    """The worker answered, but not in the shape the protocol says (a bug, or a worker of
    another build); the message names the endpoint and what did not match."""


Q = TypeVar("Q")
A = TypeVar("A", bound=Answer)


class WorkerClient:
    """Talks to one worker: this installation's (one ``Paths``), or another ``route``'s
    (a rig behind an SSH tunnel: desktop/ipc/remote.py).

    Construction never touches the network; each call connects (reusing a kept-alive
    connection) and raises ``IpcError`` subclasses on failure. One client may be shared by
    threads (the app's pool): the connection is made once under a lock, a failed call drops
    only the connection it used, and after ``close`` a call is refused instead of opening a
    connection nobody would close.
    """

    def __init__(
        self,
        paths: Paths,
        *,
        route: Route | None = None,
        own_route: bool = False,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.paths = paths
        self.route: Route = route if route is not None else LocalRoute(paths)
        self._own_route = own_route
        self._token = token
        self._transport = transport
        self._timeout = timeout
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def rig(self) -> str:
        """The rig this client talks to: "" for this computer, ``user@host`` for a rig."""
        return self.route.label

    @classmethod
    def from_env(cls) -> WorkerClient:
        """The client of the installation in force (RIGPILOT_HOME or the platform folders)."""
        return cls(get_paths())

    def close(self) -> None:
        """Close the connection, and the route too when this client owns it (a tunnel).
        The client is done: later calls raise ``WorkerUnreachable``."""
        with self._lock:
            self._closed = True
        self._drop_connection()
        closer = getattr(self.route, "close", None)
        if self._own_route and callable(closer):
            closer()

    def _drop_connection(self, used: httpx.Client | None = None) -> None:
        """Close the connection (only if it is still ``used``, when given: another thread
        may have made a fresh one since)."""
        with self._lock:
            http = self._http
            if http is None or (used is not None and http is not used):
                return
            self._http = None
        http.close()

    def __enter__(self) -> WorkerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- typed calls ----------------------------------------------------------------------

    def call(self, endpoint: Endpoint[Q, A], request: Q | None = None) -> A:
        """Send ``request`` to ``endpoint`` and return its typed answer.

        ``request`` may be left out when the endpoint takes none, or when every field of
        its type has a default. Raises ``IpcError`` subclasses (``ApiError`` for an error
        answer, ``BadAnswer`` for an answer of the wrong shape).
        """
        if request is None:
            request = endpoint.request()
        method, path = endpoint.method, endpoint.path
        fields = msgspec.to_builtins(request) if not endpoint.takes_nothing else {}
        if not isinstance(fields, dict):
            raise TypeError(f"{endpoint.name} needs a {endpoint.request}, not {request!r}")
        for name in endpoint.path_fields:
            path = path.replace("{" + name + "}", str(fields.pop(name)))
        timeout = endpoint.read_timeout_s
        if isinstance(request, EventsQuery):
            timeout += request.wait
        if endpoint.in_query:
            response = self._send(method, path, params=fields, timeout=timeout)
        elif endpoint.takes_nothing:
            response = self._send(method, path, timeout=timeout)
        else:
            response = self._send(method, path, content=encode(fields), timeout=timeout)
        _check(response)
        try:
            answer: A = decode_answer(response.content, endpoint.answer)
        except AnswerInvalid as exc:
            raise BadAnswer(
                f"RigPilot's worker answered {method} {path} in a shape this program does "
                f"not expect ({exc}); restart the worker (`rigpilot worker stop`, then "
                "`rigpilot worker --detach`) so both come from the same version"
            ) from None
        return answer

    def status(self) -> StatusAnswer:
        """``GET /status`` (the call every client makes first)."""
        return self.call(endpoints.STATUS)

    # --- the raw funnel -----------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """One untyped request (``path`` relative to /v1) and its JSON object answer.

        For scripts and tests that poke the API as curl would; the app and the CLI use
        ``call``.
        """
        content = None if json is None else encode(json)
        response = self._send(method, path, params=params, content=content, timeout=timeout)
        _check(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise BadAnswer(f"the worker's answer to {method} {path} is not a JSON object")
        return body

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        http = self._client()
        limit: httpx.Timeout = self._timeout
        if timeout is not None:
            limit = httpx.Timeout(connect=1.0, read=timeout, write=5.0, pool=1.0)
        clean = {k: _query_text(v) for k, v in (params or {}).items() if v is not None}
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            return http.request(
                method,
                API_PREFIX + path,
                params=clean,
                content=content,
                headers=headers,
                timeout=limit,
            )
        except httpx.TimeoutException as exc:
            self._drop_connection(http)
            raise WorkerUnreachable(
                f"RigPilot's worker did not answer {method} {path} in time; it may be "
                "stuck or overloaded (see `rigpilot logs`)"
            ) from exc
        except (httpx.ConnectError, OSError) as exc:
            self._drop_connection(http)
            raise self.route.failure(exc, broken=False) from exc
        except httpx.TransportError as exc:
            self._drop_connection(http)
            raise self.route.failure(exc, broken=True) from exc

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._closed:
                raise WorkerUnreachable(
                    "this connection to RigPilot's worker was closed (the app is quitting "
                    "or now shows another rig)"
                )
            if self._http is None:
                self._http = self._open()
            return self._http

    def _open(self) -> httpx.Client:
        if self._transport is not None:  # a test's scripted transport
            where = Connection("http://localhost", self._transport, self._token or "")
        else:
            where = self.route.connect()
        headers = {
            "Authorization": f"Bearer {self._token or where.token}",
            PROTOCOL_HEADER: str(PROTOCOL_VERSION),
            "Accept": "application/json",
        }
        return httpx.Client(
            base_url=where.base_url,
            headers=headers,
            transport=where.transport,
            timeout=self._timeout,
        )


def _query_text(value: Any) -> str:
    """A query value as the server reads it (booleans as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check(response: httpx.Response) -> None:
    """Raise the error an answer carries: another protocol, or an API error."""
    major = parse_protocol(response.headers.get(PROTOCOL_HEADER))
    if major is not None and major != PROTOCOL_VERSION:
        raise ProtocolMismatch(
            f"RigPilot's worker speaks API protocol {major} but this program speaks "
            f"{PROTOCOL_VERSION}; restart the worker (`rigpilot worker stop`, then "
            "`rigpilot worker --detach`) so both come from the same version"
        )
    if response.status_code < 400:
        return
    try:
        error = decode_answer(response.content, ErrorAnswer)
    except AnswerInvalid:
        raise ApiError(
            "internal",
            f"the worker answered HTTP {response.status_code} without an error body",
            response.status_code,
        ) from None
    if error.code == "protocol_mismatch":
        raise ProtocolMismatch(error.message)
    raise ApiError(error.code, error.message, response.status_code, error.field, error.allowed)
