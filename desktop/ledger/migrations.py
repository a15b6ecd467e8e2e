"""The ledger's numbered schema steps. Append new ones; never edit a released step.

Conventions: timestamps are REAL Unix seconds; money (amounts, rates, USD values) is TEXT
holding a Decimal's exact digits (the Python API refuses floats, which would round a cent
away). No STRICT tables, so that older system SQLite builds (3.24+) still open the file.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from desktop.ledger.db import Migration

_TELEMETRY_ROLLUP_COLUMNS = """
    gpu_index       INTEGER NOT NULL,
    ts              REAL    NOT NULL,   -- start of the bucket
    samples         INTEGER NOT NULL,
    core_temp_c     REAL,               -- mean
    core_temp_max_c REAL,
    mem_temp_c      REAL,
    power_w         REAL,
    power_limit_w   REAL,
    gpu_util_pct    REAL,
    fan_pct         REAL,
    energy_j        REAL,               -- last counter value in the bucket
    PRIMARY KEY (gpu_index, ts)
"""

V1 = Migration(
    1,
    "initial schema",
    (
        """CREATE TABLE jobs (
            job_id      TEXT PRIMARY KEY NOT NULL,
            network     TEXT NOT NULL,
            image       TEXT NOT NULL,
            state       TEXT NOT NULL,
            gpu_uuid    TEXT,
            created_ts  REAL NOT NULL,
            started_ts  REAL,
            ended_ts    REAL,
            exit_code   INTEGER,
            exit_reason TEXT,
            message     TEXT NOT NULL DEFAULT '',
            pay_amount  TEXT,
            pay_unit    TEXT,
            pay_usd     TEXT,
            last_seq    INTEGER NOT NULL DEFAULT 0,
            updated_ts  REAL NOT NULL
        )""",
        "CREATE INDEX jobs_by_state ON jobs (state)",
        "CREATE INDEX jobs_by_created ON jobs (created_ts)",
        """CREATE TABLE job_transitions (
            job_id TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
            seq    INTEGER NOT NULL,
            state  TEXT NOT NULL,
            ts     REAL NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (job_id, seq)
        ) WITHOUT ROWID""",
        # job_id has no foreign key on purpose: uptime rewards and bonuses have no local job,
        # and an earning must never be refused because a job row is missing.
        """CREATE TABLE earnings (
            id       INTEGER PRIMARY KEY,
            idem_key TEXT NOT NULL UNIQUE,
            network  TEXT NOT NULL,
            job_id   TEXT,
            kind     TEXT NOT NULL,
            amount   TEXT NOT NULL,
            unit     TEXT NOT NULL,
            usd_rate TEXT,
            usd      TEXT,
            ts       REAL NOT NULL
        )""",
        "CREATE INDEX earnings_by_ts ON earnings (ts)",
        "CREATE INDEX earnings_by_job ON earnings (job_id)",
        """CREATE TABLE energy_periods (
            id             INTEGER PRIMARY KEY,
            gpu_uuid       TEXT NOT NULL,
            network        TEXT NOT NULL,
            start_ts       REAL NOT NULL,
            end_ts         REAL NOT NULL,    -- last tick while open
            energy_j       REAL NOT NULL DEFAULT 0,
            last_counter_j REAL,
            open           INTEGER NOT NULL DEFAULT 1
        )""",
        "CREATE INDEX energy_by_end ON energy_periods (end_ts)",
        """CREATE TABLE telemetry_raw (
            gpu_index     INTEGER NOT NULL,
            ts            REAL NOT NULL,
            core_temp_c   REAL,
            mem_temp_c    REAL,
            power_w       REAL,
            power_limit_w REAL,
            gpu_util_pct  REAL,
            fan_pct       REAL,
            energy_j      REAL,
            PRIMARY KEY (gpu_index, ts)
        ) WITHOUT ROWID""",
        "CREATE INDEX telemetry_raw_by_ts ON telemetry_raw (ts)",
        f"CREATE TABLE telemetry_1m ({_TELEMETRY_ROLLUP_COLUMNS}) WITHOUT ROWID",
        "CREATE INDEX telemetry_1m_by_ts ON telemetry_1m (ts)",
        f"CREATE TABLE telemetry_1h ({_TELEMETRY_ROLLUP_COLUMNS}) WITHOUT ROWID",
        """CREATE TABLE rollup_state (
            name       TEXT PRIMARY KEY NOT NULL,
            done_until REAL NOT NULL
        )""",
        """CREATE TABLE events (
            seq       INTEGER PRIMARY KEY,
            ts        REAL NOT NULL,
            kind      TEXT NOT NULL,
            severity  TEXT NOT NULL,
            message   TEXT NOT NULL,
            gpu_index INTEGER,
            network   TEXT,
            data      TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX events_by_ts ON events (ts)",
        """CREATE TABLE network_status (
            id       INTEGER PRIMARY KEY,
            network  TEXT NOT NULL,
            state    TEXT NOT NULL,
            ts       REAL NOT NULL,     -- first seen in this state
            until_ts REAL NOT NULL      -- last seen in this state
        )""",
        "CREATE INDEX network_status_by_network ON network_status (network, ts)",
        """CREATE TABLE networks (
            network     TEXT PRIMARY KEY NOT NULL,
            enrolled_ts REAL NOT NULL,
            config      TEXT NOT NULL DEFAULT '{}',
            paused      INTEGER NOT NULL DEFAULT 0,
            updated_ts  REAL NOT NULL
        )""",
    ),
)



def _fill_hourly_pay(conn: sqlite3.Connection) -> None:
    """The hourly pay rollup of the earnings already recorded (Decimal sums, not SQL's)."""
    from desktop.ledger.pay_rollup import add_to_hour  # the one place that writes it

    for amount, unit, usd, ts, network in conn.execute(
        "SELECT amount, unit, usd, ts, network FROM earnings ORDER BY id"
    ).fetchall():
        add_to_hour(conn, network, unit, Decimal(amount), None if usd is None else Decimal(usd), ts)


V2 = Migration(
    2,
    "money: hourly pay rollup, exchange rates, reputation history, GPU wear",
    (
        """CREATE TABLE pay_hourly (
            hour_ts         REAL NOT NULL,   -- start of the UTC hour
            network         TEXT NOT NULL,
            unit            TEXT NOT NULL,
            amount          TEXT NOT NULL,   -- everything paid in this unit
            usd             TEXT NOT NULL,   -- USD value of the rows that had a rate
            unpriced_amount TEXT NOT NULL,   -- amount of the rows that had none
            rows            INTEGER NOT NULL,
            PRIMARY KEY (hour_ts, network, unit)
        ) WITHOUT ROWID""",
        """CREATE TABLE rates (
            unit    TEXT NOT NULL,
            quote   TEXT NOT NULL,
            hour_ts REAL NOT NULL,           -- one row per pair and hour: the newest read
            rate    TEXT NOT NULL,
            ts      REAL NOT NULL,           -- when it was read
            source  TEXT NOT NULL,           -- api | network
            PRIMARY KEY (unit, quote, hour_ts)
        ) WITHOUT ROWID""",
        "CREATE INDEX rates_by_ts ON rates (ts)",
        """CREATE TABLE reputation_history (
            network    TEXT NOT NULL,
            ts         REAL NOT NULL,
            score      REAL,
            uptime_pct REAL,
            PRIMARY KEY (network, ts)
        ) WITHOUT ROWID""",
        """CREATE TABLE gpu_wear (
            gpu_uuid       TEXT PRIMARY KEY NOT NULL,
            name           TEXT NOT NULL DEFAULT '',
            since_ts       REAL NOT NULL,
            updated_ts     REAL NOT NULL,
            above_soft_s   REAL NOT NULL DEFAULT 0,
            thermal_cycles INTEGER NOT NULL DEFAULT 0,
            hot            INTEGER NOT NULL DEFAULT 0,  -- inside a heat cycle now
            peak_core_c    REAL,
            peak_mem_c     REAL,
            energy_j       REAL NOT NULL DEFAULT 0
        )""",
        _fill_hourly_pay,
    ),
)

MIGRATIONS: tuple[Migration, ...] = (V1, V2)
