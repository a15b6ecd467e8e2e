"""The part of desktop.ledger.Ledger the supervisor uses (same names and arguments).

Why a protocol: the supervisor's collaborators are tested against the real ledger, and
this list says exactly which of its tables they write (enrollments, status history, pay,
energy periods), so a change there shows up in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from desktop.model import Money, NodeState


class SupervisorLedger(Protocol):
    def record_earning(
        self,
        idem_key: str,
        network: str,
        kind: str,
        money: Money,
        ts: float,
        job_id: str | None = None,
        usd_rate: Decimal | None = None,
    ) -> bool: ...
    def enroll_network(
        self, network: str, ts: float | None = None, config: Mapping[str, Any] | None = None
    ) -> None: ...
    def remove_network(self, network: str) -> bool: ...
    def enrollment(self, network: str) -> Any: ...
    def record_network_state(self, network: str, state: NodeState, ts: float) -> None: ...
    def uptime_pct(self, network: str, since: float, now: float | None = None) -> float | None: ...
    def earnings_by_day(self, days: int, tz: Any = None, now: float | None = None) -> list[Any]: ...
    def start_energy_period(
        self, gpu_uuid: str, network: str, ts: float, counter_j: float | None = None
    ) -> int: ...
    def energy_tick(
        self,
        period_id: int,
        ts: float,
        counter_j: float | None = None,
        power_w: float | None = None,
        *,
        close: bool = False,
    ) -> float: ...
    def end_energy_period(
        self,
        period_id: int,
        ts: float,
        counter_j: float | None = None,
        power_w: float | None = None,
    ) -> float: ...
    def close_open_energy_periods(self) -> int: ...
    def pay_hours(self, since: float, until: float) -> list[Any]: ...
    def energy_days(self, since: float, until: float, tz: Any = None) -> dict[Any, Any]: ...
    def latest_rates(self) -> list[Any]: ...
    def rate_history(self, since: float, until: float) -> list[Any]: ...
    def record_reputation(
        self, network: str, ts: float, score: float | None, uptime_pct: float | None
    ) -> bool: ...
