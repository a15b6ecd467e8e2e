"""The one wall clock every part of RigPilot reads.

Why a module of its own: timestamps from the worker, the ledger, the CLI and the app must
all be on one clock, and tests must be able to move that clock (a test never reads the
real date). Call ``clock.now()`` through the module (``from desktop import clock``), so a
test's ``monkeypatch.setattr(clock, "now", ...)`` reaches every caller.
"""

from __future__ import annotations

import time


def now() -> float:
    """Seconds since the epoch, as ``time.time()``."""
    return time.time()


def read() -> float:
    """``now()``, looked up at each call: pass this (not ``now``) where a clock is kept, so
    that a test that replaces ``now`` moves every part that reads it."""
    return now()
