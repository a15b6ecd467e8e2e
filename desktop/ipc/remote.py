"""A worker on another computer, reached through an SSH tunnel: ``SshRoute`` and
``rig_client``.

``rig_client("user@host")`` is a ``WorkerClient`` like any other: the CLI's ``--rig`` and
the app's rig list only choose the address. The route opens the tunnel on the first call
(desktop/ipc/ssh_tunnel.py), shares it between every client made for the rig (the app's
status polls and its long poll), and when the tunnel dies (the rig rebooted, the network
dropped, ssh was killed) the failing call says "lost the SSH connection" and a later one
opens a new tunnel: after a failure it waits 1 s, then 2, 4... up to 30 s between tries,
so a rig that is off costs one ssh attempt now and then, not one per second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from desktop.ipc.client import WorkerClient
from desktop.ipc.protocol import IpcError
from desktop.ipc.rig_address import RigAddress, RigInfo, parse_rig
from desktop.ipc.routes import Connection, WorkerNotRunning, WorkerUnreachable
from desktop.ipc.ssh_tunnel import SshTunnel, not_running_text
from desktop.paths import Paths, get_paths

RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0
RIGS_FOLDER = "rigs"


class SshRoute:
    """The route to one rig's worker (see the module docstring). Thread-safe."""

    def __init__(
        self,
        rig: RigAddress,
        paths: Paths,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rig = rig
        self._folder = paths.runtime_dir / RIGS_FOLDER
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._tunnel: SshTunnel | None = None
        self._error: IpcError | None = None
        self._retry_at = 0.0
        self._delay = RETRY_FIRST_S
        self.lost = ""  # why the last open tunnel went away, for "lost … (why)"

    @property
    def label(self) -> str:
        return self.rig.text

    @property
    def info(self) -> RigInfo | None:
        """What the rig said about its worker when the tunnel opened (no token)."""
        tunnel = self._tunnel
        return tunnel.info if tunnel is not None else None

    def connect(self) -> Connection:
        with self._lock:
            tunnel = self._tunnel
            if tunnel is not None and tunnel.alive():
                return _connection(tunnel)
            if tunnel is not None:
                self.lost = tunnel.why_lost()
                tunnel.close()
                self._tunnel = None
            if self._error is not None and self._monotonic() < self._retry_at:
                raise self._error
            tunnel = SshTunnel(self.rig, self._folder)
            try:
                tunnel.open()
            except IpcError as exc:
                self._error = exc
                self._retry_at = self._monotonic() + self._delay
                self._delay = min(self._delay * 2, RETRY_MAX_S)
                raise
            self._tunnel, self._error, self._delay = tunnel, None, RETRY_FIRST_S
            return _connection(tunnel)

    def failure(self, exc: BaseException, broken: bool) -> IpcError:
        """A call through the tunnel failed: the tunnel died, or the worker behind it."""
        with self._lock:
            tunnel = self._tunnel
            if tunnel is None:
                return self._error or WorkerUnreachable(f"not connected to {self.rig}")
            if not tunnel.alive():
                self.lost = tunnel.why_lost()
                tunnel.close()
                self._tunnel = None
                return WorkerUnreachable(
                    f"lost the SSH connection to {self.rig} ({self.lost}); reconnecting"
                )
            # The tunnel is up but nothing answers behind it: the rig's worker stopped (or
            # moved its socket). Close the tunnel so the next call asks the rig again.
            tunnel.close()
            self._tunnel = None
            return WorkerNotRunning(not_running_text(self.rig))

    def close(self) -> None:
        with self._lock:
            tunnel, self._tunnel = self._tunnel, None
        if tunnel is not None:
            tunnel.close()


def _connection(tunnel: SshTunnel) -> Connection:
    transport = httpx.HTTPTransport(uds=str(tunnel.local_socket))
    return Connection("http://localhost", transport, tunnel.token)


def rig_client(
    address: str | RigAddress, *, paths: Paths | None = None, route: SshRoute | None = None
) -> WorkerClient:
    """A client of the worker on ``address`` (``user@host``); raises ``RigAddressError``
    for a malformed address. Without ``route`` the client owns a new one and closes the
    tunnel when it is closed; pass a shared ``route`` to keep one tunnel for many clients.
    """
    local = paths or get_paths()
    rig = address if isinstance(address, RigAddress) else parse_rig(address)
    if route is None:
        return WorkerClient(local, route=SshRoute(rig, local), own_route=True)
    return WorkerClient(local, route=route)
