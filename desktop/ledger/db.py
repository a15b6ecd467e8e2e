"""The ledger's SQLite connection: durability settings, one serialised writer, migrations.

Why these choices (reliability.md §5, §8.1):

* WAL with ``synchronous=FULL``: every commit fsyncs the WAL, so a row we acknowledged
  survives a process crash AND a power cut. WAL+NORMAL (what Folding@home uses) may lose
  the last commits on power loss, which is not acceptable for money.
* ONE connection, guarded by a lock: SQLite allows a single writer anyway, and one
  connection means no ``database is locked`` surprises inside the worker. The worker calls
  the ledger from ``asyncio.to_thread`` or a dedicated thread; the lock makes that safe.
* Every write is an explicit ``BEGIN IMMEDIATE`` transaction, so a multi-row change (a job
  transition and its state, an earning and the job's pay) lands whole or not at all.
* Numbered migrations run in ONE transaction after a backup copy (``<file>.bak-v<N>``):
  a failed upgrade rolls back and leaves the database at the old version, the way Electrum
  stages wallet upgrades.
* Every open checks the file first (desktop/ledger/opening.py: 0 bytes, a lost log,
  ``quick_check``) and refuses a damaged one with ``LedgerDamaged``, whose message names
  the newest backup and ``rigpilot ledger restore``. Every SQLite error is classified
  (desktop/ledger/health.py) into a typed error and a ``LedgerHealth`` the worker reads:
  a full or read-only disk fails writes until one succeeds again; damage found later
  stops all writes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop import clock
from desktop.atomic import fsync_dir
from desktop.ledger import opening
from desktop.ledger.backup import copy_database, newest_backup
from desktop.ledger.health import (
    OK,
    RESTORE_COMMAND,
    TRANSIENT,
    LedgerDamaged,
    LedgerError,
    LedgerHealth,
    MigrationError,
    classify,
    damaged_message,
)

__all__ = ["Database", "LedgerError", "Migration", "MigrationError", "Store"]
log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 5000
MIN_SQLITE = (3, 24, 0)  # UPSERT
HealthListener = Callable[[LedgerHealth], None]


Step = str | Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class Migration:
    """One numbered schema step: SQL statements or Python callables, run in order.

    Callables get the connection inside the migration transaction and must not commit.
    """

    version: int
    name: str
    steps: tuple[Step, ...]


class Database:
    """One SQLite connection with the ledger's pragmas; use ``read()``/``write()`` blocks."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()
        self._health = LedgerHealth(path=str(path))
        self.on_health: HealthListener | None = None

    # --- opening ---------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, migrations: Sequence[Migration]) -> Database:
        """Open and migrate the database at ``path`` after checking it; create it (mode
        0600, under a temp name renamed into place) when there is none.

        Raises:
            LedgerDamaged: the file is empty, unreadable as SQLite or fails quick_check.
            LedgerDiskFull, LedgerReadOnly: it cannot be written at all now.
            LedgerError / MigrationError: too new, foreign, or an upgrade failed.
        """
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise LedgerError(
                f"SQLite {sqlite3.sqlite_version} is too old for the ledger; "
                f"RigPilot needs {'.'.join(map(str, MIN_SQLITE))} or newer."
            )
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            opening.clear_unfinished_creation(path)
            if not path.exists():
                cls._create(path, migrations)
        except (OSError, sqlite3.Error) as exc:
            raise classify(exc, path, "creating", at_start=True) from exc
        if path.stat().st_size == 0:
            detail = "the file is empty, 0 bytes"
            raise LedgerDamaged(damaged_message(path, detail, newest_backup(path)))
        lost_since = opening.wal_lost_since(path)
        db = cls._connect(path)
        try:
            db._configure()
            db._check()
            db._migrate(migrations)
        except BaseException:
            db._conn.close()
            raise
        opening.mark_open(path)
        if lost_since is not None:
            message = opening.wal_lost_message(path, lost_since)
            log.error("%s", message)
            db._set_health("wal_missing", message)
        return db

    @classmethod
    def _connect(cls, path: Path) -> Database:
        try:
            conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
        except sqlite3.Error as exc:
            raise classify(exc, path, "opening", at_start=True) from exc
        return cls(conn, path)

    @classmethod
    def _create(cls, path: Path, migrations: Sequence[Migration]) -> None:
        """Make a new ledger under a temp name, commit its schema, close it (the log is
        checkpointed into the file), then rename it into place."""
        if opening.wal_path(path).exists():  # a log without its database: not ours to guess
            detail = "the file is missing but its -wal log remains"
            raise LedgerDamaged(damaged_message(path, detail, newest_backup(path)))
        backup = newest_backup(path)
        if backup is not None:
            log.warning(
                "no ledger at %s: a new one is made; backups of an earlier one are in %s "
                "(`%s` brings the newest back)",
                path,
                backup.parent,
                RESTORE_COMMAND,
            )
        temp = opening.creating_path(path)
        opening.new_private_file(temp)
        try:
            db = cls._connect(temp)
            try:
                db._configure()
                db._migrate(migrations)
            finally:
                db._conn.close()
            opening.publish(temp, path)
        except BaseException:
            opening.clear_unfinished_creation(path)  # a full disk leaves no half-made file
            raise

    def _configure(self) -> None:
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA journal_size_limit = 67108864")
        except sqlite3.DatabaseError as exc:
            error = classify(exc, self.path, "opening", at_start=True)
            if type(error) is LedgerError or isinstance(error, LedgerDamaged):
                detail = f"it is damaged or is not a RigPilot ledger: {exc}"
                error = LedgerDamaged(damaged_message(self.path, detail, newest_backup(self.path)))
            raise error from exc
        if str(mode).lower() != "wal" or self.pragma("synchronous") != 2:
            raise LedgerError(
                f"the ledger {self.path} could not be put in WAL mode with full sync "
                f"(journal_mode={mode}); it must be on a local disk, not a network share."
            )

    def _check(self) -> None:
        """``PRAGMA quick_check``: the b-tree pages, cells and records are sound."""
        try:
            rows = self._conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            rows = [(str(exc),)]
        if rows != [("ok",)]:
            detail = "; ".join(str(r[0]) for r in rows[:3])
            raise LedgerDamaged(damaged_message(self.path, detail, newest_backup(self.path)))

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        versions = [m.version for m in migrations]
        if versions != list(range(1, len(migrations) + 1)):
            raise ValueError(f"migrations must be numbered 1..N in order, got {versions}")
        current = self.version
        latest = len(migrations)
        if current > latest:
            raise LedgerError(
                f"the ledger {self.path} was written by a newer RigPilot (schema v{current}; "
                f"this version knows up to v{latest}). Update RigPilot to read it."
            )
        pending = migrations[current:]
        if not pending:
            return
        tables = self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if current == 0 and tables:
            raise LedgerError(f"{self.path} is an SQLite file but not a RigPilot ledger.")
        if current > 0:
            self.backup(self.path.with_name(f"{self.path.name}.bak-v{current}"))
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for migration in pending:
                    for step in migration.steps:
                        if isinstance(step, str):
                            self._conn.execute(step)
                        else:
                            step(self._conn)
                self._conn.execute(f"PRAGMA user_version = {latest:d}")
                self._conn.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, Exception):
                    raise MigrationError(
                        f"upgrading the ledger {self.path} from v{current} to v{latest} failed "
                        f"({exc}); it was left at v{current}. Please report this bug."
                    ) from exc
                raise

    # --- use -------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return int(self.pragma("user_version"))

    def pragma(self, name: str) -> Any:
        with self._lock:
            row = self._conn.execute(f"PRAGMA {name}").fetchone()
        return None if row is None else row[0]

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed (and fsynced) when the block ends, else rolled back.

        Raises:
            LedgerDamaged: the ledger was found damaged; nothing is written any more.
            LedgerDiskFull, LedgerReadOnly, LedgerIoError: this write failed (the next one
                is tried for real, and clears the state when it succeeds).
        """
        with self._lock:
            if self._health.state == "damaged":
                raise LedgerDamaged(self._health.message)
            if self._conn.in_transaction:
                raise RuntimeError("nested ledger transaction; keep each write in one block")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise self._failed(exc, "writing") from exc
            except BaseException:
                self._rollback()
                raise
            if self._health.state in TRANSIENT:
                self._set_health(OK, "")
                log.warning("ledger: writing works again (%s)", self.path)

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for several queries."""
        with self._lock:
            try:
                self._conn.execute("BEGIN")
                yield self._conn
            except sqlite3.Error as exc:
                raise self._failed(exc, "reading") from exc
            finally:
                self._rollback()

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    def _failed(self, exc: sqlite3.Error, doing: str) -> LedgerError:
        """Classify an SQLite error and move the health to its state."""
        error = classify(exc, self.path, doing)
        if isinstance(error, LedgerDamaged):
            self.mark_damaged(str(exc))
            return LedgerDamaged(self._health.message)
        if error.code in TRANSIENT:
            self._set_health(error.code, str(error))
        return error

    # --- health ----------------------------------------------------------------------

    def health(self) -> LedgerHealth:
        return self._health

    def mark_damaged(self, detail: str) -> None:
        """Stop all writes: a check found damage while the worker ran."""
        backup = newest_backup(self.path)
        message = damaged_message(self.path, detail, backup)
        self._set_health("damaged", message, backup)

    def _set_health(self, state: str, message: str, backup: Path | None = None) -> None:
        if state == self._health.state and message == self._health.message:
            return
        if state == "damaged" or state in TRANSIENT:
            log.error("ledger: %s", message)
        self._health = LedgerHealth(
            state=state,
            message=message,
            path=str(self.path),
            since=None if state == OK else clock.now(),
            backup=None if backup is None else str(backup),
            restore_command=RESTORE_COMMAND if state == "damaged" else None,
        )
        listener = self.on_health
        if listener is not None:
            try:
                listener(self._health)
            except Exception:  # a listener's bug must not turn into a ledger failure
                log.exception("ledger health listener failed")

    def checkpoint(self) -> None:
        """Move the log's pages into the file (PASSIVE: never waits), then refresh the
        session marker, which bounds what a deleted log could lose."""
        with self._lock:
            try:
                busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error as exc:
                raise self._failed(exc, "checkpointing") from exc
        if not busy:
            opening.mark_open(self.path)

    def backup(self, target: Path) -> None:
        """Copy the whole database to ``target`` (consistent even with a live WAL, and
        checked: a damaged ledger is not upgraded)."""
        tmp = target.with_name(target.name + ".tmp")
        tmp.unlink(missing_ok=True)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600))
        problem = copy_database(self.path, tmp)
        if problem:
            tmp.unlink(missing_ok=True)
            raise LedgerDamaged(damaged_message(self.path, problem, newest_backup(self.path)))
        os.replace(tmp, target)
        fsync_dir(target.parent)

    def integrity_check(self) -> str:
        """``ok`` when SQLite finds the file sound, else its first complaint."""
        return str(self.pragma("integrity_check"))

    def close(self) -> None:
        """Checkpoint the log into the file, end the session marker, close."""
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA optimize")
            try:  # busy (1) means another connection kept part of the log
                clean = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
            except sqlite3.Error:
                clean = False  # the log stays; the next open recovers from it
            if clean:
                opening.mark_closed(self.path)
            self._conn.close()


class Store:
    """Base of the ledger's table modules (jobs, earnings, ...): they share one Database."""

    _db: Database
