"""The shapes the worker expects of the components wired into it later.

The service is a composition root with optional parts: jobs, networks and earnings arrive
from other modules. Each part is reached through one of these small async
protocols, so wiring a component is an adapter of a few lines
(``WorkerService(..., jobs=JobsAdapter(job_service))``) and the API routes never change.
A part that is not wired makes its routes answer 503 ``unavailable``.

Errors: raise a ``desktop.errors`` domain error (``NotFound``, ``Conflict``, ``Refused``
with a job-spec refusal code, ``Unavailable``) with a sentence for people.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from desktop.model import GpuSample, JobRecord, JobState


class JobsPort(Protocol):
    async def list_jobs(self, limit: int, state: JobState | None) -> list[JobRecord]:
        """Live jobs first, then finished ones, newest first."""
        ...

    async def get_job(self, job_id: str) -> tuple[JobRecord, str]:
        """The job and the end of its output; NotFound when unknown."""
        ...

    async def submit(self, spec: dict[str, Any]) -> JobRecord:
        """Start a job from a spec (Refused with the spec's refusal code)."""
        ...

    async def stop(self, job_id: str) -> JobRecord:
        """Stop a job; returns its record."""
        ...

    def running_count(self) -> int: ...

    def jobs_on(self, gpu_index: int) -> int:
        """Live jobs (running or frozen) on this GPU."""
        ...


class NetworksPort(Protocol):
    async def list_networks(self) -> list[dict[str, Any]]:
        """Every network: NetworkStatus + capabilities, credential fields, requirements,
        earnings_today, earnings_total, reputation."""
        ...

    async def network_status(self, network: str) -> dict[str, Any]:
        """One network's record (as in ``list_networks``); not_found when unknown."""
        ...

    def summary(self) -> list[dict[str, Any]]:
        """The short form for status: ``[{network, display_name, state, paused, message}]``."""
        ...

    async def enroll(self, network: str, credentials: dict[str, Any]) -> dict[str, Any]:
        """``{status, action_required, operation}``."""
        ...

    async def act(self, network: str, action: str) -> dict[str, Any]:
        """``action`` is remove; returns ``{status, operation}``."""
        ...

    def operation(self, op_id: str) -> Any:
        """A long action by id (``desktop.ipc.schema.Operation``); not_found when none."""
        ...


class EarningsPort(Protocol):
    async def earnings(self, days: int) -> dict[str, Any]:
        """``{days: [{date, network, gross_usd, energy_kwh, electricity_cost, net_usd,
        unit_amounts}], totals}``."""
        ...

    async def today(self) -> dict[str, Any] | None:
        """Today's summary for status (``{gross_usd, net_usd, ...}``), None if unknown."""
        ...


class TelemetrySource(Protocol):
    """Long telemetry ranges (the ledger's rollups); memory serves short ones."""

    async def window(self, gpu: int | None, range_: str, now: float) -> dict[str, Any]:
        """``{resolution, points, source}`` for the range ending at ``now``."""
        ...

    async def since(self, gpu: int | None, since: float, now: float) -> dict[str, Any]:
        """``{resolution, points, source}`` after ``since``: asked for when memory no
        longer holds that far back (a long-running worker, or one that restarted)."""
        ...


class Lifecycle(Protocol):
    """A part with a life of its own (a loop, a thread, an open file): the service starts
    them in list order once the event bus runs, and closes them in reverse order."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


# Called on the event loop with every sample the monitor keeps (the guard, the ledger).
# It must not block: hand blocking work to a thread or a queue.
SampleListener = Callable[[GpuSample], None]
