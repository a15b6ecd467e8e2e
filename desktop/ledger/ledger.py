"""The ``Ledger``: one object the worker opens once and shares across its threads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from desktop import clock
from desktop.ledger import backup as backups
from desktop.ledger.db import Database, HealthListener, Migration
from desktop.ledger.earnings import EarningsStore
from desktop.ledger.energy import EnergyStore
from desktop.ledger.events import EventsStore
from desktop.ledger.health import LedgerDamaged, LedgerError, LedgerHealth
from desktop.ledger.jobs import JobsStore
from desktop.ledger.migrations import MIGRATIONS
from desktop.ledger.money import MoneyStore
from desktop.ledger.networks import NetworksStore
from desktop.ledger.telemetry import TelemetryStore


class Ledger(
    JobsStore, EarningsStore, EnergyStore, TelemetryStore, EventsStore, NetworksStore, MoneyStore
):
    """The worker's durable records: jobs, earnings, energy, telemetry, events, networks,
    rates, reputation history and GPU wear.

    Every method is blocking (SQLite with fsync on commit) and thread-safe; from the
    worker's event loop call it through ``asyncio.to_thread`` or a dedicated thread.
    A method that writes returns only after its commit is on disk.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    @classmethod
    def open(cls, path: Path | str, *, migrations: Sequence[Migration] = MIGRATIONS) -> Ledger:
        """Open or create the ledger at ``path`` and bring its schema up to date.

        Raises:
            LedgerError: the file is damaged, too new, or cannot be opened (the message
                says what to do); MigrationError when an upgrade failed and was rolled back.
        """
        return cls(Database.open(path, migrations))

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def schema_version(self) -> int:
        return self._db.version

    def pragma(self, name: str) -> Any:
        """Read a PRAGMA (``journal_mode``, ``synchronous`` ...), for diagnostics and tests."""
        return self._db.pragma(name)

    def integrity_check(self) -> str:
        return self._db.integrity_check()

    # --- the file's health (issue 17) ----------------------------------------------------

    def health(self) -> LedgerHealth:
        """ok / disk_full / read_only / io_error / damaged / wal_missing, with a message
        naming the file and the fix; for status, the tray and events."""
        return self._db.health()

    @property
    def on_health(self) -> HealthListener | None:
        """Called (in the failing caller's thread) each time the health changes; the
        worker turns it into an event. Must not write to the ledger."""
        return self._db.on_health

    @on_health.setter
    def on_health(self, listener: HealthListener | None) -> None:
        self._db.on_health = listener

    def recheck(self) -> LedgerHealth:
        """Try one small real write, so a full or read-only disk is noticed to be back
        without waiting for the next record; returns the health after it."""
        try:
            with self._db.write() as conn:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                conn.execute(f"PRAGMA user_version = {version:d}")  # rewrites page 1
        except LedgerError:
            pass
        return self._db.health()

    def backup_if_due(self, now: float) -> Path | None:
        """Today's backup (SQLite's online backup API, integrity-checked), if not made yet.

        Raises:
            LedgerDamaged: the copy failed its check: the ledger is marked damaged (no
                more writes) and no backup was replaced.
            LedgerError: the backup could not be written (a full disk...).
        """
        if not backups.backup_due(self.path, now):
            return None
        try:
            return backups.make_backup(self.path, now)
        except LedgerDamaged as error:
            self._db.mark_damaged(error.detail or "its daily check failed")
            raise

    def maintain(self, now: float | None = None) -> dict[str, int]:
        """Periodic housekeeping (about once a minute): rollups, retention, a checkpoint
        (which bounds what a deleted log could lose) and the daily backup."""
        done = {f"rollup_{k}": v for k, v in self.rollup(now).items()}
        done.update({f"pruned_{k}": v for k, v in self.prune(now).items()})
        done["pruned_events"] = self.prune_events(now)
        self._db.checkpoint()
        done["backup"] = int(self.backup_if_due(clock.now() if now is None else now) is not None)
        return done

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
