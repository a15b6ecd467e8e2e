"""The local API's contract for everything but status and networks: GPUs, telemetry, events,
settings, jobs, earnings, logs, shutdown, and the error body.

Queries (``GET``) are Structs too: the server converts the query string into them, so a
``limit`` of "ten" or an unknown parameter is refused with a 422 naming it, exactly like
a bad body. Bounds live in the types (``msgspec.Meta``), so the docs show them.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from desktop.ipc.schema import (
    Answer,
    EarningsTotals,
    GpuIndex,
    GpuProblem,
    MoneyFigures,
    RequestProblem,
)
from desktop.model import Event, GpuInfo, GpuSample, JobRecord, JobState

MAX_EVENT_WAIT_S = 25.0


class NoRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An endpoint that takes neither a query nor a body."""


class ErrorAnswer(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """Every error answer (4xx, 5xx), with the ``protocol`` field added.

    Attributes:
        code: a stable code; clients branch on it, never on the message.
        message: a sentence a person understands, naming the problem and the fix.
        field: the request field (or query parameter, or "body") at fault.
        allowed: what that field accepts (the choices, a range), when it helps.
    """

    code: str
    message: str
    field: str | None = None
    allowed: Any = None


# --- GPUs and telemetry ---------------------------------------------------------------


class GpusAnswer(Answer, kw_only=True, frozen=True):
    """``GET /gpus``: the static facts of every GPU, or why there is none."""

    gpus: list[GpuInfo]
    gpu_error: GpuProblem | None


class TelemetryRange(enum.StrEnum):
    MINUTES_10 = "10m"
    HOUR_1 = "1h"
    HOURS_24 = "24h"
    DAYS_7 = "7d"


RANGE_SECONDS = {
    TelemetryRange.MINUTES_10: 600.0,
    TelemetryRange.HOUR_1: 3600.0,
    TelemetryRange.HOURS_24: 86400.0,
    TelemetryRange.DAYS_7: 7 * 86400.0,
}


class Resolution(enum.StrEnum):
    RAW = "raw"
    MINUTE = "1m"
    HOUR = "1h"


class TelemetrySource(enum.StrEnum):
    MEMORY = "memory"
    LEDGER = "ledger"


class TelemetryQuery(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``GET /telemetry``: one GPU's (or every GPU's) recent readings.

    Attributes:
        gpu: one GPU; none = all of them.
        since: points strictly newer than this time (seconds since the epoch).
        range: the last 10 min (every sample), 1 h or 24 h (1-minute means) or 7 d
            (hourly means). Give ``since`` or ``range``; neither = the last 60 s.
    """

    gpu: GpuIndex | None = None
    since: Annotated[float, msgspec.Meta(ge=0, le=1e11)] | None = None
    range: TelemetryRange | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.range is not None:
            raise RequestProblem("range", "give either 'since' or 'range', not both")


class TelemetryPoint(msgspec.Struct, kw_only=True, frozen=True):
    """One chart point: a sample, or a bucket's means (rollups add the peak and count).

    Attributes:
        ts: the sample's time, or the bucket's start.
        energy_j: the card's energy counter (the bucket's last value).
        core_temp_max_c: the bucket's hottest core reading (rollups only).
        samples: how many samples the bucket holds (rollups only).
    """

    ts: float
    gpu_index: int
    core_temp_c: float | None
    mem_temp_c: float | None
    power_w: float | None
    power_limit_w: float | None
    gpu_util_pct: float | None
    fan_pct: float | None
    energy_j: float | None
    core_temp_max_c: float | None = None
    samples: int | None = None


class TelemetryAnswer(Answer, kw_only=True, frozen=True):
    """``GET /telemetry``: points oldest first, and where they come from.

    Attributes:
        source: memory (about 2 h per GPU) or the ledger's rollups (longer ranges, or a
            ``since`` older than memory holds).
    """

    gpu: int | None
    resolution: Resolution
    points: list[TelemetryPoint]
    source: TelemetrySource


class LatestAnswer(Answer, kw_only=True, frozen=True):
    """``GET /telemetry/latest``: the newest sample of every GPU."""

    samples: list[GpuSample]


# --- events ---------------------------------------------------------------------------


class EventsQuery(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``GET /events``: events newer than ``since``; with ``wait`` a long poll.

    Attributes:
        since: the last ``seq`` the client has (0 = from the oldest held).
        wait: seconds to wait for news when there is none yet (0 = answer at once).
        limit: at most this many events, the oldest first.
    """

    since: Annotated[int, msgspec.Meta(ge=0, le=2**62)] = 0
    wait: Annotated[float, msgspec.Meta(ge=0, le=MAX_EVENT_WAIT_S)] = 0.0
    limit: Annotated[int, msgspec.Meta(ge=1, le=5000)] = 500


class EventsAnswer(Answer, kw_only=True, frozen=True):
    """``GET /events``: the events, oldest first, and the newest ``seq`` of the worker."""

    events: list[Event]
    last_seq: int


# The ``data`` of the events clients read (the events table of docs/api.md has the rest);
# ``desktop.ipc.codec.event_data`` decodes an event's data into one of these.


class EarnedData(msgspec.Struct, kw_only=True, frozen=True):
    """``network.earned``: a payment, in the network's unit and in USD when priced."""

    job_id: str
    amount: Decimal
    unit: str
    usd: Decimal | None = None


class GuardData(msgspec.Struct, kw_only=True, frozen=True):
    """``guard.<action>``: what the guard did and on whose behalf."""

    action: str
    source: str
    target: str | None = None
    power_limit_w: float | None = None
    duty_cycle: float | None = None


class FixData(msgspec.Struct, kw_only=True, frozen=True):
    """Errors that come with what to do (``worker.*``, ``network.enroll_failed``)."""

    fix: str = ""
    next_step: str = ""


# --- settings -------------------------------------------------------------------------


class SettingSpec(msgspec.Struct, kw_only=True, frozen=True):
    """What one setting accepts, for the app's forms and ``rigpilot settings schema``.

    Attributes:
        type: number, boolean, string, list[string] or list[window].
        allowed: the rule in words ("a number from 55 to 100 °C").
    """

    type: str
    default: Any
    min: float | None
    max: float | None
    choices: list[str] | None
    nullable: bool
    unit: str
    help: str
    allowed: str


class SettingsAnswer(Answer, kw_only=True, frozen=True):
    """``GET /settings``: every setting's value (all keys, always), its schema, and the
    warnings of the last load (a damaged file replaced by the previous copy...)."""

    settings: dict[str, Any]
    schema: dict[str, SettingSpec]
    warnings: list[str]


# ``PATCH /settings``: ``{"key.name": value, ...}``, validated whole by the worker.
SettingsChanges = dict[str, Any]


class SettingsPatched(Answer, kw_only=True, frozen=True):
    """``PATCH /settings``: the settings now, and the keys whose value changed."""

    settings: dict[str, Any]
    applied: list[str]


# --- jobs -----------------------------------------------------------------------------


class JobsQuery(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``GET /jobs``: live jobs first, then finished ones (this run's and the ledger's),
    newest first."""

    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 50
    state: JobState | None = None


class JobsAnswer(Answer, kw_only=True, frozen=True):
    jobs: list[JobRecord]


class JobRef(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A job named in the path (``/jobs/{job_id}``)."""

    job_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class JobAnswer(Answer, kw_only=True, frozen=True):
    """One job; ``logs_tail`` is the end of its output (``GET /jobs/{job_id}`` only)."""

    job: JobRecord
    logs_tail: str = ""


# ``POST /jobs``: a job spec (docs/jobs.md), validated by the job service, which refuses
# a bad one with its own stable code (422) naming the field.
JobSpecBody = dict[str, Any]


# --- earnings -------------------------------------------------------------------------


class EarningsQuery(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``GET /earnings``: the last ``days`` local days."""

    days: Annotated[int, msgspec.Meta(ge=1, le=3660)] = 7


class EarningsDay(MoneyFigures, kw_only=True, frozen=True):
    """One local day of one network that earned or ran (its money figures, and more).

    ``electricity`` is (GPU energy over the network's running periods + the overhead
    watts × running hours) × the price, in the user's currency.
    """

    date: str
    network: str
    practice: bool = False


class Tariff(msgspec.Struct, kw_only=True, frozen=True):
    """The electricity price in force (settings ``electricity.*``), in the user's currency."""

    price_per_kwh: Decimal
    system_overhead_w: Decimal
    currency: str


class RateInfo(msgspec.Struct, kw_only=True, frozen=True):
    """What one unit is worth in the user's currency now, and how fresh that is.

    Attributes:
        rate: None when no rate is known (its pay then stays in its own unit).
        source: api (the price API), manual (the user's rate, which wins), same.
        stale: the price API's last answer is older than 30 minutes (offline?).
    """

    unit: str
    currency: str
    rate: Decimal | None
    ts: float | None
    age_s: float | None
    source: str | None
    stale: bool


class EarningsAnswer(Answer, kw_only=True, frozen=True):
    """``GET /earnings``: money is a decimal string on the wire (6 places)."""

    days: list[EarningsDay]
    totals: EarningsTotals
    tariff: Tariff
    rates: list[RateInfo] = []
    since: float = 0.0


# --- logs and shutdown ----------------------------------------------------------------


class LogsQuery(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    tail: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 200


class LogsAnswer(Answer, kw_only=True, frozen=True):
    """``GET /logs``: the end of the worker's log file (none when it logs nowhere)."""

    lines: list[str]
    file: str | None


class ShutdownAnswer(Answer, kw_only=True, frozen=True):
    """``POST /shutdown``: the graceful stop has begun."""

    stopping: bool
