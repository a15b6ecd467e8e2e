"""Every endpoint of the local API, declared once.

Each ``Endpoint`` says its method and path, the type of its request (the query of a GET,
the body otherwise; fields named in the path come from the path), the type of its answer,
the ``Controller`` method that serves it, and its errors. From this table:

- ``desktop.ipc.server`` builds the routes (decode and validate, call, encode);
- ``desktop.ipc.client.WorkerClient.call`` sends a typed request and decodes the answer;
- ``desktop.ipc.docs`` writes docs/api.md (a test fails when the file is stale);
- a test checks that ``desktop.ipc.controller.Controller`` has one method per endpoint
  with exactly these types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from desktop.ipc import schema as s
from desktop.ipc import schema_data as d
from desktop.ipc import schema_fleet as f
from desktop.ipc import schema_money as m
from desktop.ipc import schema_networks as n

Q = TypeVar("Q")
A = TypeVar("A", bound=s.Answer)
_PATH_FIELD = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Endpoint(Generic[Q, A]):
    """One API endpoint (see the module docstring).

    Attributes:
        name: the ``Controller`` method that serves it.
        request: the query (GET) or body type; ``NoRequest`` when it takes none.
        status: the HTTP status of success; 202 replaces it when ``answer.accepted``
            says the change goes on in the background.
        errors: the error codes it may answer with (besides the gate's own).
        read_timeout_s: how long a client waits for the answer (a long poll adds its
            ``wait``).
    """

    name: str
    method: str
    path: str
    request: type[Q]
    answer: type[A]
    summary: str
    errors: tuple[str, ...] = ()
    status: int = 200
    read_timeout_s: float = 5.0

    @property
    def path_fields(self) -> tuple[str, ...]:
        return tuple(_PATH_FIELD.findall(self.path))

    @property
    def takes_nothing(self) -> bool:
        return self.request is d.NoRequest

    @property
    def in_query(self) -> bool:
        """GET requests travel in the query string; the others in a JSON body."""
        return self.method == "GET"

    @property
    def may_accept(self) -> bool:
        """The answer may say "accepted, going on in the background" (HTTP 202)."""
        return isinstance(getattr(self.answer, "accepted", None), property)


class Caller(Protocol):
    """Anything that makes typed calls: ``desktop.ipc.client.WorkerClient``, a test fake."""

    def call(self, endpoint: Endpoint[Q, A], request: Q | None = None) -> A: ...


BAD = ("invalid_request",)
STATUS: Endpoint[d.NoRequest, s.StatusAnswer] = Endpoint(
    "status", "GET", "/status", d.NoRequest, s.StatusAnswer,
    "The rig as one snapshot: every GPU's state, holds, owner, power and heat; the "
    "user's pauses; the networks in short; today's money.",
)  # fmt: skip
GPUS: Endpoint[d.NoRequest, d.GpusAnswer] = Endpoint(
    "gpus", "GET", "/gpus", d.NoRequest, d.GpusAnswer,
    "The static facts of every GPU (read once), or why there is none.",
)  # fmt: skip
TELEMETRY: Endpoint[d.TelemetryQuery, d.TelemetryAnswer] = Endpoint(
    "telemetry", "GET", "/telemetry", d.TelemetryQuery, d.TelemetryAnswer,
    "Recent readings for the charts: since a time, or over a range.",
    (*BAD, "not_found"),
)  # fmt: skip
TELEMETRY_LATEST: Endpoint[d.NoRequest, d.LatestAnswer] = Endpoint(
    "telemetry_latest", "GET", "/telemetry/latest", d.NoRequest, d.LatestAnswer,
    "The newest sample of every GPU.",
)  # fmt: skip
EVENTS: Endpoint[d.EventsQuery, d.EventsAnswer] = Endpoint(
    "events", "GET", "/events", d.EventsQuery, d.EventsAnswer,
    "What happened, oldest first; with `wait` a long poll that answers on news.",
    BAD, read_timeout_s=5.0,
)  # fmt: skip
PAUSE: Endpoint[s.PauseRequest, s.HoldsAnswer] = Endpoint(
    "pause", "POST", "/pause", s.PauseRequest, s.HoldsAnswer,
    "Pause all work, one GPU or one network, until resumed or until a time; kept "
    "across worker restarts.",
    (*BAD, "not_found"),
)  # fmt: skip
RESUME: Endpoint[s.ResumeRequest, s.HoldsAnswer] = Endpoint(
    "resume", "POST", "/resume", s.ResumeRequest, s.HoldsAnswer,
    "Lift the user's pause of a scope; the guards' holds (heat, games, schedule) stay.",
    (*BAD, "not_found", "conflict"),
)  # fmt: skip
SETTINGS: Endpoint[d.NoRequest, d.SettingsAnswer] = Endpoint(
    "settings", "GET", "/settings", d.NoRequest, d.SettingsAnswer,
    "Every setting, what each accepts, and the warnings of the last load.",
    ("unavailable",),
)  # fmt: skip
PATCH_SETTINGS: Endpoint[d.SettingsChanges, d.SettingsPatched] = Endpoint(
    "patch_settings", "PATCH", "/settings", d.SettingsChanges, d.SettingsPatched,
    "Change settings; the change is validated whole and refused whole, naming the "
    "setting and its allowed range.",
    ("invalid_setting", "unavailable"),
)  # fmt: skip
NETWORKS: Endpoint[d.NoRequest, n.NetworksAnswer] = Endpoint(
    "networks", "GET", "/networks", d.NoRequest, n.NetworksAnswer,
    "Every network in full: state, what enrolling asks, requirements, money, reputation.",
    ("unavailable",), read_timeout_s=15.0,
)  # fmt: skip
NETWORK: Endpoint[n.NetworkRef, n.NetworkAnswer] = Endpoint(
    "network", "GET", "/networks/{network}", n.NetworkRef, n.NetworkAnswer,
    "One network in full.",
    (*BAD, "not_found", "unavailable"), read_timeout_s=15.0,
)  # fmt: skip
ENROLL: Endpoint[n.EnrollRequest, n.NetworkChange] = Endpoint(
    "enroll", "POST", "/networks/{network}/enroll", n.EnrollRequest, n.NetworkChange,
    "Enroll with a network (secrets go to the OS keyring); 202 with an operation when "
    "it goes on in the background.",
    (*BAD, "not_found", "unavailable"), read_timeout_s=60.0,
)  # fmt: skip
REMOVE: Endpoint[n.NetworkRef, n.NetworkChange] = Endpoint(
    "remove", "POST", "/networks/{network}/remove", n.NetworkRef, n.NetworkChange,
    "Stop a network and forget its enrollment and keyring secrets (not its history); "
    "202 with an operation while it stops.",
    (*BAD, "not_found", "conflict", "unavailable"), read_timeout_s=60.0,
)  # fmt: skip
OPERATION: Endpoint[n.OperationRef, n.OperationAnswer] = Endpoint(
    "operation", "GET", "/operations/{id}", n.OperationRef, n.OperationAnswer,
    "A long action's state (an enrollment, a removal, a graceful stop).",
    (*BAD, "not_found"),
)  # fmt: skip
JOBS: Endpoint[d.JobsQuery, d.JobsAnswer] = Endpoint(
    "jobs", "GET", "/jobs", d.JobsQuery, d.JobsAnswer,
    "Jobs: live ones first, then finished ones, newest first.",
    (*BAD, "unavailable"),
)  # fmt: skip
JOB: Endpoint[d.JobRef, d.JobAnswer] = Endpoint(
    "job", "GET", "/jobs/{job_id}", d.JobRef, d.JobAnswer,
    "One job (older runs' jobs from the ledger) with the end of its output.",
    (*BAD, "not_found", "unavailable"),
)  # fmt: skip
SUBMIT_JOB: Endpoint[d.JobSpecBody, d.JobAnswer] = Endpoint(
    "submit_job", "POST", "/jobs", d.JobSpecBody, d.JobAnswer,
    "Run a job spec (docs/jobs.md) in the hardened runner; a refused spec answers 422 "
    "with the refusal's own code.",
    (*BAD, "the refusal codes of docs/jobs.md", "unavailable"), status=201, read_timeout_s=30.0,
)  # fmt: skip
STOP_JOB: Endpoint[d.JobRef, d.JobAnswer] = Endpoint(
    "stop_job", "POST", "/jobs/{job_id}/stop", d.JobRef, d.JobAnswer,
    "Stop a job (it earns nothing); a finished job is answered as it is.",
    (*BAD, "not_found", "unavailable"), read_timeout_s=30.0,
)  # fmt: skip
EARNINGS: Endpoint[d.EarningsQuery, d.EarningsAnswer] = Endpoint(
    "earnings", "GET", "/earnings", d.EarningsQuery, d.EarningsAnswer,
    "Gross pay, electricity and net per local day and network, with totals.",
    (*BAD, "unavailable"), read_timeout_s=15.0,
)  # fmt: skip
EARNING_ROWS: Endpoint[m.EarningRowsQuery, m.EarningRowsAnswer] = Endpoint(
    "earning_rows", "GET", "/earnings/rows", m.EarningRowsQuery, m.EarningRowsAnswer,
    "Every earning of the period (native amount and unit, the rate kept with it, its worth "
    "when earned) and every day's electricity: the CSV export; the sums are the totals.",
    (*BAD, "unavailable"), read_timeout_s=30.0,
)  # fmt: skip
HISTORY: Endpoint[m.HistoryQuery, m.HistoryAnswer] = Endpoint(
    "history", "GET", "/history", m.HistoryQuery, m.HistoryAnswer,
    "Weeks and months of money per day and network, uptime and earning utilisation per "
    "day, and each network's reputation over time.",
    (*BAD, "unavailable"), read_timeout_s=30.0,
)  # fmt: skip
ROI: Endpoint[m.RoiQuery, m.RoiAnswer] = Endpoint(
    "roi", "GET", "/roi", m.RoiQuery, m.RoiAnswer,
    "Money earned net of electricity against the card's cost: the payback date at the "
    "recent rate, and with token prices 30 % lower and higher; the query is a \"what if\".",
    (*BAD, "unavailable"), read_timeout_s=30.0,
)  # fmt: skip
ESTIMATES: Endpoint[m.EstimatesQuery, m.EstimatesAnswer] = Endpoint(
    "estimates", "GET", "/estimates", m.EstimatesQuery, m.EstimatesAnswer,
    "Before enrolling: gross and net per day this card could earn on each network, as a "
    "range with its source and date (networks without data say so).",
    (*BAD, "unavailable"),
)  # fmt: skip
WEAR: Endpoint[d.NoRequest, m.WearAnswer] = Endpoint(
    "wear", "GET", "/wear", d.NoRequest, m.WearAnswer,
    "Each GPU's wear: hours above the soft limit, heat cycles, peak core and VRAM "
    "temperature, energy.",
    ("unavailable",),
)  # fmt: skip
LOGS: Endpoint[d.LogsQuery, d.LogsAnswer] = Endpoint(
    "logs", "GET", "/logs", d.LogsQuery, d.LogsAnswer,
    "The end of the worker's log.",
    BAD,
)  # fmt: skip
SHUTDOWN: Endpoint[d.NoRequest, d.ShutdownAnswer] = Endpoint(
    "shutdown", "POST", "/shutdown", d.NoRequest, d.ShutdownAnswer,
    "Begin a graceful stop (the answer is sent first).",
)  # fmt: skip
EXPORTER: Endpoint[d.NoRequest, f.ExporterAnswer] = Endpoint(
    "exporter", "GET", "/exporter", d.NoRequest, f.ExporterAnswer,
    "The Prometheus exporter: where it listens, whether it needs the token, its scrapes "
    "(docs/fleet.md).",
    ("unavailable",),
)  # fmt: skip
EXPORTER_TOKEN: Endpoint[f.TokenRequest, f.TokenAnswer] = Endpoint(
    "exporter_token", "POST", "/exporter/token", f.TokenRequest, f.TokenAnswer,
    "The exporter's bearer token (kept in the OS keyring), made when there is none or "
    "replaced with `rotate`.",
    (*BAD, "unavailable"),
)  # fmt: skip
ALERTS: Endpoint[d.NoRequest, f.AlertsAnswer] = Endpoint(
    "alerts", "GET", "/alerts", d.NoRequest, f.AlertsAnswer,
    "Where alerts go (ntfy, a webhook) and the last ones sent.",
    ("unavailable",),
)  # fmt: skip
SET_NTFY_TOPIC: Endpoint[f.TopicRequest, f.AlertsAnswer] = Endpoint(
    "set_ntfy_topic", "POST", "/alerts/ntfy", f.TopicRequest, f.AlertsAnswer,
    "Keep the ntfy topic in the OS keyring (null forgets it); it is never shown again.",
    (*BAD, "unavailable"),
)  # fmt: skip
TEST_ALERTS: Endpoint[d.NoRequest, f.AlertTestAnswer] = Endpoint(
    "test_alerts", "POST", "/alerts/test", d.NoRequest, f.AlertTestAnswer,
    "Send a test alert to every destination now, past the rate limit; answers what each "
    "said.",
    ("refused", "unavailable"), read_timeout_s=30.0,
)  # fmt: skip

ENDPOINTS: tuple[Endpoint[Any, Any], ...] = (
    STATUS, GPUS, TELEMETRY, TELEMETRY_LATEST, EVENTS, PAUSE, RESUME, SETTINGS,
    PATCH_SETTINGS, NETWORKS, NETWORK, ENROLL, REMOVE, OPERATION, JOBS, JOB, SUBMIT_JOB,
    STOP_JOB, EARNINGS, EARNING_ROWS, HISTORY, ROI, ESTIMATES, WEAR, LOGS, SHUTDOWN,
    EXPORTER, EXPORTER_TOKEN, ALERTS, SET_NTFY_TOPIC, TEST_ALERTS,
)  # fmt: skip
