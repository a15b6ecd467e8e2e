"""io.net's launch binary, the one the user downloaded, run with its documented flags.

RigPilot never downloads code: the user gives the path of ``io_net_launch_binary_linux``
(or the Windows ``.exe``) fetched from io.net's own repository, and RigPilot checks that
it is an executable file before each start. The flags are the documented ones
(io_launch_binaries README): ``--device_id --device_name --token --no_warnings=true``;
``--token`` is the refresh token that lets the binary sign in without the interactive
device-code step. The binary "will wait until the IO Worker Containers are up and
running"; RigPilot waits for whichever comes first, the binary's exit or the worker
container running, and stops a binary that is still running when io.net is stopped.

Known cost, said in the enrollment's help: a command-line argument is visible to other
users of this computer (``ps``) while the binary runs, and the binary itself caches the
token on disk; io.net documents no other way to pass it.
"""

from __future__ import annotations

import collections
import logging
import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

OUTPUT_LINES = 40  # the tail kept for error messages
STOP_WAIT_S = 10.0


@dataclass(frozen=True)
class LaunchCommand:
    """What the launch binary is run with (the token is never logged or shown)."""

    binary: Path
    device_id: str
    device_name: str
    token: str

    def argv(self) -> list[str]:
        return [
            str(self.binary),
            f"--device_id={self.device_id}",
            f"--device_name={self.device_name}",
            f"--token={self.token}",
            "--no_warnings=true",
        ]

    def shown(self) -> str:
        """The command as a person may see it: the token masked."""
        return " ".join("--token=<token>" if a.startswith("--token=") else a for a in self.argv())


def binary_problem(path: Path) -> str:
    """Why ``path`` cannot be run as the launch binary ("" when it can)."""
    if not path.is_absolute():
        return f"{path} is not an absolute path: give the full path of the launch binary."
    if not path.exists():
        return f"{path} does not exist: give the path of the launch binary you downloaded."
    if not path.is_file():
        return f"{path} is not a file: give the path of io.net's launch binary itself."
    if not os.access(path, os.X_OK):
        return f"{path} is not executable: run `chmod +x {path}` (io.net's guide does too)."
    return ""


class LaunchRun:
    """One run of the launch binary: its process, and the tail of what it printed."""

    def __init__(self, command: LaunchCommand, env: dict[str, str] | None = None) -> None:
        self.command = command
        self.output: collections.deque[str] = collections.deque(maxlen=OUTPUT_LINES)
        log.info("ionet: running %s", command.shown())
        self.proc = subprocess.Popen(  # noqa: S603 - the user's own binary, argv list
            command.argv(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # a Ctrl+C in the worker's terminal is not the binary's
        )
        self._reader = threading.Thread(target=self._read, name="ionet-launch", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        token = self.command.token
        with self.proc.stdout:  # closed at the end of the output (the binary exited)
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip()
                if token:
                    line = line.replace(token, "<token>")
                self.output.append(line)
                log.debug("ionet launch binary: %s", line)

    @property
    def exit_code(self) -> int | None:
        return self.proc.poll()

    def tail(self, lines: int = 5) -> str:
        self._reader.join(timeout=1.0)
        return " | ".join(list(self.output)[-lines:])

    def wait_until(
        self,
        up: Callable[[], bool],
        timeout_s: float,
        sleep: Callable[[float], None],
        poll_s: float = 0.5,
    ) -> bool:
        """Wait until the binary exits or ``up()`` (the worker runs); True when ``up()``.
        Gives up after ``timeout_s`` (then the caller stops the binary)."""
        waited = 0.0
        while waited < timeout_s:
            if up():
                return True
            if self.exit_code is not None:
                return up()
            sleep(poll_s)
            waited += poll_s
        return False

    def stop(self) -> None:
        """Stop the binary if it still runs (SIGTERM, then SIGKILL)."""
        if self.proc.poll() is not None:
            return
        log.info("ionet: stopping the launch binary (pid %d)", self.proc.pid)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_WAIT_S)
