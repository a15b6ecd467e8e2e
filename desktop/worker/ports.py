"""The shapes the worker expects of the components wired into it later.

The service is a composition root with optional parts: jobs, networks, earnings and the
guard arrive from other modules. Each part is reached through one of these small async
protocols, so wiring a component is an adapter of a few lines
(``WorkerService(..., jobs=JobsAdapter(job_service))``) and the API routes never change.
A part that is not wired makes its routes answer 503 ``unavailable``.

Errors: raise a ``desktop.errors`` domain error (``NotFound``, ``Conflict``, ``Refused``
with a job-spec refusal code, ``Unavailable``) with a sentence for people.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from desktop.model import GpuSample, GuardDecision, JobRecord, JobState


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

    def running_by_gpu(self) -> dict[str, int]:
        """Jobs in the RUNNING state per GPU UUID, "" for jobs without a GPU (a paused job
        does not count)."""
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
        """``{status, action_required?}``."""
        ...

    async def act(self, network: str, action: str) -> dict[str, Any]:
        """``action`` is resume or remove; returns ``{status}``."""
        ...


class EarningsPort(Protocol):
    async def earnings(self, days: int) -> dict[str, Any]:
        """``{days: [{date, network, gross_usd, energy_kwh, electricity_cost, net_usd,
        unit_amounts}], totals}``."""
        ...

    async def today(self) -> dict[str, Any] | None:
        """Today's summary for status (``{gross_usd, net_usd, ...}``), None if unknown."""
        ...


class GuardPort(Protocol):
    def decision(self, gpu_index: int) -> GuardDecision | None:
        """The guard's current verdict for a GPU, None before the first one."""
        ...

    def state(self, gpu_index: int) -> str:
        """A short word for the guard's state ("ok", "cooling", "throttled", ...)."""
        ...

    def status(self, gpu_index: int) -> dict[str, Any]:
        """The guard's state for the API: action, reason, source, state, limits, and
        whether the card reports its VRAM temperature."""
        ...

    def extra_validators(self) -> list[Callable[[Any], Iterable[tuple[str, str, str]]]]:
        """Card-specific settings rules for ``SettingsStore.patch`` (e.g. a pause limit
        above the card's slowdown temperature is refused)."""
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


class Closable(Protocol):
    async def close(self) -> None: ...


class Lifecycle(Protocol):
    """A part with a life of its own (a loop, a thread, an open file): the service starts
    them in list order once the event bus runs, and closes them in reverse order."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


# Called on the event loop with every sample the monitor keeps (the guard, the ledger).
# It must not block: hand blocking work to a thread or a queue.
SampleListener = Callable[[GpuSample], None]


class PauseView(Protocol):
    """What a pause hook reads of the user's pauses (desktop.worker.pause.PauseState)."""

    @property
    def all_paused(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...


# Applies the user's pauses to the work after every change (pause, resume, expiry).
PauseHook = Callable[[PauseView], Awaitable[None]]
