"""The doctor's two kinds of local probe: a short command, and a small file.

Both are passed into DoctorContext, so tests swap them for recorded outputs. Both have hard
limits: a command gets a timeout (a wedged ``nvidia-ctk`` must not hang the doctor), and a
file is read only up to a cap.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

COMMAND_TIMEOUT_S = 1.0
FILE_CAP = 256 * 1024


@dataclass(frozen=True)
class CommandResult:
    """The outcome of one probe command (``nvidia-ctk --version``)."""

    returncode: int
    stdout: str
    stderr: str


class CommandError(Exception):
    """A probe command could not run. ``kind`` is not_found, timeout or os_error."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


# Where packages install the binaries, for when the doctor runs with a trimmed PATH.
EXTRA_BIN_DIRS = ("/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")


def run_command(argv: list[str], timeout_s: float = COMMAND_TIMEOUT_S) -> CommandResult:
    """Run a probe with a hard timeout, C locale and no stdin; never hangs the doctor."""
    env = dict(os.environ, LC_ALL="C", LANG="C")
    path = os.environ.get("PATH", "")
    env["PATH"] = (
        os.pathsep.join([path, *EXTRA_BIN_DIRS]) if path else os.pathsep.join(EXTRA_BIN_DIRS)
    )
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv of a known probe, no shell
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_s,
            env=env,
            check=False,
        )
    except FileNotFoundError:
        raise CommandError("not_found", f"{argv[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise CommandError("timeout", f"{argv[0]} did not answer within {timeout_s:g} s") from None
    except OSError as exc:
        raise CommandError("os_error", f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    return CommandResult(
        done.returncode,
        done.stdout.decode("utf-8", errors="replace"),
        done.stderr.decode("utf-8", errors="replace"),
    )


def read_file(path: str) -> str | None:
    """A small text file's content, or None when it does not exist. Other errors raise."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(FILE_CAP)
    except FileNotFoundError:
        return None
