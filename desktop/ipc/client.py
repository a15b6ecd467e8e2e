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

import errno
import logging
import sys
from typing import Any, TypeVar

import httpx
import msgspec

from desktop.ipc import endpoints
from desktop.ipc.auth import TokenError, read_token
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
from desktop.ipc.schema import Answer, StatusAnswer
from desktop.ipc.schema_data import ErrorAnswer, EventsQuery
from desktop.paths import Paths, get_paths

__all__ = [
    "ApiError",
    "BadAnswer",
    "IpcError",
    "ProtocolMismatch",
    "WorkerClient",
    "WorkerNotRunning",
    "WorkerUnreachable",
]

log = logging.getLogger(__name__)
NOT_RUNNING = "RigPilot's worker is not running; start it with `rigpilot worker --detach`"
DEFAULT_TIMEOUT = httpx.Timeout(connect=1.0, read=5.0, write=5.0, pool=1.0)


class WorkerNotRunning(IpcError):
    """Nothing answers at the worker's address (no socket, refused, never started)."""

    def __init__(self, message: str = NOT_RUNNING) -> None:
        super().__init__(message)


class WorkerUnreachable(IpcError):
    """A worker is there but cannot be talked to: permission denied, timeout, broken link."""


class ProtocolMismatch(IpcError):
    """The worker speaks another major version of the API (an old worker after an update)."""


class BadAnswer(IpcError):
    """The worker answered, but not in the shape the protocol says (a bug, or a worker of
    another build); the message names the endpoint and what did not match."""


Q = TypeVar("Q")
A = TypeVar("A", bound=Answer)


class WorkerClient:
    """Talks to the worker of one RigPilot installation (one ``Paths``).

    Construction never touches the network; each call connects (reusing a kept-alive
    connection) and raises ``IpcError`` subclasses on failure.
    """

    def __init__(
        self,
        paths: Paths,
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.paths = paths
        self._token = token
        self._transport = transport
        self._timeout = timeout
        self._http: httpx.Client | None = None

    @classmethod
    def from_env(cls) -> WorkerClient:
        """The client of the installation in force (RIGPILOT_HOME or the platform folders)."""
        return cls(get_paths())

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

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
            self.close()
            raise WorkerUnreachable(
                f"RigPilot's worker did not answer {method} {path} in time; it may be "
                "stuck or overloaded (see `rigpilot logs`)"
            ) from exc
        except (httpx.ConnectError, OSError) as exc:
            self.close()
            raise _connect_error(exc, self.paths) from exc
        except httpx.TransportError as exc:
            self.close()
            raise WorkerUnreachable(
                "the connection to RigPilot's worker broke before it answered (it may have "
                "stopped); check `rigpilot status`"
            ) from exc

    def _client(self) -> httpx.Client:
        if self._http is not None:
            return self._http
        token = self._token or self._read_token()
        headers = {
            "Authorization": f"Bearer {token}",
            PROTOCOL_HEADER: str(PROTOCOL_VERSION),
            "Accept": "application/json",
        }
        transport = self._transport
        base_url = "http://localhost"
        if transport is None:
            if sys.platform == "win32":
                base_url = f"http://127.0.0.1:{self._read_port()}"
            else:
                if not self.paths.socket_file.exists():
                    raise WorkerNotRunning()
                transport = httpx.HTTPTransport(uds=str(self.paths.socket_file))
        self._http = httpx.Client(
            base_url=base_url, headers=headers, transport=transport, timeout=self._timeout
        )
        return self._http

    def _read_token(self) -> str:
        try:
            return read_token(self.paths.token_file)
        except FileNotFoundError:
            raise WorkerNotRunning() from None
        except TokenError as exc:
            raise WorkerUnreachable(str(exc)) from exc

    def _read_port(self) -> int:
        try:
            text = self.paths.port_file.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            raise WorkerNotRunning() from None
        if not text.isdigit():
            raise WorkerNotRunning()
        return int(text)



def _query_text(value: Any) -> str:
    """A query value as the server reads it (booleans as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _connect_error(exc: BaseException, paths: Paths) -> IpcError:
    """Tell "nothing is there" apart from "something is there but refuses us"."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, PermissionError) or getattr(cause, "errno", None) == errno.EACCES:
            return WorkerUnreachable(
                f"permission denied on RigPilot's worker socket {paths.socket_file}; the "
                "worker belongs to another user. Run this as the user who runs the worker."
            )
        cause = cause.__cause__ or cause.__context__
    return WorkerNotRunning()


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
