"""A damaged ledger is found and named, never silently replaced or written over.

Each case is made for real on an SQLite file: emptied to 0 bytes, a page zeroed, a byte of
an indexed value flipped, the write-ahead log deleted after a kill. The message must name
the file, the newest backup and ``rigpilot ledger restore``; after damage found while
running, every write is refused.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.ledger import Ledger, LedgerDamaged, LedgerHealth
from desktop.ledger.backup import backup_folder, count_rows, list_backups
from desktop.ledger.opening import file_problem, marker_path, wal_path
from desktop.model import Money

DAY = 86400.0
NOW = 1_767_225_600.0  # a fixed instant: backup names come from it, not from today


def fill(path: Path, rows: int = 800, backup_at: float | None = NOW - DAY) -> None:
    """A closed ledger with ``rows`` earnings, backed up (before the damage) at ``backup_at``."""
    with Ledger.open(path) as ledger:
        for i in range(rows):
            key = f"demo:job{i:05d}:pay"
            ledger.record_earning(key, "demo", "job", Money(Decimal(i) / 100, "DEMO"), NOW + i)
        if backup_at is not None:
            ledger.backup_if_due(backup_at)


def damaged_on_open(path: Path) -> LedgerDamaged:
    with pytest.raises(LedgerDamaged) as info:
        Ledger.open(path)
    return info.value


def assert_names_the_way_back(message: str, path: Path) -> None:
    [backup] = list_backups(path)
    assert str(path) in message and "is damaged" in message
    assert str(backup) in message and "`rigpilot ledger restore`" in message
    assert "kept aside, not deleted" in message


def test_a_zero_byte_ledger_is_damage_not_a_new_ledger(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    fill(path)
    path.write_bytes(b"")
    error = damaged_on_open(path)
    assert "empty, 0 bytes" in str(error)
    assert_names_the_way_back(str(error), path)
    assert path.stat().st_size == 0  # nothing was written over it


def test_without_a_backup_the_message_offers_an_empty_start(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    fill(path, backup_at=None)
    path.write_bytes(b"")
    assert "`rigpilot ledger restore --empty`" in str(damaged_on_open(path))


@pytest.mark.parametrize("page", [2, 3, 10, 30])
def test_a_zeroed_page_is_found_at_open(tmp_path: Path, page: int) -> None:
    path = tmp_path / "ledger.sqlite"
    fill(path)
    with open(path, "r+b") as handle:
        handle.seek((page - 1) * 4096)
        handle.write(bytes(4096))
    error = damaged_on_open(path)
    assert_names_the_way_back(str(error), path)
    assert "*** in database main ***" not in str(error)  # SQLite's banner is tidied away


def test_garbage_in_a_page_header_is_found_at_open(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    fill(path)
    with open(path, "r+b") as handle:
        handle.seek(4 * 4096)  # page 5's b-tree header: its type byte and cell count
        handle.write(b"\x07\xff\xff\xff")
    assert_names_the_way_back(str(damaged_on_open(path)), path)


def test_a_flipped_byte_in_an_indexed_value_is_found_by_the_daily_check(tmp_path: Path) -> None:
    """quick_check (at open) cannot see a value that no longer matches its index; the
    daily backup's integrity_check can. Found while running: writes stop, the message
    names the older good backup, and that backup is not rotated away."""
    path = tmp_path / "ledger.sqlite"
    fill(path)
    data = path.read_bytes()
    where = data.index(b"demo:job00234:pay") + 9
    with open(path, "r+b") as handle:
        handle.seek(where)
        handle.write(bytes([data[where] ^ 0x01]))
    ledger = Ledger.open(path)  # quick_check passes: the structure is sound
    seen: list[LedgerHealth] = []
    ledger.on_health = seen.append
    try:
        with pytest.raises(LedgerDamaged):
            ledger.backup_if_due(NOW)
        health = ledger.health()
        assert (health.state, health.writable) == ("damaged", False)
        assert "index" in health.message and health.restore_command == "rigpilot ledger restore"
        assert_names_the_way_back(health.message, path)
        assert [h.state for h in seen] == ["damaged"]
        with pytest.raises(LedgerDamaged):
            ledger.record_earning("demo:new:pay", "demo", "job", Money(Decimal(1), "DEMO"), NOW)
        assert len(list_backups(path)) == 1  # the good backup of the day before stays
    finally:
        ledger.close()


KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from decimal import Decimal
    from desktop.ledger import Ledger
    from desktop.model import Money
    ledger = Ledger.open(sys.argv[1])
    for i in range(50):
        ledger.record_earning(f"late:{i}", "demo", "job", Money(Decimal(1), "DEMO"), 1.0 + i)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.skipif(
    sys.platform == "win32",
    reason="a POSIX kill -9 and a log unlinked under a dead writer; the Windows tier kills its "
    "worker in tests/windows/test_win_worker.py",
)
def test_a_log_deleted_after_a_kill_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    fill(path, rows=10, backup_at=None)
    died = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(path)], check=False)
    assert died.returncode == -signal.SIGKILL
    assert wal_path(path).exists() and marker_path(path).exists()
    os.unlink(wal_path(path))  # what the hostile test did
    with Ledger.open(path) as ledger:
        health = ledger.health()
        assert health.state == "wal_missing" and health.writable
        assert str(wal_path(path)) in health.message and "may be lost" in health.message
        assert len(ledger.earnings()) == 10  # the 50 late rows are gone, and it was said
        ledger.record_earning("after", "demo", "job", Money(Decimal(1), "DEMO"), NOW)


def test_a_clean_stop_leaves_nothing_to_report(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    fill(path, rows=10, backup_at=None)
    assert not marker_path(path).exists() and not wal_path(path).exists()
    with Ledger.open(path) as ledger:
        assert ledger.health().ok


def test_a_new_ledger_never_appears_half_made(tmp_path: Path) -> None:
    """A crash while a new ledger is made leaves only the temp file, which the next open
    clears; the real name only ever holds a complete ledger."""
    path = tmp_path / "ledger.sqlite"
    temp = path.with_name(path.name + ".new")
    temp.write_bytes(b"half")
    with Ledger.open(path) as ledger:
        assert ledger.schema_version >= 1 and ledger.health().ok
    assert not temp.exists()
    if sys.platform != "win32":  # Windows keeps the ledger private by its folder's ACL
        assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_backups_are_daily_checked_self_contained_and_rotated(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path) as ledger:
        ledger.record_earning("k1", "demo", "job", Money(Decimal("1.5"), "DEMO"), NOW)
        first = ledger.backup_if_due(NOW)
        assert first is not None and ledger.backup_if_due(NOW + 60) is None  # once a day
        for day in range(1, 10):
            assert ledger.backup_if_due(NOW + day * DAY) is not None
    kept = list_backups(path)
    assert len(kept) == 7 and kept[0].name > kept[-1].name  # newest first, 7 kept
    assert not list(backup_folder(path).glob("*.tmp"))
    assert not any(p.name.endswith(("-wal", "-shm")) for p in backup_folder(path).iterdir())
    assert count_rows(kept[0])["earnings"] == 1
    assert file_problem(kept[0]) == ""
