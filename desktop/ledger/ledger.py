"""The ``Ledger``: one object the worker opens once and shares across its threads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from desktop.ledger.db import Database, Migration
from desktop.ledger.earnings import EarningsStore
from desktop.ledger.energy import EnergyStore
from desktop.ledger.events import EventsStore
from desktop.ledger.jobs import JobsStore
from desktop.ledger.migrations import MIGRATIONS
from desktop.ledger.networks import NetworksStore
from desktop.ledger.telemetry import TelemetryStore


class Ledger(JobsStore, EarningsStore, EnergyStore, TelemetryStore, EventsStore, NetworksStore):
    """The worker's durable records: jobs, earnings, energy, telemetry, events, networks.

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

    def maintain(self, now: float | None = None) -> dict[str, int]:
        """Periodic housekeeping (about once a minute): rollups, then retention."""
        done = {f"rollup_{k}": v for k, v in self.rollup(now).items()}
        done.update({f"pruned_{k}": v for k, v in self.prune(now).items()})
        done["pruned_events"] = self.prune_events(now)
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
