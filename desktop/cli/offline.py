"""What read-only commands can still say while the worker is stopped.

``rigpilot events`` used to answer "the worker is not running" and nothing else, although
the ledger on disk holds every event it recorded. The ledger is opened read-only here (no
migration, no write, no lock: safe beside a worker starting up), and the command says
first that the worker is stopped and how to start it.
"""

from __future__ import annotations

import sqlite3

from desktop.model import Event
from desktop.paths import Paths

START_IT = "start it with `rigpilot worker --detach`, or open the RigPilot app"


def recorded_events(paths: Paths, limit: int) -> list[Event] | None:
    """The newest events in this installation's ledger, or None when it cannot be read."""
    from desktop.ledger.events import last_events

    ledger = paths.ledger_file
    if not ledger.exists():
        return None
    try:
        connection = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error:
        return None
    try:
        return last_events(connection, limit)
    except sqlite3.Error:  # damaged, or from a newer version: the worker will say which
        return None
    finally:
        connection.close()
