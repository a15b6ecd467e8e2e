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
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.atomic import fsync_dir

BUSY_TIMEOUT_MS = 5000
MIN_SQLITE = (3, 24, 0)  # UPSERT


class LedgerError(Exception):
    """A ledger problem; the message says what happened and what to do."""


class MigrationError(LedgerError):
    """An upgrade of the ledger failed and was rolled back; the old version is intact."""


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

    # --- opening ---------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, migrations: Sequence[Migration]) -> Database:
        """Open (creating if needed, mode 0600) and migrate the database at ``path``."""
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise LedgerError(
                f"SQLite {sqlite3.sqlite_version} is too old for the ledger; "
                f"RigPilot needs {'.'.join(map(str, MIN_SQLITE))} or newer."
            )
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():  # money records are private: create the file user-only
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        try:
            conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open the ledger {path}: {exc}") from exc
        db = cls(conn, path)
        try:
            db._configure()
            db._migrate(migrations)
        except BaseException:
            conn.close()
            raise
        return db

    def _configure(self) -> None:
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA journal_size_limit = 67108864")
        except sqlite3.DatabaseError as exc:
            raise LedgerError(
                f"the ledger {self.path} is damaged or is not a RigPilot ledger ({exc}). "
                f"Move it aside and restart; a backup copy may be next to it (*.bak-v*)."
            ) from exc
        if str(mode).lower() != "wal" or self.pragma("synchronous") != 2:
            raise LedgerError(
                f"the ledger {self.path} could not be put in WAL mode with full sync "
                f"(journal_mode={mode}); it must be on a local disk, not a network share."
            )

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
        """A write transaction: committed (and fsynced) when the block ends, else rolled back."""
        with self._lock:
            if self._conn.in_transaction:
                raise RuntimeError("nested ledger transaction; keep each write in one block")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise LedgerError(f"ledger write failed: {exc}") from exc
            except BaseException:
                self._rollback()
                raise

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for several queries."""
        with self._lock:
            try:
                self._conn.execute("BEGIN")
                yield self._conn
            except sqlite3.Error as exc:
                raise LedgerError(f"ledger read failed: {exc}") from exc
            finally:
                self._rollback()

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    def backup(self, target: Path) -> None:
        """Copy the whole database to ``target`` (consistent even with a live WAL)."""
        tmp = target.with_name(target.name + ".tmp")
        tmp.unlink(missing_ok=True)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600))
        dest = sqlite3.connect(tmp)
        try:
            with self._lock:
                self._conn.backup(dest)
        finally:
            dest.close()
        fd = os.open(tmp, os.O_RDWR)  # Windows flushes (_commit) only a handle open for writing
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        fsync_dir(target.parent)

    def integrity_check(self) -> str:
        """``ok`` when SQLite finds the file sound, else its first complaint."""
        return str(self.pragma("integrity_check"))

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA optimize")
            self._conn.close()


class Store:
    """Base of the ledger's table modules (jobs, earnings, ...): they share one Database."""

    _db: Database
