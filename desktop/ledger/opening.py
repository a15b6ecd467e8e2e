"""The checks a ledger file passes before the worker writes to it, and its safe creation.

Why (issue 17): a 0-byte ledger was silently taken as new (history gone), a deleted
write-ahead log lost acknowledged rows without a word, and damage went unnoticed. So:

* a NEW ledger is built under a temp name and renamed into place once its schema is
  committed, so the real name never holds an empty or half-made file; a 0-byte
  ``ledger.sqlite`` is therefore damage, and is reported as such;
* ``<ledger>.open`` marks a session: written when the ledger opens, removed after the
  clean close's checkpoint. Found at the next start together with a MISSING ``-wal``, it
  means the log was deleted after an unclean stop, and the rows written since the last
  checkpoint are gone: that is reported (the file itself is sound);
* ``PRAGMA quick_check`` runs at every open (the database module does it).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path

from desktop import clock
from desktop.atomic import fsync_dir

CREATING_SUFFIX = ".new"
MARKER_SUFFIX = ".open"


def wal_path(ledger: Path) -> Path:
    return ledger.with_name(ledger.name + "-wal")


def creating_path(ledger: Path) -> Path:
    return ledger.with_name(ledger.name + CREATING_SUFFIX)


def marker_path(ledger: Path) -> Path:
    return ledger.with_name(ledger.name + MARKER_SUFFIX)


def clear_unfinished_creation(ledger: Path) -> None:
    """Remove what a crash during ``create`` left (never the real file)."""
    temp = creating_path(ledger)
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            temp.with_name(temp.name + suffix).unlink()


def new_private_file(path: Path) -> None:
    """Create ``path`` empty and user-only (money records are private)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def publish(temp: Path, ledger: Path) -> None:
    """Rename a fully made, closed ledger into place, durably."""
    os.replace(temp, ledger)
    fsync_dir(ledger.parent)


def wal_lost_since(ledger: Path) -> float | None:
    """When the last session began, if it ended uncleanly AND its write-ahead log is gone;
    None when nothing was lost."""
    marker = marker_path(ledger)
    try:
        started = marker.stat().st_mtime
    except FileNotFoundError:
        return None
    return None if wal_path(ledger).exists() else started


def mark_open(ledger: Path) -> None:
    """Write (or refresh) the session marker; its mtime says since when rows may be only
    in the log. Refreshed after each full checkpoint."""
    marker = marker_path(ledger)
    with contextlib.suppress(OSError):  # the marker only improves a diagnosis
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, f"{os.getpid()} {clock.now():.0f}\n".encode())
        finally:
            os.close(fd)
        os.utime(marker)


def mark_closed(ledger: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        marker_path(ledger).unlink()


def wal_lost_message(ledger: Path, since: float) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(since))
    return (
        f"the ledger's write-ahead log {wal_path(ledger)} was missing after RigPilot last "
        f"stopped without closing the ledger, so what it recorded since about {when} "
        "(earnings, jobs, events) may be lost. The ledger itself is sound and in use; do "
        "not delete files next to a database while it is open."
    )


def file_problem(ledger: Path) -> str:
    """What is wrong with the ledger file, read-only ("" when it looks sound): the same
    checks the worker makes at start, for ``rigpilot ledger check``."""
    if ledger.stat().st_size == 0:
        return "the file is empty, 0 bytes"
    try:
        conn = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"it is not a readable SQLite database: {exc}"
    if rows != [("ok",)]:
        return "; ".join(str(r[0]) for r in rows[:3])
    return "" if version > 0 else "it is an SQLite file but not a RigPilot ledger"
