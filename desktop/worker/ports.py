"""The shapes the worker expects of the components wired into it later.

The service is a composition root with optional parts: jobs, networks and earnings arrive
from other modules. Each part is reached through one of these small async
protocols returning JSON-ready dicts, so wiring a component is an adapter of a few lines
(``WorkerService(..., jobs=JobsAdapter(job_service))``) and the API routes never change.
A part that is not wired makes its routes answer 503 ``unavailable``.

Errors: raise ``desktop.ipc.protocol.ApiError`` with a stable code (``not_found``,
``conflict``, ``invalid_request`` or a job-spec refusal code) and a sentence for people.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from desktop.model import GpuSample


class JobsPort(Protocol):
    async def list_jobs(self, limit: int, state: str | None) -> list[dict[str, Any]]:
        """JobRecord JSON objects, newest first."""
        ...

    async def get_job(self, job_id: str) -> dict[str, Any]:
        """``{job: JobRecord, logs_tail: str}``; ApiError(not_found) when unknown."""
        ...

    async def submit(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Start a job from a spec; returns the JobRecord JSON (ApiError 422 on refusal)."""
        ...

    async def stop(self, job_id: str) -> dict[str, Any]:
        """Stop a job; returns its JobRecord JSON."""
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

    def summary(self) -> list[dict[str, Any]]:
        """The short form for status: ``[{network, display_name, state, paused, message}]``."""
        ...

    async def enroll(self, network: str, credentials: dict[str, Any]) -> dict[str, Any]:
        """``{status, action_required?}``."""
        ...

    async def act(self, network: str, action: str) -> dict[str, Any]:
        """``action`` is pause, resume or remove; returns ``{status}``."""
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
