"""What state the ledger's file is in, the errors that say so, and the sentences users read.

Why: a full disk, a disk Linux remounted read-only and a damaged file used to surface as
SQLite's own words ("database or disk is full", "database disk image is malformed") with no
file name and no fix, or as a 500 from the API. Now every SQLite or OS error of the ledger
is classified once (``classify``) into a typed ``LedgerError`` whose ``code`` the worker
can branch on and whose message names the file and what to do, and the ledger keeps a
``LedgerHealth`` the worker reads for status, the tray and an event:

* ``disk_full`` / ``read_only`` / ``io_error``: writes fail for now; the ledger clears the
  state by itself at the first write that succeeds (``Ledger.recheck`` tries one);
* ``damaged``: the file failed a check; the ledger refuses every write from then on, and the
  message names the newest good backup and ``rigpilot ledger restore``;
* ``wal_missing``: the write-ahead log was deleted after an unclean stop, so the rows
  written since the last checkpoint are gone; the ledger itself is sound and writable.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


class LedgerError(Exception):
    """A ledger problem; the message says what happened and what to do."""

    code = "ledger_error"


class MigrationError(LedgerError):
    """An upgrade of the ledger failed and was rolled back; the old version is intact."""

    code = "migration_failed"


class LedgerDamaged(LedgerError):
    """The file failed a check (or SQLite found it corrupt); nothing is written to it.
    ``detail`` is SQLite's own complaint."""

    code = "damaged"

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class LedgerDiskFull(LedgerError):
    code = "disk_full"


class LedgerReadOnly(LedgerError):
    code = "read_only"


class LedgerIoError(LedgerError):
    code = "io_error"


OK = "ok"
TRANSIENT = frozenset({"disk_full", "read_only", "io_error"})  # cleared by a good write
WRITABLE = frozenset({OK, "wal_missing"})
RESTORE_COMMAND = "rigpilot ledger restore"


@dataclass(frozen=True)
class LedgerHealth:
    """The ledger's state for status, the tray and events.

    Attributes:
        state: ``ok``, ``disk_full``, ``read_only``, ``io_error``, ``damaged`` or
            ``wal_missing``.
        message: one paragraph naming the file, the problem and what to do ("" when ok).
        path: the ledger file.
        since: when the state began (epoch seconds), None when ok.
        backup: the newest good backup, when one exists.
        restore_command: the command that restores it (only when damaged).
    """

    state: str = OK
    message: str = ""
    path: str = ""
    since: float | None = None
    backup: str | None = None
    restore_command: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == OK

    @property
    def writable(self) -> bool:
        return self.state in WRITABLE

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "writable": self.writable}


def classify(exc: BaseException, path: Path, doing: str, *, at_start: bool = False) -> LedgerError:
    """The typed error for ``exc`` met while ``doing`` (e.g. "writing") on ``path``."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    number = exc.errno if isinstance(exc, OSError) else None
    if name.startswith("SQLITE_FULL") or number == errno.ENOSPC:
        return LedgerDiskFull(disk_full_message(path, at_start))
    if name.startswith("SQLITE_READONLY") or number == errno.EROFS:
        return LedgerReadOnly(read_only_message(path, at_start))
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return LedgerDamaged(damaged_message(path, str(exc)), str(exc))
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")) or isinstance(exc, OSError):
        if _read_only(path):
            return LedgerReadOnly(read_only_message(path, at_start))
        if _free_bytes(path) == 0:
            return LedgerDiskFull(disk_full_message(path, at_start))
        return LedgerIoError(
            f"the disk reported an error while {doing} the ledger {path} ({exc}); "
            + ("" if at_start else "RigPilot tries again by itself, but ")
            + "a failing disk needs a look (`dmesg` shows disk errors on Linux)."
        )
    return LedgerError(f"{doing} the ledger {path} failed: {exc}")


def disk_full_message(path: Path, at_start: bool = False) -> str:
    then = "start RigPilot again" if at_start else "RigPilot goes on by itself"
    return (
        f"the disk holding the ledger {path} is full, so RigPilot cannot record earnings, "
        f"jobs or telemetry. Free some space on it; {then} once there is room."
    )


def read_only_message(path: Path, at_start: bool = False) -> str:
    then = "start RigPilot again" if at_start else "RigPilot goes on by itself"
    return (
        f"the ledger {path} is on a disk that cannot be written now (read-only), so "
        "RigPilot cannot record earnings, jobs or telemetry. Linux makes a disk read-only "
        f"after disk errors (`dmesg` shows them); {then} once it can write there again."
    )


def tidy_detail(detail: str) -> str:
    """SQLite's complaint on one line: ``integrity_check`` starts with a banner line."""
    lines = [x.strip() for x in detail.splitlines() if x.strip() and not x.startswith("***")]
    text = "; ".join(lines) or "it failed its check"
    return text if len(text) <= 200 else text[:200] + "..."


def damaged_message(path: Path, detail: str, backup: Path | None = None) -> str:
    """The damaged-ledger paragraph: the file, what is wrong, the backup and the command."""
    head = f"the ledger {path} is damaged ({tidy_detail(detail)}); RigPilot will not write to it."
    if backup is not None:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(backup.stat().st_mtime))
        return (
            f"{head} The newest backup is {backup} (made {when}). Stop the worker "
            f"(`rigpilot worker stop`) and run `{RESTORE_COMMAND}` to bring it back; the "
            "damaged file is kept aside, not deleted."
        )
    return (
        f"{head} There is no backup of it. Stop the worker and run "
        f"`{RESTORE_COMMAND} --empty` to keep the damaged file aside and start an empty "
        "ledger."
    )


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # AttributeError: no statvfs on Windows
        return False


def _free_bytes(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path.parent).free
    except OSError:
        return None
