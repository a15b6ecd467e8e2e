"""A minimal Docker engine API client over httpx, for the doctor only.

Why not the docker SDK: the doctor must say *exactly* why the engine cannot be reached
(no such socket, connection refused, permission denied, timeout) within a hard 1 s budget,
and the SDK hides both the reason and the timeout behind its own retries and API-version
negotiation. Talking HTTP to the socket directly keeps every failure visible; the import
rules also keep the SDK out of ``desktop.checks``.

``DOCKER_HOST`` is honoured like the docker CLI does: ``unix:///path``, ``tcp://host:port``
(with ``DOCKER_TLS_VERIFY`` / ``DOCKER_CERT_PATH`` for TLS) and, for Docker Desktop on
Windows, ``npipe:////./pipe/docker_engine`` (desktop/checks/npipe.py); unset means the
platform's default: the unix socket, or Docker Desktop's pipe on Windows.
"""

from __future__ import annotations

import errno
import json
import os
import ssl
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from desktop.checks.base import ParseError, clean
from desktop.checks.npipe import NamedPipeTransport

UNIX_DEFAULT_HOST = "unix:///var/run/docker.sock"
WINDOWS_DEFAULT_HOST = "npipe:////./pipe/docker_engine"  # Docker Desktop's engine
DEFAULT_HOST = WINDOWS_DEFAULT_HOST if sys.platform == "win32" else UNIX_DEFAULT_HOST
API_TIMEOUT_S = 1.0
MAX_BODY = 4 * 1024 * 1024  # /info and /version are a few KB; more is not an engine


class EngineError(Exception):
    """The engine could not be used. ``reason`` is the exact cause, ready for a summary.

    Attributes:
        kind: bad_host, no_socket, not_socket, refused, permission, timeout, unreachable,
            tls, http (an error status; see ``status``), too_large.
        reason: one plain sentence fragment ("no such socket: /var/run/docker.sock").
        status: the HTTP status for kind ``http``.
        body: the response body (truncated) for kind ``http``.
    """

    def __init__(self, kind: str, reason: str, status: int | None = None, body: str = "") -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.status = status
        self.body = body


@dataclass(frozen=True)
class EngineAddress:
    """Where the engine listens, parsed from DOCKER_HOST.

    Attributes:
        raw: the DOCKER_HOST value (or the default when unset).
        scheme: ``unix``, ``tcp`` or ``npipe``.
        socket_path: the unix socket path (unix only).
        pipe: the named pipe (``\\\\.\\pipe\\docker_engine``; npipe only).
        base_url: the URL httpx sends requests to.
        from_env: DOCKER_HOST was set (the fix text then points at it).
        tls: TLS with client certificates (tcp with DOCKER_TLS_VERIFY).
        cert_dir: where ca.pem, cert.pem and key.pem live (tls only).
    """

    raw: str
    scheme: str
    socket_path: str | None
    base_url: str
    from_env: bool = False
    tls: bool = False
    cert_dir: str | None = None
    pipe: str | None = None

    @property
    def local(self) -> bool:
        """Paths the engine reports (its data root) are paths on this machine.

        Not so for Docker Desktop's pipe: its engine keeps its data in its own Linux VM.
        """
        return self.scheme == "unix"

    @property
    def where(self) -> str:
        return self.socket_path or self.pipe or self.base_url


def parse_docker_host(env: Mapping[str, str]) -> EngineAddress:
    """The engine address the docker CLI would use for this environment.

    Raises EngineError(kind="bad_host") for schemes the doctor cannot reach (ssh://) or
    malformed values, naming the value and what is supported.
    """
    value = (env.get("DOCKER_HOST") or "").strip()
    from_env = bool(value)
    if not value:
        value = DEFAULT_HOST
    shown = clean(value, 120)
    if value.startswith("unix://"):
        path = value[len("unix://") :]
        if not path.startswith("/"):
            raise EngineError("bad_host", f"DOCKER_HOST={shown} is not an absolute socket path")
        return EngineAddress(value, "unix", path, "http://docker", from_env)
    if value.startswith("tcp://"):
        parts = urlsplit(value)
        tls = bool(env.get("DOCKER_TLS_VERIFY"))
        try:
            port = parts.port or (2376 if tls else 2375)
        except ValueError:
            raise EngineError("bad_host", f"DOCKER_HOST={shown} has a bad port") from None
        if not parts.hostname:
            raise EngineError("bad_host", f"DOCKER_HOST={shown} has no host name")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        cert_dir = env.get("DOCKER_CERT_PATH") or str(Path.home() / ".docker")
        scheme = "https" if tls else "http"
        return EngineAddress(
            value,
            "tcp",
            None,
            f"{scheme}://{host}:{port}",
            from_env,
            tls,
            cert_dir if tls else None,
        )
    if value.startswith("npipe://"):
        # npipe:////./pipe/docker_engine (the docker CLI's spelling) → \\.\pipe\docker_engine
        name = value[len("npipe://") :].replace("/", "\\")
        if not name.startswith("\\\\.\\pipe\\") or len(name) <= len("\\\\.\\pipe\\"):
            raise EngineError(
                "bad_host", f"DOCKER_HOST={shown} is not a pipe like npipe:////./pipe/docker_engine"
            )
        return EngineAddress(value, "npipe", None, "http://docker", from_env, pipe=name)
    scheme = value.split("://", 1)[0] if "://" in value else value
    raise EngineError(
        "bad_host",
        f"DOCKER_HOST={shown} uses {clean(scheme, 20)!r}, which the doctor cannot reach "
        "(it supports unix://, tcp:// and npipe://)",
    )


def _tls_context(address: EngineAddress) -> ssl.SSLContext:
    cert_dir = Path(address.cert_dir or ".")
    try:
        context = ssl.create_default_context(cafile=str(cert_dir / "ca.pem"))
        context.load_cert_chain(str(cert_dir / "cert.pem"), str(cert_dir / "key.pem"))
    except (OSError, ssl.SSLError) as exc:
        raise EngineError(
            "tls", f"cannot load the TLS certificates from {cert_dir}: {clean(exc, 160)}"
        ) from exc
    return context


def _find_os_error(exc: BaseException) -> OSError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return current
        current = current.__cause__ or current.__context__
    return None


def map_transport_error(exc: Exception, address: EngineAddress, timeout_s: float) -> EngineError:
    """Turn an httpx failure into the exact reason a user can act on."""
    where = address.where
    if isinstance(exc, httpx.TimeoutException):
        return EngineError("timeout", f"no answer from {where} within {timeout_s:g} s")
    os_error = _find_os_error(exc)
    code = os_error.errno if os_error is not None else None
    if code == errno.ENOENT:
        kind_of = "named pipe" if address.pipe else "socket"
        return EngineError("no_socket", f"no such {kind_of}: {where}")
    if code == errno.EBUSY and address.pipe:
        return EngineError("timeout", f"every instance of {where} is busy")
    if code in (errno.EACCES, errno.EPERM):
        return EngineError("permission", f"permission denied on {where}")
    if code == errno.ECONNREFUSED:
        if address.socket_path and not _is_socket(address.socket_path):
            return EngineError("not_socket", f"{where} is not a socket")
        return EngineError("refused", f"connection refused at {where} (no engine is listening)")
    if code == errno.ENOTSOCK:
        return EngineError("not_socket", f"{where} is not a socket")
    if isinstance(exc, httpx.ConnectError) and "ssl" in str(exc).lower():
        return EngineError("tls", f"TLS handshake with {where} failed: {clean(exc, 160)}")
    return EngineError(
        "unreachable", f"cannot reach {where}: {clean(exc, 160) or type(exc).__name__}"
    )


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return True  # cannot tell; keep the "connection refused" reading


@dataclass(frozen=True)
class EngineResponse:
    """A status and a (size-capped) body."""

    status: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"not JSON: {exc}", self.body) from exc


def _on_windows() -> bool:
    return os.name == "nt"


class EngineClient:
    """Requests to one engine with explicit timeouts. ``transport`` is for tests."""

    def __init__(
        self, address: EngineAddress, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.address = address
        self._transport = transport
        self._client: httpx.Client | None = None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], transport: httpx.BaseTransport | None = None
    ) -> EngineClient:
        """Raises EngineError(kind="bad_host") when DOCKER_HOST cannot be used."""
        return cls(parse_docker_host(env), transport)

    def _http(self) -> httpx.Client:
        if self._client is None:
            transport = self._transport
            verify: ssl.SSLContext | bool = True
            if transport is None and self.address.socket_path:
                if _on_windows():  # httpx would raise a bare RuntimeError at connect time
                    raise EngineError(
                        "bad_host",
                        f"DOCKER_HOST={clean(self.address.raw, 120)} is a unix socket, which "
                        "programs on Windows cannot reach",
                    )
                transport = httpx.HTTPTransport(uds=self.address.socket_path)
            elif transport is None and self.address.pipe:
                if os.name != "nt":
                    raise EngineError(
                        "bad_host", f"{self.address.raw} is a Windows named pipe: not on this OS"
                    )
                transport = NamedPipeTransport(self.address.pipe)
            elif transport is None and self.address.tls:
                verify = _tls_context(self.address)
            self._client = httpx.Client(
                base_url=self.address.base_url,
                transport=transport,
                verify=verify,
                trust_env=False,  # no proxy may sit between us and a local engine
            )
        return self._client

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        timeout_s: float = API_TIMEOUT_S,
        max_body: int = MAX_BODY,
    ) -> EngineResponse:
        """One request; raises EngineError for transport failures and oversized bodies.

        An HTTP error status is *returned*, not raised: callers decide what 404 means.
        """
        client = self._http()
        try:
            with client.stream(
                method,
                path,
                params=params,
                json=body,
                timeout=httpx.Timeout(timeout_s),
            ) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_body:
                        raise EngineError(
                            "too_large", f"{path} answered with more than {max_body} bytes"
                        )
                    chunks.append(chunk)
                return EngineResponse(response.status_code, b"".join(chunks))
        except httpx.HTTPError as exc:
            raise map_transport_error(exc, self.address, timeout_s) from exc

    def get_json(self, path: str, timeout_s: float = API_TIMEOUT_S) -> tuple[bytes, Any]:
        """GET a JSON document; returns the raw body and the parsed value.

        Raises EngineError for transport failures and error statuses, ParseError when the
        body is not JSON.
        """
        response = self.request("GET", path, timeout_s=timeout_s)
        if response.status >= 400:
            raise http_error(path, response)
        return response.body, response.json()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def http_error(path: str, response: EngineResponse) -> EngineError:
    """An error status as an EngineError, with the engine's own message when it sent one."""
    message = ""
    try:
        data = response.json()
        if isinstance(data, dict):
            message = str(data.get("message") or "")
    except ParseError:
        message = response.text
    reason = f"{path} answered HTTP {response.status}"
    if message:
        reason += f": {clean(message, 200)}"
    return EngineError("http", reason, response.status, clean(response.text, 500))
