"""The one client of the worker's local API, shared by the desktop app and the CLI.

Blocking httpx with explicit timeouts (connect 1 s, read 5 s; a long poll waits ``wait``
+ 5 s), so neither the GUI's background tasks nor a terminal ever hang on a stuck worker.
Every failure becomes an ``IpcError`` whose message a person can act on; the token is
read from its file and never logged or put in an error.
"""

from __future__ import annotations

import errno
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from desktop.ipc.auth import TokenError, read_token
from desktop.ipc.launch import console_log_file, spawn_worker
from desktop.ipc.protocol import (
    API_PREFIX,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    ApiError,
    IpcError,
    parse_protocol,
)
from desktop.paths import Paths, get_paths

__all__ = [
    "ApiError",
    "IpcError",
    "ProtocolMismatch",
    "WorkerClient",
    "WorkerNotRunning",
    "WorkerUnreachable",
    "ensure_worker_running",
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

    # --- the one request funnel -------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> dict[str, Any]:
        """Send one API request (``path`` relative to /v1) and return the JSON answer."""
        http = self._client()
        if timeout is None:
            timeout = self._timeout
        elif not isinstance(timeout, httpx.Timeout):
            timeout = httpx.Timeout(connect=1.0, read=timeout, write=5.0, pool=1.0)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = http.request(
                method, API_PREFIX + path, json=json, params=clean, timeout=timeout
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
        return _decode(response)

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

    # --- helpers, one per resource ----------------------------------------------------

    def status(self) -> dict[str, Any]:
        return self.request("GET", "/status")

    def gpus(self) -> dict[str, Any]:
        return self.request("GET", "/gpus")

    def pause(
        self,
        *,
        gpu: int | None = None,
        network: str | None = None,
        until_ts: float | None = None,
        reason: str = "",
    ) -> dict[str, Any]:
        """Pause all work, or one GPU's, or one network's; until resumed or ``until_ts``."""
        body = _scope(gpu, network)
        if until_ts is not None:
            body["until_ts"] = until_ts
        if reason:
            body["reason"] = reason
        return self.request("POST", "/pause", json=body)

    def resume(self, *, gpu: int | None = None, network: str | None = None) -> dict[str, Any]:
        return self.request("POST", "/resume", json=_scope(gpu, network))

    def events(self, since: int = 0, wait: float = 0.0, limit: int | None = None) -> dict[str, Any]:
        """Events newer than ``since``; with ``wait`` > 0 a long poll that returns on news."""
        params = {"since": since, "wait": wait or None, "limit": limit}
        return self.request("GET", "/events", params=params, timeout=wait + 5.0)

    def telemetry(
        self, gpu: int | None = None, since: float | None = None, range_: str | None = None
    ) -> dict[str, Any]:
        params = {"gpu": gpu, "since": since, "range": range_}
        return self.request("GET", "/telemetry", params=params)

    def telemetry_latest(self) -> dict[str, Any]:
        return self.request("GET", "/telemetry/latest")

    def settings(self) -> dict[str, Any]:
        return self.request("GET", "/settings")

    def patch_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        return self.request("PATCH", "/settings", json=changes)

    def networks(self) -> dict[str, Any]:
        return self.request("GET", "/networks")

    def jobs(self, limit: int = 50, state: str | None = None) -> dict[str, Any]:
        return self.request("GET", "/jobs", params={"limit": limit, "state": state})

    def earnings(self, days: int = 7) -> dict[str, Any]:
        return self.request("GET", "/earnings", params={"days": days})

    def logs(self, tail: int = 200) -> dict[str, Any]:
        return self.request("GET", "/logs", params={"tail": tail})

    def shutdown(self) -> dict[str, Any]:
        return self.request("POST", "/shutdown")


def _scope(gpu: int | None, network: str | None) -> dict[str, Any]:
    if gpu is not None and network is not None:
        raise ValueError("pause or resume either one GPU or one network, not both")
    if gpu is not None:
        return {"scope": "gpu", "gpu": gpu}
    if network is not None:
        return {"scope": "network", "network": network}
    return {"scope": "all"}


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


def _decode(response: httpx.Response) -> dict[str, Any]:
    major = parse_protocol(response.headers.get(PROTOCOL_HEADER))
    if major is not None and major != PROTOCOL_VERSION:
        raise ProtocolMismatch(
            f"RigPilot's worker speaks API protocol {major} but this program speaks "
            f"{PROTOCOL_VERSION}; restart the worker (`rigpilot worker stop`, then "
            "`rigpilot worker --detach`) so both come from the same version"
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(
            "internal",
            f"the worker sent an answer that is not a JSON object (HTTP {response.status_code})",
            response.status_code,
        )
    if response.status_code >= 400:
        error = ApiError.from_json(response.status_code, body)
        if error.code == "protocol_mismatch":
            raise ProtocolMismatch(error.message)
        raise error
    return body


def ensure_worker_running(
    args: Sequence[str] = (), *, paths: Paths | None = None, timeout: float = 10.0
) -> WorkerClient:
    """A client of a running worker, starting one in the background when none answers.

    ``args`` are extra ``rigpilot worker`` options (for example ``["--demo"]``). Used by
    the desktop app on start and by CLI commands that need a worker.
    """
    client = WorkerClient(paths or get_paths())
    try:
        client.status()
        return client
    except WorkerNotRunning:
        pass
    process = spawn_worker(list(args), client.paths)
    log.info("started RigPilot's worker in the background (pid %s)", process.pid)
    wait_until_ready(client, timeout=timeout, exited=process.poll)
    return client


def wait_until_ready(
    client: WorkerClient,
    *,
    timeout: float = 10.0,
    exited: Callable[[], int | None] | None = None,
) -> dict[str, Any]:
    """Poll status until the worker answers; returns the status.

    ``exited`` is an optional callable returning the launched process's exit code (None
    while it runs), so a worker that dies at start is reported at once, not after timeout.
    """
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            return client.status()
        except WorkerNotRunning:
            pass
        code = exited() if exited is not None else None
        if code is not None:
            # Another worker may have won a start race; then it answers soon.
            try:
                return client.status()
            except WorkerNotRunning:
                raise WorkerNotRunning(
                    f"RigPilot's worker stopped right after it started (exit code {code}); "
                    f"see {_console_log(client.paths)} and `rigpilot logs`"
                ) from None
        if time.monotonic() >= deadline:
            raise WorkerNotRunning(
                f"RigPilot's worker did not answer within {timeout:g} s of starting; "
                f"see {_console_log(client.paths)} and `rigpilot logs`"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _console_log(paths: Paths) -> Path:
    return console_log_file(paths)
