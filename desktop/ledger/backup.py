"""Daily backups of the ledger with SQLite's online backup API, and restoring one.

Why this way (reliability.md §5): a file copy of a live WAL database can tear; SQLite's
backup API copies a consistent snapshot while the worker keeps writing (a reader never
blocks the writer in WAL mode). Each backup is written to a temp file, checked with the
full ``integrity_check`` (which also finds damage ``quick_check`` cannot, such as an index
that no longer matches its table), fsynced, and only then renamed into place; so a kill at
any instant leaves the older backups and at worst a ``.tmp`` that the next run removes.
Old backups are pruned only after a new one passed its check, so a damaged ledger can
never rotate the last good backup away: its damage is reported instead.

Backups live in ``<data>/backups/ledger-YYYY-MM-DD.sqlite`` (local date), the newest
``KEEP`` of them.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from desktop.atomic import fsync_dir
from desktop.ledger.health import LedgerDamaged, LedgerError, classify, damaged_message

KEEP = 7
_NAME = re.compile(r"ledger-(\d{4}-\d{2}-\d{2})\.sqlite")
COUNTED_TABLES = ("jobs", "earnings", "events", "networks")


def backup_folder(ledger: Path) -> Path:
    return ledger.parent / "backups"


def backup_name(now: float) -> str:
    return time.strftime("ledger-%Y-%m-%d.sqlite", time.localtime(now))


def list_backups(ledger: Path) -> list[Path]:
    """The daily backups, newest first."""
    folder = backup_folder(ledger)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if _NAME.fullmatch(p.name) and p.is_file()]
    return sorted(found, key=lambda p: p.name, reverse=True)


def newest_backup(ledger: Path) -> Path | None:
    backups = list_backups(ledger)
    return backups[0] if backups else None


def backup_due(ledger: Path, now: float) -> bool:
    """True when there is no backup of today's (local) date yet."""
    return not (backup_folder(ledger) / backup_name(now)).exists()


def make_backup(ledger: Path, now: float, keep: int = KEEP) -> Path:
    """Back ``ledger`` up to today's file, check it, then prune to the newest ``keep``.

    Raises:
        LedgerDamaged: the copy failed its integrity check, so the ledger itself is
            damaged; no backup was replaced or pruned.
        LedgerError (LedgerDiskFull, ...): the copy could not be written.
    """
    folder = backup_folder(ledger)
    target = folder / backup_name(now)
    tmp = target.with_name(target.name + ".tmp")
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        _clear_temps(folder)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        problem = copy_database(ledger, tmp)
        if problem:
            tmp.unlink(missing_ok=True)
            message = damaged_message(ledger, problem, newest_backup(ledger))
            raise LedgerDamaged(message, problem)
        os.replace(tmp, target)
        fsync_dir(folder)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        error = classify(exc, target, "backing up")
        if isinstance(error, LedgerDamaged):  # the SOURCE could not be read: it is damaged
            raise LedgerDamaged(damaged_message(ledger, str(exc)), str(exc)) from exc
        raise error from exc
    for old in list_backups(ledger)[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
    return target


def copy_database(source: Path, target: Path) -> str:
    """Copy ``source`` into the (new) file ``target`` with the backup API, as one
    self-contained file (rollback journal, not WAL), fsynced. Returns "" when the copy
    passes ``integrity_check``, else SQLite's first complaint."""
    src = sqlite3.connect(source, timeout=30)
    dest = sqlite3.connect(target, isolation_level=None)
    try:
        src.backup(dest)  # all pages in one step: a consistent snapshot
        dest.execute("PRAGMA journal_mode = DELETE")
        try:
            result = dest.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            result = str(exc)
    finally:
        dest.close()
        src.close()
    fd = os.open(target, os.O_RDWR)  # Windows flushes (_commit) only a handle open for writing
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return "" if result == "ok" else str(result)


def _clear_temps(folder: Path) -> None:
    for stale in folder.glob("*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


@dataclass(frozen=True)
class Restored:
    """What ``restore`` did: the file brought back, where the old one went, what it holds."""

    ledger: Path
    source: Path | None
    kept_aside: list[Path]
    rows: dict[str, int]


def restore(ledger: Path, source: Path | None, now: float, *, empty: bool = False) -> Restored:
    """Put ``source`` (default: the newest backup) in place of ``ledger``; the worker must
    be stopped. The current file and its -wal/-shm are kept aside under a dated name,
    never deleted. With ``empty``, nothing is put in place: the next start makes a new one.

    Raises:
        LedgerError: no backup to restore, or the backup itself fails its check (then
            nothing was moved).
    """
    if not empty:
        source = source or newest_backup(ledger)
        if source is None:
            raise LedgerError(
                f"there is no backup of the ledger {ledger} in {backup_folder(ledger)}; "
                "`rigpilot ledger restore --empty` keeps the current file aside and starts "
                "an empty ledger"
            )
    staged = ledger.with_name(ledger.name + ".restore.tmp")
    if source is not None and not empty:
        staged.unlink(missing_ok=True)
        os.close(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        problem = copy_database(source, staged)
        if problem:
            staged.unlink(missing_ok=True)
            raise LedgerError(f"the backup {source} is damaged too ({problem}); try an older one")
    kept = _set_aside(ledger, now)
    if source is not None and not empty:
        os.replace(staged, ledger)
    fsync_dir(ledger.parent)
    return Restored(ledger, None if empty else source, kept, {} if empty else count_rows(ledger))


def _set_aside(ledger: Path, now: float) -> list[Path]:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    base = f"{ledger.name}.damaged-{stamp}"
    n = 1
    while any(
        ledger.with_name(base + (f"-{n}" if n > 1 else "") + s).exists() for s in ("", "-wal")
    ):
        n += 1
    name = base + (f"-{n}" if n > 1 else "")
    kept = []
    for suffix in ("", "-wal", "-shm"):
        current = ledger.with_name(ledger.name + suffix)
        if current.exists():
            moved = ledger.with_name(name + suffix)
            os.replace(current, moved)
            kept.append(moved)
    return kept


def count_rows(ledger: Path) -> dict[str, int]:
    """Rows per main table, to show what a restored or checked file holds."""
    conn = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        return {
            t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in COUNTED_TABLES
        }
    finally:
        conn.close()
