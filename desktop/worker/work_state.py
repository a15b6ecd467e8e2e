"""What the reconciler last did to each GPU's work, and the steps it takes: plain data.

Why apart from the reconciler: this is the *actual* side of the controller (the work level
applied to a GPU, the arbiter's order per network, the duty cycle's phase), kept next to
the small pure rules that turn an order into the next level. The *desired* side is the
record's holds (user_holds.py and the guards); nothing here is a pause of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from desktop.model import Event, HoldKind
from desktop.worker.ownership import GpuClaim

LOCAL = "local"  # the network key of work no adapter declared (jobs run by hand)
SEVERITY = {"run": 0, "duty_cycle": 1, "pause": 2, "stop": 3, "kill": 4}
WORK_OFF = ("pause", "rest", "stop", "kill")  # levels at which our work is off the card
LOUD_HOLDS = ("pause", "stop", "kill")  # held with a job event: a rest changes nothing


@dataclass
class NetState:
    """What the arbiter last ordered for one network's work on one GPU."""

    kind: str = "run"
    duty: float | None = None
    reason: str = "No guard is holding GPU work back."
    source: str = "arbiter"

    @property
    def severity(self) -> int:
        return SEVERITY[self.kind]


@dataclass
class GpuWork:
    """The actual state of one GPU's work, as the reconciler drives it.

    Attributes:
        nets: the arbiter's last order per network on this GPU.
        applied: the job level last applied: run, rest (a duty cycle's quiet pause),
            pause, stop or kill.
        level: the arbiter's level (a duty_cycle is sliced into run and rest).
        running: the networks with a job of ours on the GPU, as last looked.
        networks: the networks whose work may run on the GPU, as last looked.
        since: when each guard hold began (kind, action) → time, for the record.
        power_failed_w: a limit the card refused (not tried again).
        claim: who owns the GPU, and since when each network has had no work on it.
    """

    nets: dict[str, NetState] = field(default_factory=dict)
    applied: str = "run"
    level: str = "run"
    duty_since: float = 0.0
    running: dict[str, bool] = field(default_factory=dict)
    networks: set[str] = field(default_factory=set)  # whose work may run here (last look)
    since: dict[tuple[HoldKind, str], float] = field(default_factory=dict)
    power_failed_w: float | None = None
    claim: GpuClaim = field(default_factory=GpuClaim)
    busy: bool = False  # work ran on it at the last round (a job, or the owner agent busy)

    @property
    def owner(self) -> str | None:
        """The network that owns the GPU (ownership.py), as of the last round."""
        return self.claim.owner

    @property
    def work_runs(self) -> bool:
        return self.applied == "run" or self.level == "duty_cycle"

    @property
    def jobs_here(self) -> bool:
        return any(self.running.values())

    def next_level(self, state: NetState, duty_period_s: float, now: float) -> tuple[str, str]:
        """The job level for the arbiter's order; a duty cycle starts with a rest.

        A duty cycle's rest is "rest", not "pause": the work is frozen and thawed quietly
        (no job event per cycle), since the arbiter's duty_cycle event says why.
        """
        if state.kind != "duty_cycle":
            self.level = state.kind
            return state.kind, state.reason
        if self.level != "duty_cycle":
            self.duty_since = now
        self.level = "duty_cycle"
        off_s = duty_period_s * (1.0 - (state.duty or 1.0))
        if (now - self.duty_since) % duty_period_s < off_s:
            return "rest", f"{state.reason} (resting {off_s:.0f} s of every {duty_period_s:.0f} s)"
        return "run", state.reason

    def hold_since(self, key: tuple[HoldKind, str], now: float) -> float:
        return self.since.setdefault(key, now)


@dataclass
class Op:
    """One step the reconciler takes outside its lock: an event to announce, a call to make.

    ``power`` marks a power-limit call (a refusal switches the GPU to duty-cycling).
    """

    what: str
    call: Callable[[], object] | None
    gpu: int | None = None
    power: float | None = None
    event: Event | None = None  # announced just before the call
