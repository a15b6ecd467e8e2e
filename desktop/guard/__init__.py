"""The guards: pure state machines that decide when GPU work may run, and an arbiter.

Each guard turns observations (samples, processes, the clock) into a ``GuardDecision``
with a reason a person can read; the arbiter merges them per GPU with each network's
penalties into edge-triggered ``Action``s the worker carries out and records as events.
Nothing here does I/O except ``activity_probe``, which the worker calls off its event loop.
"""

from .activity import ActivityGuard, ActivityObservation, ActivityPolicy
from .arbiter import Action, Arbiter, user_decision
from .schedule import ScheduleError, ScheduleGuard, Window, parse_windows, validate_windows
from .thermal import (
    InvalidThermalPolicy,
    ThermalGuard,
    ThermalPolicy,
    ThermalState,
    ThermalStatus,
    is_gddr6x,
)

__all__ = [
    "Action",
    "ActivityGuard",
    "ActivityObservation",
    "ActivityPolicy",
    "Arbiter",
    "InvalidThermalPolicy",
    "ScheduleError",
    "ScheduleGuard",
    "ThermalGuard",
    "ThermalPolicy",
    "ThermalState",
    "ThermalStatus",
    "Window",
    "is_gddr6x",
    "parse_windows",
    "user_decision",
    "validate_windows",
]
