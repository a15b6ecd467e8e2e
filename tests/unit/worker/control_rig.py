"""A control loop on a scripted clock with recording hands, shared by the worker tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.hardware.gpu import GpuProcess, PermissionRequired
from desktop.model import (
    Event,
    GpuInfo,
    GpuSample,
    HoldKind,
    NetworkPenalties,
    PowerLimits,
    ThermalThresholds,
)
from desktop.settings import Settings
from desktop.worker.control_loop import ControlLoop, Probes
from desktop.worker.reconciler import GpuRecord
from desktop.worker.user_holds import UserHolds

T0 = 1_700_000_000.0
# Max operating 93 / slowdown 95 / shutdown 98 °C: soft 80, pause 85, resume 70, emergency 90.
LIMITS = ThermalThresholds(93.0, 95.0, 98.0, None)
INFO = GpuInfo(0, "GPU-aaaa", "NVIDIA RTX test card", 8192, "550.54", "12.4",
               PowerLimits(100.0, 300.0, 250.0, 250.0), LIMITS)  # fmt: skip
DEMO = NetworkPenalties(pause_voids_job_pay=True)
NOPAUSE = NetworkPenalties(can_pause=False)


@dataclass
class FakeHands:
    """The job service, the card and the network agents, recording every call.

    A job of ``owner`` runs on GPU 0 until stopped; ``frozen`` says whether it is frozen.
    Call names: pause_gpu / rest_gpu (freeze), resume_gpu / wake_gpu (thaw), stop_gpu /
    kill_gpu, set_power_limit / restore_power_limit, pause_network / resume_network /
    stop_network_now.
    """

    owner: str | None = "local"
    pens: dict[str, NetworkPenalties] = field(default_factory=dict)
    own_agents: set[str] = field(default_factory=set)
    refuse_power: bool = False
    processes: list[GpuProcess] = field(default_factory=list)
    ours: set[int] = field(default_factory=set)
    agent_owned: set[int] = field(default_factory=set)  # pids of the networks' own agents
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    stop_reasons: list[str] = field(default_factory=list)
    lists: int = 0  # process lists fetched
    frozen: bool = False

    # JobActuator
    def freeze(self, gpu: int | None, reason: str, *, quiet: bool = False) -> None:
        if gpu is None:  # the jobs that use no GPU: none runs here
            self.calls.append(("pause_cpu",))
            return
        self.calls.append(("rest_gpu" if quiet else "pause_gpu", gpu))
        self.frozen = True

    def thaw(self, gpu: int | None, reason: str, *, quiet: bool = False) -> None:
        if gpu is None:
            self.calls.append(("resume_cpu",))
            return
        self.calls.append(("wake_gpu" if quiet else "resume_gpu", gpu))
        self.frozen = False

    def stop(self, gpu: int | None, reason: str, *, at_once: bool = False) -> None:
        self.calls.append(("kill_gpu" if at_once else "stop_gpu", gpu))
        if gpu is not None:
            self.owner = None

    def job_running(self, gpu: int) -> Mapping[str, bool]:
        return {self.owner: True} if self.owner else {}

    def our_pids(self) -> set[int]:
        return self.ours

    # CardActuator
    def set_power_limit(self, gpu: int, watts: float) -> None:
        if self.refuse_power:
            raise PermissionRequired("no_permission", "needs root", "run as root")
        self.calls.append(("set_power_limit", gpu, watts))

    def restore_power_limit(self, gpu: int, watts: float) -> None:
        self.calls.append(("restore_power_limit", gpu, watts))

    def gpu_processes(self, gpu: int) -> list[GpuProcess] | None:
        self.lists += 1
        return list(self.processes)

    # AgentControl
    def owners(self) -> list[str]:
        return list(self.pens)

    def runs_own_agent(self, network: str) -> bool:
        return network in self.own_agents

    def working(self) -> set[str]:
        return set()  # no agent of these reports busy work

    def penalties(self) -> Mapping[str, NetworkPenalties]:
        return self.pens

    def pause_agent(self, network: str, reason: str) -> None:
        self.calls.append(("pause_network", network))

    def resume_agent(self, network: str, reason: str) -> None:
        self.calls.append(("resume_network", network))

    def stop_agent_now(self, network: str, reason: str) -> None:
        self.calls.append(("stop_network_now", network))
        self.stop_reasons.append(reason)

    def agent_pids(self) -> set[int]:
        return self.agent_owned

    def kinds(self) -> list[str]:
        return [c[0] for c in self.calls]

    @property
    def work_runs(self) -> bool:
        return self.owner is not None and not self.frozen


class Rig:
    """A control loop in inline mode on a scripted clock."""

    def __init__(self, tmp: Path, hands: FakeHands | None = None, *, can_set: bool = True,
                 settings: Mapping[str, Any] | None = None, names: set[str] | None = None,
                 info: GpuInfo = INFO) -> None:  # fmt: skip
        self.t = T0
        self.tmp = tmp
        self.hands = hands or FakeHands()
        self.events: list[Event] = []
        self.settings = Settings(settings or {})
        self.names = names if names is not None else set()
        self.user = UserHolds(tmp / "user-holds.json", lambda: self.t)
        probes = Probes(lambda: set(self.names), lambda: None, lambda: None)
        self.loop = ControlLoop([info], lambda k: self.settings.get(k), self.user, self.hands,
                                self.hands, self.events.append, lambda: self.t, can_set,
                                agents=self.hands, data_dir=tmp, probes=probes,
                                inline=True)  # fmt: skip
        self.loop.start()

    def feed(self, core: float, n: int = 1, dt: float = 2.0, **kw: Any) -> None:
        for _ in range(n):
            self.t += dt
            self.loop.on_sample(sample(self.t, core, **kw))

    def tick(self, n: int = 1, dt: float = 2.0, core: float | None = 60.0) -> None:
        """Rounds, each after a reading at ``core`` (None: the sensor went quiet)."""
        for _ in range(n):
            self.t += dt
            if core is not None:
                self.loop.on_sample(sample(self.t, core))
            self.loop.tick(self.t)

    def pause(self, scope: str = "all", **kw: Any) -> None:
        self.user.pause(scope, **kw)
        self.loop.holds_changed()

    def resume(self, scope: str = "all", **kw: Any) -> None:
        self.user.resume(scope, **kw)
        gpus = [0] if scope in ("all", "gpu") else []
        self.loop.holds_changed(gpus)

    def record(self) -> GpuRecord:
        record = self.loop.record(0)
        assert record is not None
        return record

    def top(self) -> HoldKind | None:
        """The kind of the hold that keeps the GPU's work off, or None."""
        paused_by = self.record().paused_by
        return None if paused_by is None else paused_by.kind

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


def sample(ts: float, core: float, *, mem: float | None = None, bits: int = 0,
           fan: float = 60.0, power_limit: float = 250.0, vram: float = 4000.0,
           util: float = 100.0, gpu: int = 0) -> GpuSample:  # fmt: skip
    return GpuSample(ts, gpu, f"GPU-{gpu}", core, mem, 240.0, None, util, 50.0, vram, 8192.0,
                     fan, 1800.0, 7000.0, bits, 0, power_limit)  # fmt: skip
