"""Where the API listens: a user-only unix socket, or a loopback port on Windows.

We bind the socket ourselves: it is created under umask 077 in a 0700 folder and then set to
0600, so there is no moment where another user could connect (the race Electrum's daemon
admits; uvicorn, which served the API before, made unix sockets world-writable). The server
is asyncio's own, inside the worker's event loop, with one desktop/ipc/http_connection.py
protocol per connection (h11 parses) counted by the book of desktop/ipc/connections.py
(deadlines for heads and bodies, a connection budget that closes idle connections before it
refuses a working client, JSON answers for bad HTTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import stat
import sys
from pathlib import Path

from desktop.ipc.asgi import ASGIApp
from desktop.ipc.connections import ConnectionBook, ConnectionLimits
from desktop.ipc.http_connection import MAX_HEAD_BYTES, connection_factory
from desktop.paths import Paths

log = logging.getLogger(__name__)
_MAX_UNIX_PATH = 104 if sys.platform == "darwin" else 108
__all__ = ["MAX_HEAD_BYTES", "ApiServer", "TransportError", "bind_unix_socket"]


class TransportError(Exception):
    """The API cannot listen; ``str()`` names the problem and the fix."""


def bind_unix_socket(path: Path, backlog: int = 64) -> socket.socket:
    """A listening unix socket at ``path``, readable and writable by this user only."""
    folder = path.parent
    check_private_dir(folder)
    if len(os.fsencode(path)) >= _MAX_UNIX_PATH:
        raise TransportError(
            f"the socket path {path} is too long for the operating system "
            f"({len(os.fsencode(path))} bytes, the limit is {_MAX_UNIX_PATH - 1}); "
            "use a shorter RIGPILOT_HOME"
        )
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a leftover of a crashed worker; callers hold the worker lock
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o077)
    try:
        sock.bind(os.fspath(path))
    except OSError as exc:
        sock.close()
        raise TransportError(f"cannot create the API socket {path}: {exc.strerror}") from exc
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


def check_private_dir(folder: Path) -> None:
    """Make sure ``folder`` exists, is ours and is 0700 (fixing the mode if it drifted)."""
    if sys.platform == "win32":
        folder.mkdir(parents=True, exist_ok=True)
        return
    old_umask = os.umask(0o077)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    finally:
        os.umask(old_umask)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise TransportError(f"{folder} should be a folder for RigPilot's socket")
    if info.st_uid != os.getuid():
        raise TransportError(
            f"the runtime folder {folder} belongs to another user (uid {info.st_uid}); "
            "RigPilot will not put its socket there. Remove it or choose another RIGPILOT_HOME."
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)


def bind_loopback(backlog: int = 64) -> socket.socket:
    """Windows: a listening socket on 127.0.0.1 at a port the system picks."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


def write_private_file(path: Path, text: str) -> None:
    """Write a small 0600 file atomically (temp file, fsync, replace)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)


def raise_open_files(wanted: int = 8192) -> int | None:
    """Raise this process's soft open-file limit towards ``wanted`` (never above the hard
    limit) and return it; None where the system has no such limit (Windows).

    Many desktops start programs with a soft limit of 1024, which a few hundred idle API
    connections, the ledger and Docker's sockets would exhaust; the hard limit is higher.
    """
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    return None if soft == resource.RLIM_INFINITY else int(soft)


class ApiServer:
    """Runs an ASGI app on the worker's endpoint inside the current event loop.

    Attributes:
        paths: where the socket (or the port file) goes.
        address: the socket path or ``127.0.0.1:port`` once started.
    """

    def __init__(
        self,
        app: ASGIApp,
        paths: Paths,
        *,
        graceful_s: float = 3.0,
        limits: ConnectionLimits | None = None,
    ) -> None:
        self.paths = paths
        self.address = ""
        self.app = app
        self.graceful_s = graceful_s
        self._sock: socket.socket | None = None
        self._server: asyncio.AbstractServer | None = None
        self._inode: tuple[int, int] | None = None
        self.book = ConnectionBook(limits or ConnectionLimits.for_open_files(raise_open_files()))

    async def start(self) -> None:
        if sys.platform == "win32":
            sock = bind_loopback()
            port = sock.getsockname()[1]
            write_private_file(self.paths.port_file, f"{port}\n")
            self.address = f"127.0.0.1:{port}"
        else:
            sock = bind_unix_socket(self.paths.socket_file)
            info = os.stat(self.paths.socket_file)
            self._inode = (info.st_dev, info.st_ino)
            self.address = os.fspath(self.paths.socket_file)
        self._sock = sock
        loop = asyncio.get_running_loop()
        factory = connection_factory(self.app, self.book)
        if sock.family == socket.AF_INET:
            self._server = await loop.create_server(factory, sock=sock)
        else:
            self._server = await loop.create_unix_server(factory, sock=sock)
        log.info("API listening on %s", self.address)

    async def stop(self) -> None:
        """Stop accepting, let answers in flight finish (bounded), then remove the endpoint."""
        if self._sock is None:
            return
        self._sock = None
        try:
            await self._close_connections()
        finally:
            self._remove_endpoint()
        log.info("API stopped")

    async def _close_connections(self) -> None:
        """Idle connections close now; a busy one after its answer, or after ``graceful_s``."""
        if self._server is not None:
            self._server.close()
        for conn in list(self.book.open):
            conn.close_after_answer = True
            if conn.idle:
                conn.close("the worker is stopping")
        busy = {conn.task for conn in self.book.open if conn.task and not conn.task.done()}
        if busy:
            await asyncio.wait(busy, timeout=self.graceful_s)
        for conn in list(self.book.open):
            if conn.task is not None:
                conn.task.cancel()
            conn.close("the worker is stopping")

    def _remove_endpoint(self) -> None:
        if sys.platform == "win32":
            with contextlib.suppress(FileNotFoundError):
                self.paths.port_file.unlink()
            return
        try:
            info = os.stat(self.paths.socket_file)
        except FileNotFoundError:
            return
        if (info.st_dev, info.st_ino) == self._inode:  # never remove a newer worker's socket
            self.paths.socket_file.unlink()
