"""How a ``WorkerClient`` reaches its worker: a ``Route``.

Why a separate piece: the client's job (typed calls, timeouts, error answers) is the same
whether the worker is this computer's or a rig's at the end of an SSH tunnel; only where
the connection goes, which token it carries and what a failure means differ. A route
answers those three questions:

- ``LocalRoute``: this installation's unix socket (or loopback port on Windows) and the
  token file next to the settings;
- ``desktop.ipc.remote.SshRoute``: a local socket forwarded by OpenSSH to a rig's worker,
  with the rig's token held in memory.

Both raise the same errors (``WorkerNotRunning``, ``WorkerUnreachable``), so the CLI and the
app handle a remote rig exactly like this computer; only the messages name the rig.
"""

from __future__ import annotations

import errno
import sys
from dataclasses import dataclass
from typing import Protocol

import httpx

from desktop.ipc.auth import TokenError, read_token
from desktop.ipc.protocol import IpcError
from desktop.paths import Paths

NOT_RUNNING = "RigPilot's worker is not running; start it with `rigpilot worker --detach`"
BROKEN = (
    "the connection to RigPilot's worker broke before it answered (it may have stopped); "
    "check `rigpilot status`"
)


class WorkerNotRunning(IpcError):
    """Nothing answers at the worker's address (no socket, refused, never started)."""

    def __init__(self, message: str = NOT_RUNNING) -> None:
        super().__init__(message)


class WorkerUnreachable(IpcError):
    """A worker is there but cannot be talked to: permission denied, timeout, broken link."""


@dataclass(frozen=True)
class Connection:
    """What an HTTP client needs to talk to one worker."""

    base_url: str
    transport: httpx.BaseTransport | None
    token: str


class Route(Protocol):
    """Where a worker is; see the module docstring."""

    @property
    def label(self) -> str:
        """The rig's name in messages: "" for this computer, ``user@host`` for a rig."""
        ...

    def connect(self) -> Connection:
        """The address and token to use now; raises ``IpcError`` when there is none."""
        ...

    def failure(self, exc: BaseException, broken: bool) -> IpcError:
        """The error to raise for a failed connection (``broken``: it opened, then broke)."""
        ...


class LocalRoute:
    """This installation's worker (one ``Paths``)."""

    label = ""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    def connect(self) -> Connection:
        token = self._read_token()
        if sys.platform == "win32":
            return Connection(f"http://127.0.0.1:{self._read_port()}", None, token)
        if not self.paths.socket_file.exists():
            raise WorkerNotRunning()
        transport = httpx.HTTPTransport(uds=str(self.paths.socket_file))
        return Connection("http://localhost", transport, token)

    def failure(self, exc: BaseException, broken: bool) -> IpcError:
        """Tell "nothing is there" apart from "something is there but refuses us"."""
        if broken:
            return WorkerUnreachable(BROKEN)
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, PermissionError) or getattr(cause, "errno", None) == errno.EACCES:
                return WorkerUnreachable(
                    f"permission denied on RigPilot's worker socket {self.paths.socket_file}; "
                    "the worker belongs to another user. Run this as the user who runs the "
                    "worker."
                )
            cause = cause.__cause__ or cause.__context__
        return WorkerNotRunning()

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
