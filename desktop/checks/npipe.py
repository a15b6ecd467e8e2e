"""HTTP over a Windows named pipe (``\\\\.\\pipe\\docker_engine``), for the doctor's engine client.

Why: Docker Desktop serves its API on a named pipe, and httpx speaks only TCP and unix
sockets. The doctor sends a handful of small GETs, so one request per pipe connection
(``Connection: close``) is all it needs: open the pipe as a file, write the request, read
until the engine closes, and parse the answer with h11 (the HTTP/1.1 parser httpx itself
uses). A named pipe has no read timeout, so the exchange runs on a daemon thread and the
caller stops waiting after its budget: a wedged Docker Desktop costs 1 s, not a hang.

Failures surface as httpx exceptions carrying the OSError, so ``engine.map_transport_error``
reads them like socket failures: ENOENT (no such pipe: the engine is not running), EACCES
(not in the docker-users group), EBUSY (every pipe instance busy).
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Iterator

import h11
import httpx

_READ_CHUNK = 64 * 1024
_PIPE_BUSY = 231  # ERROR_PIPE_BUSY


class NamedPipeTransport(httpx.BaseTransport):
    """An httpx transport that sends each request over a fresh connection to ``pipe``."""

    def __init__(self, pipe: str, max_body: int = 8 * 1024 * 1024) -> None:
        self.pipe = pipe
        self.max_body = max_body

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        budget = max((v for v in timeout.values() if v is not None), default=5.0)
        outcome: dict[str, object] = {}

        def exchange() -> None:
            try:
                outcome["response"] = self._exchange(request)
            except h11.ProtocolError as exc:
                outcome["error"] = httpx.RemoteProtocolError(str(exc), request=request)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                outcome["error"] = exc

        worker = threading.Thread(target=exchange, name="doctor-npipe", daemon=True)
        worker.start()
        worker.join(budget)
        if worker.is_alive():
            raise httpx.ReadTimeout(f"no answer on {self.pipe}", request=request)
        if "error" in outcome:
            error = outcome["error"]
            if isinstance(error, OSError):
                raise httpx.ConnectError(str(error), request=request) from _as_errno(error)
            assert isinstance(error, BaseException)
            raise error
        response = outcome["response"]
        assert isinstance(response, httpx.Response)
        return response

    def _exchange(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        connection = h11.Connection(h11.CLIENT)
        headers = [(k, v) for k, v in request.headers.raw if k.lower() not in (b"connection",)]
        headers.append((b"Connection", b"close"))
        data = connection.send(
            h11.Request(method=request.method, target=request.url.raw_path, headers=headers)
        )
        data = (data or b"") + (connection.send(h11.Data(data=body)) or b"") if body else data
        data = (data or b"") + (connection.send(h11.EndOfMessage()) or b"")
        with open(self.pipe, "r+b", buffering=0) as pipe:  # noqa: PTH123 - a device path
            pipe.write(data)
            status, response_headers, content = _read_response(connection, pipe, self.max_body)
        return httpx.Response(status, headers=response_headers, content=content, request=request)


def _read_response(
    connection: h11.Connection, pipe: object, max_body: int
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status = 0
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []
    size = 0
    for event in _events(connection, pipe):
        if isinstance(event, h11.Response):
            status, headers = event.status_code, list(event.headers)
        elif isinstance(event, h11.Data):
            size += len(event.data)
            if size > max_body:
                break  # the caller's own cap reports it; stop reading a runaway body
            chunks.append(bytes(event.data))
    if not status:
        raise httpx.RemoteProtocolError("the engine closed the pipe without an answer")
    return status, headers, b"".join(chunks)


def _events(connection: h11.Connection, pipe: object) -> Iterator[object]:
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            chunk = pipe.read(_READ_CHUNK)  # type: ignore[attr-defined]
            connection.receive_data(chunk or b"")
            continue
        if isinstance(event, h11.EndOfMessage) or event is h11.PAUSED:
            return
        if isinstance(event, h11.ConnectionClosed):
            return
        yield event


def _as_errno(error: OSError) -> OSError:
    """Give Windows errors the errno ``map_transport_error`` understands."""
    if getattr(error, "winerror", None) == _PIPE_BUSY:
        return OSError(errno.EBUSY, "all instances of the pipe are busy")
    if isinstance(error, FileNotFoundError):
        return OSError(errno.ENOENT, "no such named pipe")
    if isinstance(error, PermissionError):
        return OSError(errno.EACCES, "access denied")
    return error
