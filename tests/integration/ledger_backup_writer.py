"""The process tests/integration/test_ledger_backup_crash.py kills while it backs up.

``python ledger_backup_writer.py LEDGER DAY``: opens the ledger, then forever: records one
earning (prints ``E <key>`` after its commit) and makes the backup of the next day (DAY,
DAY+1, ...; prints ``B <file>`` once it is in place), so kills land inside the backup API's
copy, its integrity check, the rename and the pruning of old backups, and among commits.
"""

from __future__ import annotations

import os
import sys
import time
from decimal import Decimal

from desktop.ledger import Ledger
from desktop.model import Money

DAY_S = 86400.0
GIVE_UP_S = 60.0


def say(line: str) -> None:
    os.write(sys.stdout.fileno(), line.encode() + b"\n")  # one write(2): never torn


def main(path: str, day: int) -> None:
    ledger = Ledger.open(path)
    say("READY")
    deadline = time.monotonic() + GIVE_UP_S
    n = 0
    while time.monotonic() < deadline:
        key = f"backup-loop:{day}:{n}"
        ledger.record_earning(key, "demo", "job", Money(Decimal(n), "DEMO"), day * DAY_S + n)
        say(f"E {key}")
        made = ledger.backup_if_due(day * DAY_S + 3600)
        if made is not None:
            say(f"B {made.name}")
            day += 1
        n += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
