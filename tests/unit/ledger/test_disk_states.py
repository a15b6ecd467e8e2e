"""A full disk and a read-only disk, for real (a small tmpfs in a private mount namespace,
tests/small_disk.py): each is detected and named, reported as the ledger's health (and to
its listener, which the worker turns into an event), and left behind by itself once the
disk can be written again. No row that was acknowledged is lost on the way.

A disk cannot be made read-only under files open for writing (Linux refuses the remount;
only the kernel's own errors=remount-ro can, with a failing disk), so the read-only disk
is met at open, with and without an existing ledger; while running, a write on it fails
with EROFS and takes the same classification and recovery path as the full disk.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.small_disk import run_on_small_disk

DURING_WORK = """
from decimal import Decimal
from desktop.ledger import Ledger, LedgerError
from desktop.model import Money
mode = "%s"
path = DISK / "ledger.sqlite"
ledger = Ledger.open(path)
seen = []
ledger.on_health = lambda h: seen.append(h.state)
acked = 0

def earn(i):
    ledger.record_earning(f"k{i}", "demo", "job", Money(Decimal(i), "DEMO"), float(i))

for i in range(20):
    earn(i)
    acked += 1
filler = fill(DISK) if mode == "full" else remount(DISK, "ro")
error = None
for i in range(20, 5000):  # the log may still have room for a while on a full disk
    try:
        earn(i)
        acked += 1
    except LedgerError as exc:
        error = exc
        break
health = ledger.health()
still = ledger.recheck().state  # nothing changed yet
if mode == "full":
    filler.unlink()
else:
    remount(DISK, "rw")
back = ledger.recheck().state  # by itself: no restart, no user action
earn(10_000)
acked += 1
rows = len(ledger.earnings(limit=100_000))
ledger.close()
print(json.dumps({"error": type(error).__name__, "code": getattr(error, "code", None),
                  "message": str(error), "state": health.state, "writable": health.writable,
                  "health_message": health.message, "still": still, "back": back,
                  "seen": seen, "acked": acked, "rows": rows}))
"""


def test_a_full_disk_is_named_and_left_behind_by_itself(tmp_path: Path) -> None:
    result = run_on_small_disk(DURING_WORK % "full", tmp_path, size_kb=1024)
    assert result["error"] == "LedgerDiskFull" and result["code"] == "disk_full"
    assert "/ledger.sqlite" in result["message"] and "is full" in result["message"]
    assert "goes on by itself" in result["message"]
    assert (result["state"], result["writable"]) == ("disk_full", False)
    assert result["health_message"] == result["message"]
    assert (result["still"], result["back"]) == ("disk_full", "ok")
    assert result["seen"] == ["disk_full", "ok"]  # what the worker's event listener heard
    assert result["rows"] == result["acked"]  # every acknowledged row is there, no more


AT_START = """
from decimal import Decimal
from desktop.ledger import Ledger, LedgerError
from desktop.model import Money
mode, existing = "%s", %s
path = DISK / "data" / "ledger.sqlite"
if existing:
    with Ledger.open(path) as ledger:
        ledger.record_earning("k", "demo", "job", Money(Decimal(1), "DEMO"), 1.0)
before = sorted(p.name for p in DISK.rglob("*") if p.is_file())
filler = fill(DISK) if mode == "full" else remount(DISK, "ro")
try:
    Ledger.open(path)
    outcome = {"error": None}
except LedgerError as exc:
    outcome = {"error": type(exc).__name__, "message": str(exc)}
after = sorted(p.name for p in DISK.rglob("*") if p.is_file() and p.name != "filler")
print(json.dumps({**outcome, "before": before, "after": after}))
"""


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
@pytest.mark.parametrize(("mode", "error"), [("full", "LedgerDiskFull"), ("ro", "LedgerReadOnly")])
def test_at_start_a_full_or_read_only_disk_is_named(
    tmp_path: Path, mode: str, error: str, existing: bool
) -> None:
    result = run_on_small_disk(AT_START % (mode, existing), tmp_path)
    assert result["error"] == error, result
    assert "/ledger.sqlite" in result["message"] and "start RigPilot again" in result["message"]
    made = set(result["after"]) - set(result["before"])
    assert made <= {"ledger.sqlite-wal", "ledger.sqlite-shm"}  # no half-made ledger left
    assert existing == ("ledger.sqlite" in result["after"])
