"""The local API's typed contract: one declaration per request and answer (protocol 3).

Why msgspec: the server validates every request body and query against these types, the
client decodes every answer into them, and docs/api.md is generated from them, so the
three cannot drift apart. msgspec decodes and validates in one pass, is small, and keeps
the worker light (pydantic would add several MB of resident memory for the same job).
The vocabulary of desktop/model.py (frozen dataclasses) is used as it is: msgspec encodes
and decodes dataclasses, enums and Decimals natively.

This module is the *shape* of the answers; the worker builds them (desktop/worker) and
the clients read them (desktop/cli, desktop/ui). It holds no behaviour.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Annotated

import msgspec

from desktop.model import GpuInfo, GpuSample, GpuState, Hold, NodeState

PROTOCOL_VERSION = 3
MAX_PAUSE_S = 366 * 86400.0
MAX_REASON_CHARS = 200
# Matched whole and in ASCII (as desktop/jobs/validate.NETWORK_RE): "\Z", not "$", which
# would let a trailing newline through.
NETWORK_ID = r"\A[a-z0-9][a-z0-9_-]{0,31}\Z"

NetworkId = Annotated[str, msgspec.Meta(pattern=NETWORK_ID, description="a network id")]
GpuIndex = Annotated[int, msgspec.Meta(ge=0, le=63, description="a GPU index")]


class RequestProblem(ValueError):
    """A request that is well typed but inconsistent ("scope 'gpu' needs 'gpu'").

    Raised from a request's ``__post_init__`` (msgspec then reports it as a validation
    error, and the server finds ``field`` on it), so a client cannot even build such a
    request, and the worker refuses it with a 422 naming the field.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Mode(enum.StrEnum):
    DEMO = "demo"
    SIMULATED = "simulated"
    NVML = "nvml"


class Answer(msgspec.Struct, kw_only=True, frozen=True):
    """Base of every answer body (the server adds ``protocol``)."""


# --- per GPU ------------------------------------------------------------------------


class ThermalLimits(msgspec.Struct, kw_only=True, frozen=True):
    """The limits in force on this card (the card's own when the settings say "Auto")."""

    soft_c: float
    pause_c: float
    resume_c: float
    emergency_c: float
    mem_pause_c: float | None = None


class ThermalView(msgspec.Struct, kw_only=True, frozen=True):
    """The thermal guard of one GPU: its state, why, and the readings it acts on."""

    state: str  # ok, throttled, paused, stopped_for_day, emergency
    reason: str
    core_c: float | None
    mem_c: float | None
    recent_pauses: int
    vram_temperature_reported: bool
    limits: ThermalLimits


class PowerView(msgspec.Struct, kw_only=True, frozen=True):
    """The power limit of one GPU and who set it.

    Attributes:
        limit_w: the limit on the card now (from the last reading).
        user_w: the user's own limit, which RigPilot puts back when it lets go.
        cap_w: the limit RigPilot holds the card at now (heat, the start-up hold or the
            user's cap for work), None while the user's own applies.
        duty_cycle: the share of time work may run while cooling by short pauses.
    """

    limit_w: float | None
    user_w: float | None
    cap_w: float | None
    duty_cycle: float | None = None


class GpuStatus(msgspec.Struct, kw_only=True, frozen=True):
    """One GPU as every view shows it: a snapshot of its record plus its current reading.

    Attributes:
        sample: the GPU's current reading; None before the first one, and once readings
            stop (the GPU was lost, its reads keep failing, or the latest is older than
            three sampling periods): the telemetry keeps the last one, with its time.
        degraded: its readings are slow (a call over 250 ms), failing, gone or stale.
        state: the one word for the GPU (see ``desktop.model.GpuState``).
        owner: the network that holds the GPU (its work runs there), "local" for jobs run
            by hand, or None.
        holds: every hold in force on this GPU, the one that decides first.
        work: what the worker last did to the GPU's work: run, rest (a duty cycle's
            pause), pause, stop or kill.
        jobs_running: jobs of RigPilot's job service on this GPU.
    """

    index: int
    info: GpuInfo
    sample: GpuSample | None
    degraded: bool
    state: GpuState
    owner: str | None
    holds: list[Hold]
    work: str
    jobs_running: int
    power: PowerView
    thermal: ThermalView | None


class GpuProblem(msgspec.Struct, kw_only=True, frozen=True):
    """Why the worker runs without GPUs (no driver, no NVML, no card), with the fix."""

    code: str
    cause: str
    fix: str


# --- long actions ---------------------------------------------------------------------


class OperationState(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Operation(msgspec.Struct, kw_only=True, frozen=True):
    """A long action (a graceful stop, an enrollment that pulls an image) in progress.

    The request that starts one answers at once (202) with it; progress and the result
    arrive as ``operation.progress`` and ``operation.finished`` events (``data.operation``
    is the id), and ``GET /operations/{id}`` answers its state.
    """

    id: str
    kind: str
    network: str | None
    state: OperationState
    message: str
    started_ts: float
    ended_ts: float | None = None


# --- networks, in short (status) ------------------------------------------------------


class NetworkBrief(msgspec.Struct, kw_only=True, frozen=True):
    """A network as status shows it (from memory; ``GET /networks`` has the full record).

    Attributes:
        held: the user's hold on this network (its own pause, or a pause of all work).
        gpus: the GPUs this network owns now.
        operation: a long action on this network still running.
    """

    network: str
    display_name: str
    state: NodeState
    enrolled: bool
    held: Hold | None
    gpus: list[int]
    message: str
    next_step: str
    operation: Operation | None = None


# --- status -------------------------------------------------------------------------


class Components(msgspec.Struct, kw_only=True, frozen=True):
    jobs: bool
    networks: bool
    earnings: bool
    guard: bool
    settings: bool


class WorkerProblem(msgspec.Struct, kw_only=True, frozen=True):
    """Something the worker cannot do right now, for the user to fix (a full disk...)."""

    code: str
    message: str
    fix: str = ""
    since: float | None = None


class MoneyFigures(msgspec.Struct, kw_only=True, frozen=True):
    """Pay, electricity and net over a period, in one currency (decimal strings on the wire).

    Attributes:
        currency: the user's currency (setting ``electricity.currency``), or "practice $"
            for the practice network's play money, which no real total includes.
        gross: pay valued when it was earned (the rate of that time).
        gross_now: the same pay at today's rates; None when a unit has no rate today.
        electricity: (GPU kWh + overhead) × the price, in the currency.
        net: gross − electricity.
        unit_amounts: what was paid, in each unit.
        unpriced: pay no rate could value, in its own unit (never counted as 0).
    """

    currency: str
    gross: Decimal
    gross_now: Decimal | None = None
    electricity: Decimal
    net: Decimal
    energy_kwh: Decimal
    running_hours: Decimal = Decimal(0)
    unit_amounts: dict[str, Decimal] = {}
    unpriced: dict[str, Decimal] = {}


class EarningsTotals(MoneyFigures, kw_only=True, frozen=True):
    """Real money summed (practice apart), per network in its own currency, and practice."""

    networks: dict[str, MoneyFigures] = {}
    practice: MoneyFigures | None = None


class StatusAnswer(Answer, kw_only=True, frozen=True):
    """``GET /status``: the rig as one snapshot, so that no two views can disagree.

    Attributes:
        now: the worker's clock when it answered; ages and "until" times are against it.
        user_holds: the user's pauses in force (all work, GPUs, networks).
        problems: what the worker cannot do now (e.g. the disk is full), with the fix.
    """

    version: str
    pid: int
    mode: Mode
    now: float
    started_ts: float
    uptime_s: float
    user_holds: list[Hold]
    gpus: list[GpuStatus]
    gpu_error: GpuProblem | None
    networks: list[NetworkBrief]
    jobs_running: int | None
    earnings_today: EarningsTotals | None
    sampling_interval_s: float
    settings_warnings: list[str]
    last_event_seq: int
    components: Components
    problems: list[WorkerProblem] = []


# --- pause and resume ------------------------------------------------------------------


class PauseScope(enum.StrEnum):
    ALL = "all"
    GPU = "gpu"
    NETWORK = "network"


class PauseRequest(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``POST /pause``: the user's pause of all work, one GPU or one network.

    The one way to pause; it is kept across worker restarts until resumed or ``until_ts``.
    Pausing a scope again replaces its reason and end.

    Attributes:
        scope: what to pause: all work, one GPU or one network.
        gpu: the GPU index, with scope "gpu" only.
        network: the network id, with scope "network" only.
        until_ts: when the pause ends by itself (seconds since the epoch, in the future
            and at most a year away); none = until resumed.
        reason: a note shown with the pause ("gaming").
    """

    scope: PauseScope = PauseScope.ALL
    gpu: GpuIndex | None = None
    network: NetworkId | None = None
    until_ts: Annotated[float, msgspec.Meta(gt=0, le=1e11)] | None = None
    reason: Annotated[str, msgspec.Meta(max_length=MAX_REASON_CHARS)] = ""

    def __post_init__(self) -> None:
        check_scope(self.scope, self.gpu, self.network)

    def check(self, now: float) -> None:
        """The rules that depend on the time: the end is in the future, within a year."""
        if self.until_ts is None:
            return
        if self.until_ts <= now:
            raise RequestProblem("until_ts", "until_ts is in the past; give a time in the future")
        if self.until_ts - now > MAX_PAUSE_S:
            raise RequestProblem("until_ts", "a timed pause can last at most a year")


class ResumeRequest(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``POST /resume``: lift the user's pause of a scope (``all`` lifts every user pause,
    and acknowledges an emergency or a stop for the day). Other holds stay.

    Attributes:
        scope: what to resume: all work, one GPU or one network.
        gpu: the GPU index, with scope "gpu" only.
        network: the network id, with scope "network" only.
    """

    scope: PauseScope = PauseScope.ALL
    gpu: GpuIndex | None = None
    network: NetworkId | None = None

    def __post_init__(self) -> None:
        check_scope(self.scope, self.gpu, self.network)


def check_scope(scope: PauseScope, gpu: int | None, network: str | None) -> None:
    """A GPU index goes with scope "gpu" only, a network id with scope "network" only."""
    if scope == PauseScope.GPU and gpu is None:
        raise RequestProblem("gpu", "scope 'gpu' needs 'gpu': the GPU index (0, 1, ...)")
    if scope == PauseScope.NETWORK and network is None:
        raise RequestProblem("network", "scope 'network' needs 'network': the network id")
    if gpu is not None and scope != PauseScope.GPU:
        raise RequestProblem("gpu", f"'gpu' goes with scope 'gpu' only, not '{scope}'")
    if network is not None and scope != PauseScope.NETWORK:
        raise RequestProblem("network", f"'network' goes with scope 'network' only, not '{scope}'")


class HoldsAnswer(Answer, kw_only=True, frozen=True):
    """The answer of pause and resume: the user's holds now, and what still holds each GPU."""

    user_holds: list[Hold]
    gpus: dict[int, list[Hold]] = {}
