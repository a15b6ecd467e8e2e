"""Connection settings, file mode, migrations and their failure behaviour."""

from __future__ import annotations

import sqlite3
import stat
import sys
import threading
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.ledger import Ledger, LedgerError, Migration, MigrationError
from desktop.ledger.migrations import MIGRATIONS
from desktop.model import Money


def test_connection_is_wal_with_full_sync(ledger: Ledger) -> None:
    assert ledger.pragma("journal_mode") == "wal"
    assert ledger.pragma("synchronous") == 2  # FULL
    assert ledger.pragma("foreign_keys") == 1
    assert ledger.pragma("busy_timeout") >= 1000
    assert ledger.schema_version == len(MIGRATIONS)
    assert ledger.integrity_check() == "ok"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_ledger_file_is_private(tmp_path: Path) -> None:
    Ledger.open(tmp_path / "data" / "ledger.sqlite").close()
    assert stat.S_IMODE((tmp_path / "data" / "ledger.sqlite").stat().st_mode) == 0o600


def _extra(version: int, *steps: object) -> Migration:
    return Migration(version, f"test step {version}", tuple(steps))  # type: ignore[arg-type]


def test_failed_migration_leaves_old_version_and_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path) as ledger:
        ledger.record_earning("k1", "demo", "job", Money(Decimal("2"), "DEMO"), 1.0)

    def boom(conn: sqlite3.Connection) -> None:
        raise RuntimeError("injected failure mid-migration")

    broken = (*MIGRATIONS, _extra(len(MIGRATIONS) + 1, "CREATE TABLE half_done (x)", boom))
    with pytest.raises(MigrationError, match=f"left at v{len(MIGRATIONS)}"):
        Ledger.open(path, migrations=broken)

    backup = tmp_path / f"ledger.sqlite.bak-v{len(MIGRATIONS)}"
    assert backup.exists()
    with closing(sqlite3.connect(backup)) as copy:
        assert copy.execute("SELECT idem_key FROM earnings").fetchall() == [("k1",)]
    with Ledger.open(path) as again:  # still opens at the old version, data intact
        assert again.schema_version == len(MIGRATIONS)
        assert again.has_earning("k1")
        with closing(sqlite3.connect(path)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "half_done" not in tables


def test_successful_migration_moves_version_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger.open(path).close()
    newer = (*MIGRATIONS, _extra(len(MIGRATIONS) + 1, "ALTER TABLE earnings ADD COLUMN note TEXT"))
    with Ledger.open(path, migrations=newer) as ledger:
        assert ledger.schema_version == len(MIGRATIONS) + 1
    with pytest.raises(LedgerError, match="newer RigPilot"):
        Ledger.open(path)  # this build knows fewer migrations than the file has


def test_damaged_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError, match="damaged"):
        Ledger.open(path)


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(LedgerError, match="not a RigPilot ledger"):
        Ledger.open(path)


def test_migrations_must_be_numbered_in_order(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="numbered"):
        Ledger.open(tmp_path / "l.sqlite", migrations=(_extra(2, "SELECT 1"),))


def test_writes_from_many_threads_are_serialised(ledger: Ledger) -> None:
    def work(n: int) -> None:
        for i in range(20):
            ledger.record_earning(f"t{n}-{i}", "demo", "job", Money(Decimal(1), "DEMO"), float(i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ledger.earnings(limit=1000)) == 80
    assert ledger.integrity_check() == "ok"


def test_a_failing_write_rolls_back_whole(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError):
        with ledger._db.write() as conn:
            conn.execute(
                "INSERT INTO earnings (idem_key, network, kind, amount, unit, ts)"
                " VALUES ('x', 'demo', 'job', '1', 'DEMO', 0)"
            )
            raise RuntimeError("crash in the middle")
    assert not ledger.has_earning("x")


def test_money_is_stored_as_exact_text(ledger: Ledger) -> None:
    amount = Decimal("0.1000000000000000000000000001")
    ledger.record_earning("m", "demo", "job", Money(amount, "DEMO"), 0.0, usd_rate=Decimal("3"))
    with ledger._db.read() as conn:
        row = conn.execute("SELECT typeof(amount), amount, usd FROM earnings").fetchone()
    assert row == ("text", str(amount), str(amount * 3))
    with pytest.raises(TypeError, match="never a float"):
        ledger.record_earning("f", "demo", "job", Money(0.1, "DEMO"), 0.0)  # type: ignore[arg-type]
