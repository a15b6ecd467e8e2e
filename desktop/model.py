"""The shared vocabulary: frozen dataclasses every layer passes around.

Stdlib only, so that the worker, the GUI, the CLI and the tests all speak the same
types without pulling each other's dependencies in. Each type has ``to_json()`` for the
local API and a ``from_json()`` where the client needs to rebuild it.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# Every container RigPilot starts (jobs, network agents) carries this label set to "1"; the
# reaper, the guard and the network agents find their containers by it.
MANAGED_LABEL = "io.rigpilot.managed"
MANAGED_SELECTOR = f"{MANAGED_LABEL}=1"

# --- NVML clock-event reason bits (nvml.h, nvmlClocksEventReason*) -------------------

REASON_GPU_IDLE = 0x1
REASON_APP_CLOCKS = 0x2
REASON_SW_POWER_CAP = 0x4
REASON_HW_SLOWDOWN = 0x8
REASON_SYNC_BOOST = 0x10
REASON_SW_THERMAL = 0x20
REASON_HW_THERMAL = 0x40
REASON_HW_POWER_BRAKE = 0x80

THERMAL_REASON_BITS = REASON_SW_THERMAL | REASON_HW_THERMAL | REASON_HW_SLOWDOWN


def _jsonable(value: Any) -> Any:
    """Turn dataclasses, enums and Decimals into plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def to_json(value: Any) -> Any:
    """Public helper: the JSON form of any model value."""
    return _jsonable(value)


# --- Setup checks --------------------------------------------------------------------


class CheckStatus(enum.StrEnum):
    """Outcome of one setup check."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    """One doctor check: what was found, and the plain fix when it is not right.

    Attributes:
        id: stable identifier, e.g. ``driver``, ``docker.engine``.
        title: short human name ("NVIDIA driver").
        status: pass / warn / fail / skip.
        summary: one sentence of what was found.
        fix: what the user should do, in plain words (empty when nothing to do).
        details: raw facts (versions, raw text of a garbled output) for --json and bug reports.
    """

    id: str
    title: str
    status: CheckStatus
    summary: str
    fix: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckResult:
        return cls(
            id=data["id"],
            title=data.get("title", data["id"]),
            status=CheckStatus(data["status"]),
            summary=data.get("summary", ""),
            fix=data.get("fix", ""),
            details=dict(data.get("details") or {}),
        )


# --- GPU telemetry -------------------------------------------------------------------


@dataclass(frozen=True)
class PowerLimits:
    """Power limits in watts; None where the driver does not say."""

    min_w: float | None
    max_w: float | None
    default_w: float | None
    enforced_w: float | None


@dataclass(frozen=True)
class ThermalThresholds:
    """NVML temperature thresholds in °C; None where unsupported."""

    max_operating_c: float | None
    slowdown_c: float | None
    shutdown_c: float | None
    memory_max_c: float | None


@dataclass(frozen=True)
class GpuInfo:
    """Static facts about one GPU, read once."""

    index: int
    uuid: str
    name: str
    vram_total_mib: int
    driver_version: str
    cuda_version: str | None
    power: PowerLimits
    thresholds: ThermalThresholds
    simulated: bool = False

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GpuInfo:
        return cls(
            index=int(data["index"]),
            uuid=data["uuid"],
            name=data["name"],
            vram_total_mib=int(data["vram_total_mib"]),
            driver_version=data.get("driver_version", ""),
            cuda_version=data.get("cuda_version"),
            power=PowerLimits(**data["power"]),
            thresholds=ThermalThresholds(**data["thresholds"]),
            simulated=bool(data.get("simulated", False)),
        )


@dataclass(frozen=True)
class GpuSample:
    """One reading of one GPU. Optional fields are None when the card does not report them.

    Units are in the names: °C, W, J (energy since driver load), %, MiB, MHz.
    """

    ts: float
    gpu_index: int
    uuid: str
    core_temp_c: float | None
    mem_temp_c: float | None
    power_w: float | None
    energy_j: float | None
    gpu_util_pct: float | None
    mem_util_pct: float | None
    vram_used_mib: float | None
    vram_total_mib: float | None
    fan_pct: float | None
    sm_clock_mhz: float | None
    mem_clock_mhz: float | None
    clock_event_reasons: int
    pstate: int | None
    power_limit_w: float | None

    @property
    def thermal_bits(self) -> int:
        return self.clock_event_reasons & THERMAL_REASON_BITS

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GpuSample:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


# --- Money ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    """An amount in a network's unit, with its USD value when a rate is known."""

    amount: Decimal
    unit: str
    usd: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Money:
        usd = data.get("usd")
        amount = Decimal(str(data["amount"]))
        return cls(amount, data["unit"], None if usd is None else Decimal(str(usd)))


# --- Guards --------------------------------------------------------------------------


class GuardAction(enum.StrEnum):
    """What a guard wants done to the GPU's work, least to most drastic."""

    RUN = "run"
    THROTTLE = "throttle"  # lower the power limit (or duty-cycle without the privilege)
    PAUSE = "pause"  # freeze / pause the work; resumes by itself later
    STOP = "stop"  # stop the work and free VRAM (games); resumes by itself later
    STOP_FOR_DAY = "stop_for_day"  # repeated trips: no automatic resume until tomorrow
    EMERGENCY = "emergency"  # kill the job; no automatic resume


ACTION_SEVERITY = {a: i for i, a in enumerate(GuardAction)}


@dataclass(frozen=True)
class GuardDecision:
    """A guard's verdict for one GPU, with a reason a person can read."""

    gpu_index: int
    action: GuardAction
    reason: str
    source: str  # "thermal", "activity", "schedule", "user", "arbiter"
    ts: float
    power_limit_w: float | None = None
    duty_cycle: float | None = None  # fraction of time allowed to run, when duty-cycling

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)



class HoldKind(enum.StrEnum):
    """Why a GPU's work is held back; each kind has one owner that sets and lifts it."""

    USER = "user"  # the user's pause (all work, one GPU or one network); lifted by resume
    SCHEDULE = "schedule"  # outside the user's cheap-power windows; lifted by the schedule
    GAME = "game"  # a game or another program uses the GPU; lifted after a quiet period
    THERMAL = "thermal"  # heat (pause, stop for the day); lifted when the card is cool
    EMERGENCY = "emergency"  # near shutdown, GPU lost, sensors failed; lifted by the user


HOLD_SEVERITY = {
    HoldKind.EMERGENCY: 4,
    HoldKind.THERMAL: 3,
    HoldKind.USER: 2,
    HoldKind.GAME: 1,
    HoldKind.SCHEDULE: 0,
}


@dataclass(frozen=True)
class Hold:
    """One reason work is held back, as data: who holds it, why, since and until when.

    A GPU runs work only when no hold covers it. Guard holds (schedule, game, thermal,
    emergency) cover one GPU; a user hold covers all work (``scope`` "all"), one GPU
    ("gpu", with ``gpu``) or one network ("network", with ``network``).

    Attributes:
        kind: who holds the work back (and so who lifts the hold).
        action: what the hold does to the work: PAUSE (freeze), STOP (free the VRAM: a
            game), STOP_FOR_DAY or EMERGENCY (kill at once, no automatic resume).
        reason: a sentence a person understands.
        since: when it began (the worker's clock).
        until: when it ends by itself, or None.
    """

    kind: HoldKind
    action: GuardAction
    reason: str
    since: float
    until: float | None = None
    scope: str = "gpu"
    gpu: int | None = None
    network: str | None = None

    def covers_gpu(self, index: int) -> bool:
        return self.scope == "all" or (self.scope == "gpu" and self.gpu == index)

    def covers_network(self, network: str) -> bool:
        return self.scope == "all" or (self.scope == "network" and self.network == network)

    @property
    def severity(self) -> tuple[int, int]:
        """Sort key: the most drastic action first, then the kind that outranks."""
        return (ACTION_SEVERITY[self.action], HOLD_SEVERITY[self.kind])

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


class GpuState(enum.StrEnum):
    """The one word every view uses for a GPU (the header, cards, tray, CLI, metrics)."""

    WORKING = "working"  # a job, or its owner's agent, is busy on it
    WAITING = "waiting"  # a network may use it; no work right now
    PAUSED = "paused"  # a hold covers it (the first hold says which and why)
    EMERGENCY = "emergency"  # stopped for safety; work comes back when the user resumes
    UNUSED = "unused"  # no network may use it (none enrolled, or every one is paused)
    LOST = "lost"  # the GPU stopped answering


# --- Events --------------------------------------------------------------------------


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Event:
    """Something that happened, for the ledger, the API, the status strip and notifications.

    ``kind`` is a stable dotted name: ``guard.pause``, ``guard.emergency``, ``sensor.failure``,
    ``job.finished``, ``network.enrolled``, ``worker.started``, ``user.pause`` ...
    """

    ts: float
    kind: str
    severity: Severity
    message: str
    gpu_index: int | None = None
    network: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    seq: int = 0  # assigned by the worker's event bus, increasing

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        return cls(
            ts=float(data["ts"]),
            kind=data["kind"],
            severity=Severity(data["severity"]),
            message=data["message"],
            gpu_index=data.get("gpu_index"),
            network=data.get("network"),
            data=dict(data.get("data") or {}),
            seq=int(data.get("seq", 0)),
        )


# --- Jobs ----------------------------------------------------------------------------


class JobState(enum.StrEnum):
    QUEUED = "queued"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.STOPPED, JobState.INTERRUPTED)


class ExitReason(enum.StrEnum):
    EXITED = "exited"  # the process ended by itself; see exit_code
    OOM = "oom"
    DEADLINE = "deadline"
    GUARD = "guard"  # stopped by a guard (heat, game, schedule)
    USER = "user"
    INTERRUPTED = "interrupted"  # the worker died while it ran
    ERROR = "error"  # could not start (image missing, engine error)


@dataclass(frozen=True)
class JobRecord:
    """A job as the ledger and the API know it."""

    job_id: str
    network: str
    image: str
    state: JobState
    gpu_uuid: str | None
    created_ts: float
    started_ts: float | None = None
    ended_ts: float | None = None
    exit_code: int | None = None
    exit_reason: ExitReason | None = None
    message: str = ""
    pay: Money | None = None  # what the job earned (None until credited)

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobRecord:
        pay = data.get("pay")
        reason = data.get("exit_reason")
        return cls(
            job_id=data["job_id"],
            network=data["network"],
            image=data["image"],
            state=JobState(data["state"]),
            gpu_uuid=data.get("gpu_uuid"),
            created_ts=float(data["created_ts"]),
            started_ts=data.get("started_ts"),
            ended_ts=data.get("ended_ts"),
            exit_code=data.get("exit_code"),
            exit_reason=None if reason is None else ExitReason(reason),
            message=data.get("message", ""),
            pay=None if pay is None else Money.from_json(pay),
        )


# --- Networks ------------------------------------------------------------------------


class NodeState(enum.StrEnum):
    """The common state set every network adapter maps its native state onto."""

    NOT_INSTALLED = "not_installed"
    NOT_ENROLLED = "not_enrolled"
    PENDING_APPROVAL = "pending_approval"
    OFFLINE = "offline"
    STARTING = "starting"
    BENCHMARKING = "benchmarking"
    IDLE = "idle"
    BUSY = "busy"
    PAUSED = "paused"
    STOPPING = "stopping"
    BLOCKED = "blocked"
    ERROR = "error"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class NetworkStatus:
    """A network's state as the worker's supervisor last saw it."""

    network: str
    display_name: str
    state: NodeState
    native_state: str
    enrolled: bool
    paused: bool
    as_of: float
    message: str = ""
    next_step: str = ""  # what the user must still do, in plain words

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass(frozen=True)
class NetworkPenalties:
    """How a network punishes what the guards might do; the arbiter picks the least costly action.

    Attributes:
        pause_voids_job_pay: interrupting a running job forfeits its pay (io.net, the demo network).
        can_pause: the network's work can be frozen and resumed; otherwise pause means stop.
        power_limit_penalised: a lowered power limit marks the node degraded (Salad).
        max_idle_gpu_util_pct: the node is punished if our own use of the GPU exceeds this
            while it is idle for the network (io.net 20 %, 5 % on 4090/5090); None = no rule.
    """

    pause_voids_job_pay: bool = False
    can_pause: bool = True
    power_limit_penalised: bool = False
    max_idle_gpu_util_pct: float | None = None

    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)
