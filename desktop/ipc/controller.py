"""What the API server needs from the worker: one typed method per endpoint.

The worker (``desktop.worker.service.WorkerService``) implements it. Each method gets the
request already decoded and validated (types, bounds, unknown fields, the rules in the
request's ``__post_init__`` and ``check``) and returns the answer Struct; the server
encodes it. A refusal is a domain error (``desktop.errors``: NotFound, Conflict,
Unavailable, Refused, InvalidSetting), which the server maps to its HTTP status; any
other exception is a 500 whose details go to the worker's log only.

The method names and types must match ``desktop.ipc.endpoints.ENDPOINTS`` (a test checks
it): an endpoint with ``NoRequest`` takes no argument.
"""

from __future__ import annotations

from typing import Protocol

from desktop.ipc.schema import HoldsAnswer, PauseRequest, ResumeRequest, StatusAnswer
from desktop.ipc.schema_data import (
    EarningsAnswer,
    EarningsQuery,
    EventsAnswer,
    EventsQuery,
    GpusAnswer,
    JobAnswer,
    JobRef,
    JobsAnswer,
    JobSpecBody,
    JobsQuery,
    LatestAnswer,
    LogsAnswer,
    LogsQuery,
    SettingsAnswer,
    SettingsChanges,
    SettingsPatched,
    ShutdownAnswer,
    TelemetryAnswer,
    TelemetryQuery,
)
from desktop.ipc.schema_fleet import (
    AlertsAnswer,
    AlertTestAnswer,
    ExporterAnswer,
    TokenAnswer,
    TokenRequest,
    TopicRequest,
)
from desktop.ipc.schema_money import (
    EarningRowsAnswer,
    EarningRowsQuery,
    EstimatesAnswer,
    EstimatesQuery,
    HistoryAnswer,
    HistoryQuery,
    RoiAnswer,
    RoiQuery,
    WearAnswer,
)
from desktop.ipc.schema_networks import (
    EnrollRequest,
    NetworkAnswer,
    NetworkChange,
    NetworkRef,
    NetworksAnswer,
    OperationAnswer,
    OperationRef,
)


class Controller(Protocol):
    """The worker as the local API sees it (see the module docstring)."""

    async def status(self) -> StatusAnswer:
        """The rig as one snapshot; answered from memory (the app polls it every 2 s)."""
        ...

    async def gpus(self) -> GpusAnswer: ...

    async def telemetry(self, query: TelemetryQuery) -> TelemetryAnswer:
        """NotFound for a GPU index the worker does not have."""
        ...

    async def telemetry_latest(self) -> LatestAnswer: ...

    async def events(self, query: EventsQuery) -> EventsAnswer:
        """With ``query.wait`` > 0, answer as soon as an event newer than ``since`` comes."""
        ...

    async def pause(self, request: PauseRequest) -> HoldsAnswer:
        """Add (or replace) the user's hold of a scope; NotFound for an unknown GPU or
        network."""
        ...

    async def resume(self, request: ResumeRequest) -> HoldsAnswer:
        """Lift the user's hold of a scope; Conflict when a wider user hold still covers
        it (resume one GPU while all work is paused)."""
        ...

    async def settings(self) -> SettingsAnswer: ...

    async def patch_settings(self, changes: SettingsChanges) -> SettingsPatched:
        """InvalidSetting (field, allowed) when refused; nothing changes then."""
        ...

    async def networks(self) -> NetworksAnswer: ...

    async def network(self, request: NetworkRef) -> NetworkAnswer: ...

    async def enroll(self, request: EnrollRequest) -> NetworkChange:
        """Refused (with the credential field) when the network refuses; a long enrollment
        returns at once with a running ``operation``."""
        ...

    async def remove(self, request: NetworkRef) -> NetworkChange:
        """Conflict when the network is not enrolled; a long stop returns at once with a
        running ``operation``."""
        ...

    async def operation(self, request: OperationRef) -> OperationAnswer: ...

    async def jobs(self, query: JobsQuery) -> JobsAnswer: ...

    async def job(self, request: JobRef) -> JobAnswer: ...

    async def submit_job(self, spec: JobSpecBody) -> JobAnswer:
        """Refused with the spec's own refusal code (docs/jobs.md) and field; Unavailable
        when no runner can run it."""
        ...

    async def stop_job(self, request: JobRef) -> JobAnswer: ...

    async def earnings(self, query: EarningsQuery) -> EarningsAnswer: ...

    async def earning_rows(self, query: EarningRowsQuery) -> EarningRowsAnswer: ...

    async def history(self, query: HistoryQuery) -> HistoryAnswer: ...

    async def roi(self, query: RoiQuery) -> RoiAnswer: ...

    async def estimates(self, query: EstimatesQuery) -> EstimatesAnswer: ...

    async def wear(self) -> WearAnswer: ...

    async def logs(self, query: LogsQuery) -> LogsAnswer: ...

    async def shutdown(self) -> ShutdownAnswer:
        """Begin a graceful stop once this answer is on its way."""
        ...

    async def exporter(self) -> ExporterAnswer: ...

    async def exporter_token(self, request: TokenRequest) -> TokenAnswer:
        """Unavailable (with how to get one) when there is no safe keyring."""
        ...

    async def alerts(self) -> AlertsAnswer: ...

    async def set_ntfy_topic(self, request: TopicRequest) -> AlertsAnswer:
        """Unavailable (with how to get one) when there is no safe keyring."""
        ...

    async def test_alerts(self) -> AlertTestAnswer:
        """Refused when no destination is set (the message says how to set one)."""
        ...
