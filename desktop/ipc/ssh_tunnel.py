"""One SSH connection to a rig, carrying the forward of its worker's unix socket.

``SshTunnel.open()`` starts OpenSSH's master connection (desktop/ipc/ssh_command.py), reads
the rig's ``RigInfo`` (socket path, running, token) from it, and adds the forward of a
local socket in this computer's runtime folder (0700, the socket itself 0600) to the
rig's worker socket. The token stays in memory; nothing is written but the two sockets
ssh needs and ssh's own messages (for explaining a failure), all in that private folder,
named after this process so two programs reaching one rig never share them.

Failures are ``WorkerUnreachable`` (SSH could not connect, RigPilot missing, another
protocol) or ``WorkerNotRunning`` (RigPilot is there, its worker is not), each saying what
to do. POSIX only: the forwarded end is a unix socket, and the read uses ``select``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import msgspec

from desktop.ipc.protocol import PROTOCOL_VERSION
from desktop.ipc.rig_address import RigAddress, RigInfo, decode_info
from desktop.ipc.routes import WorkerNotRunning, WorkerUnreachable
from desktop.ipc.ssh_command import (
    exit_command,
    explain_failure,
    forward_command,
    master_command,
)
from desktop.ipc.transport import check_private_dir

OPEN_TIMEOUT_S = 30.0
_TOKEN_RE = re.compile(r"[0-9a-f]{64}")
_STEM_RE = re.compile(r"[0-9a-f]{8}-(?P<pid>[0-9]+)\.(?:ssh|sock|log)")


class SshTunnel:
    """See the module docstring. Not thread-safe: ``desktop.ipc.remote.SshRoute`` locks."""

    def __init__(self, rig: RigAddress, folder: Path) -> None:
        self.rig = rig
        self.folder = folder
        stem = f"{hashlib.sha256(rig.text.encode()).hexdigest()[:8]}-{os.getpid()}"
        self.control = folder / f"{stem}.ssh"
        self.local_socket = folder / f"{stem}.sock"
        self._log = folder / f"{stem}.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.info: RigInfo | None = None  # without the token
        self.token = ""

    # --- opening ------------------------------------------------------------------------

    def open(self, timeout: float = OPEN_TIMEOUT_S) -> RigInfo:
        """Connect, learn the rig's worker, forward its socket; raise ``IpcError`` if not."""
        if sys.platform == "win32":
            raise WorkerUnreachable(
                "reaching a rig over SSH needs Linux or macOS on this computer for now "
                "(Windows' OpenSSH cannot forward to a local unix socket); run `ssh "
                f"{self.rig.destination} rigpilot status` instead"
            )
        check_private_dir(self.folder)
        remove_stale(self.folder)
        for leftover in (self.control, self.local_socket):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        log = os.open(self._log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            self._process = subprocess.Popen(
                master_command(self.rig, self.control),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        except FileNotFoundError:
            raise WorkerUnreachable(
                "the `ssh` program is not installed on this computer; install OpenSSH's "
                "client (Debian/Ubuntu: `sudo apt install openssh-client`)"
            ) from None
        finally:
            os.close(log)
        try:
            info = self._read_info(timeout)
            self._check(info)
            self._forward(info.socket)
        except BaseException:
            self.close()
            raise
        self.token = info.token or ""
        self.info = msgspec.structs.replace(info, token=None)
        return self.info

    def _read_info(self, timeout: float) -> RigInfo:
        process = self._process
        assert process is not None and process.stdout is not None
        line = _read_line(process.stdout, timeout)
        if line is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(2.0)
            if process.poll() is None:
                raise WorkerUnreachable(
                    f"{self.rig} did not answer within {timeout:g} s over SSH "
                    f"({self.messages() or 'no message'})"
                )
            raise WorkerUnreachable(explain_failure(self.rig, process.poll(), self.messages()))
        try:
            return decode_info(line)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise WorkerUnreachable(
                f"the RigPilot on {self.rig} answered in a shape this program does not "
                f"expect ({exc}); install the same RigPilot version on both computers"
            ) from None

    def _check(self, info: RigInfo) -> None:
        if info.protocol != PROTOCOL_VERSION:
            raise WorkerUnreachable(
                f"the RigPilot on {self.rig} ({info.version}) speaks API protocol "
                f"{info.protocol}, this one {PROTOCOL_VERSION}; install the same RigPilot "
                "version on both computers"
            )
        if not info.socket:
            raise WorkerUnreachable(
                f"{self.rig}'s worker listens on a loopback port (a Windows rig), which "
                "RigPilot cannot reach over SSH yet; use `rigpilot status` on the rig itself"
            )
        if not info.running:
            raise WorkerNotRunning(not_running_text(self.rig))
        if info.token is None or _TOKEN_RE.fullmatch(info.token) is None:
            raise WorkerUnreachable(
                f"the RigPilot on {self.rig} did not hand over a valid API token; on the "
                "rig, stop the worker, delete its api-token file and start it again"
            )

    def _forward(self, remote_socket: str) -> None:
        command = forward_command(self.rig, self.control, self.local_socket, remote_socket)
        result = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=15
        )
        if result.returncode != 0 or not self.local_socket.exists():
            raise WorkerUnreachable(
                explain_failure(self.rig, result.returncode, result.stderr + self.messages())
            )

    # --- state and closing ----------------------------------------------------------------

    def alive(self) -> bool:
        """The SSH connection runs and its local socket is in place."""
        process = self._process
        return process is not None and process.poll() is None and self.local_socket.exists()

    def messages(self) -> str:
        """What ssh printed (host key warnings, errors), for explaining a failure."""
        try:
            return self._log.read_text(encoding="utf-8", errors="replace").strip()
        except FileNotFoundError:
            return ""

    def why_lost(self) -> str:
        """Why a tunnel that was open is gone, in a few words."""
        process = self._process
        code = process.poll() if process is not None else None
        if code is None:
            return "its local socket disappeared"
        last = self.messages().splitlines()
        return last[-1] if last else f"ssh exited with code {code}"

    def close(self) -> None:
        """End the connection (the rig's session ends with it) and remove our files."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                with contextlib.suppress(OSError, subprocess.SubprocessError):
                    subprocess.run(
                        exit_command(self.rig, self.control),
                        stdin=subprocess.DEVNULL,
                        capture_output=True,
                        timeout=5,
                    )
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for path in (self.local_socket, self.control, self._log):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def not_running_text(rig: RigAddress) -> str:
    return (
        f"RigPilot's worker is not running on {rig}; start it there with `ssh "
        f"{rig.destination} rigpilot worker --detach` (or, to have it start with the rig, "
        "`systemctl --user enable --now rigpilot-worker` on the rig)"
    )


def _read_line(stream: IO[bytes], timeout: float) -> bytes | None:
    """The first JSON line ``stream`` gives within ``timeout`` s (lines a login script
    on the rig may print come first and are skipped); None at EOF or timeout."""
    fd = stream.fileno()
    deadline = time.monotonic() + timeout
    data = b""
    while len(data) <= 65536:
        lines = data.split(b"\n")
        for line in lines[:-1]:
            if line.lstrip().startswith(b"{"):
                return line
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        data += chunk
    return None


def remove_stale(folder: Path) -> None:
    """Remove sockets and logs left by programs that died without closing their tunnel."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        match = _STEM_RE.fullmatch(name)
        if match is None or _pid_alive(int(match.group("pid"))):
            continue
        with contextlib.suppress(OSError):
            (folder / name).unlink()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
