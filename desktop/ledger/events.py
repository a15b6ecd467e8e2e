"""Guard, job and network events, keyed by the event bus's ``seq``.

The worker's event bus numbers events; storing them under that number makes a re-sent
event a no-op, and lets the bus continue numbering from ``last_event_seq()`` after a
restart, so API clients polling ``since=<seq>`` never miss or repeat one.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from desktop import clock
from desktop.ledger.db import Store
from desktop.model import Event, Severity, to_json

EVENT_KEEP_S = 365 * 86400.0
_COLUMNS = "seq, ts, kind, severity, message, gpu_index, network, data"


def row_event(row: tuple[Any, ...]) -> Event:
    """An event from a row of ``SELECT {_COLUMNS}`` (the store's, and a read-only reader's)."""
    seq, ts, kind, sev, msg, gpu, net, data = row
    return Event(ts=ts, kind=kind, severity=Severity(sev), message=msg, gpu_index=gpu,
                 network=net, data=json.loads(data), seq=seq)  # fmt: skip


def last_events(connection: sqlite3.Connection, limit: int) -> list[Event]:
    """The ``limit`` newest events, oldest first, from any connection (a read-only one too:
    ``rigpilot events`` reads them so while the worker is stopped)."""
    sql = f"SELECT {_COLUMNS} FROM events ORDER BY seq DESC LIMIT ?"
    return [row_event(row) for row in reversed(connection.execute(sql, (limit,)).fetchall())]


class EventsStore(Store):
    def add_event(self, event: Event) -> int:
        """Store an event and return its seq; seq 0 means "number it for me" (the next one).

        An event whose seq is already stored is ignored (idempotent re-send).
        """
        data = json.dumps(to_json(event.data), default=str, separators=(",", ":"))
        with self._db.write() as conn:
            seq = event.seq
            if seq <= 0:
                seq = int(
                    conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM events").fetchone()[0]
                )
            conn.execute(
                f"INSERT INTO events ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?) "
                "ON CONFLICT (seq) DO NOTHING",
                (seq, event.ts, event.kind, Severity(event.severity).value, event.message,
                 event.gpu_index, event.network, data),
            )  # fmt: skip
        return seq

    def events(
        self, since_seq: int = 0, limit: int = 100, kind_prefix: str | None = None
    ) -> list[Event]:
        """Events with seq > ``since_seq``, oldest first, optionally only ``kind_prefix``*
        (for example ``guard.``)."""
        sql = f"SELECT {_COLUMNS} FROM events WHERE seq > ?"
        args: list[object] = [since_seq]
        if kind_prefix:
            sql += " AND substr(kind, 1, ?) = ?"
            args += [len(kind_prefix), kind_prefix]
        with self._db.read() as conn:
            rows = conn.execute(sql + " ORDER BY seq LIMIT ?", (*args, limit)).fetchall()
        return [row_event(row) for row in rows]

    def last_event_seq(self) -> int:
        with self._db.read() as conn:
            return int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])

    def prune_events(self, now: float | None = None) -> int:
        """Forget events older than a year; returns how many."""
        cut = (clock.now() if now is None else now) - EVENT_KEEP_S
        with self._db.write() as conn:
            # Keep the newest row so that numbering continues after a long idle period.
            return conn.execute(
                "DELETE FROM events WHERE ts < ? AND seq < (SELECT max(seq) FROM events)", (cut,)
            ).rowcount
