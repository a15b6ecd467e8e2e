"""The worker's SQLite ledger: jobs, earnings, energy, telemetry, events and networks.

Only the worker opens it (one writer). See ``ledger.Ledger`` for the API and ``db`` for
the durability choices.
"""

from desktop.ledger.db import Migration
from desktop.ledger.earnings import Earning, EarningsDay
from desktop.ledger.energy import EnergyPeriod
from desktop.ledger.health import (
    LedgerDamaged,
    LedgerDiskFull,
    LedgerError,
    LedgerHealth,
    LedgerIoError,
    LedgerReadOnly,
    MigrationError,
)
from desktop.ledger.jobs import JobTransition
from desktop.ledger.ledger import Ledger
from desktop.ledger.networks import Enrollment, StatusSpan
from desktop.ledger.telemetry import TelemetryPoint

__all__ = [
    "Earning",
    "EarningsDay",
    "EnergyPeriod",
    "Enrollment",
    "JobTransition",
    "Ledger",
    "LedgerDamaged",
    "LedgerDiskFull",
    "LedgerError",
    "LedgerHealth",
    "LedgerIoError",
    "LedgerReadOnly",
    "Migration",
    "MigrationError",
    "StatusSpan",
    "TelemetryPoint",
]
