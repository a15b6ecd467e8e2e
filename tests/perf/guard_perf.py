"""Guard figures (issue 6): how fast a heat decision reaches a real container, and what the
guard costs the worker.

- ``pause_latency_s``: from the sample that trips the pause limit (handed to the guard loop
  as the worker's event loop does) to ``docker inspect`` showing the container paused,
  with the real Docker runner and job service (target < 1 s plus one sample period);
- ``emergency_stop_latency_s``: from the sample at the emergency limit to the container
  no longer running (SIGKILL, no grace period);
- ``on_sample_us``: what one sample costs the event loop (the thermal guard and a wake-up;
  everything else runs on the guard thread);
- ``tick_ms``: one activity round (psutil process names, the schedule, the arbiter);
- ``process_lists_per_10s_steady``: NVML process lists the guard takes per 10 s per GPU
  while nothing changes (issue 3: at most 1), and ``early_process_lists_per_program``, the
  extra lists one program starting on the GPU costs (early looks, at most one per 3 s);
- ``gpu_program_stop_s``: from a program starting on the GPU to our job stopped, on a
  scripted card read every 2 s (issue 6: within 5 s).

It needs the engine in DOCKER_HOST and the test image (tests/services.sh starts both);
``python tests/perf/guard_perf.py`` prints the figures.
"""

from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.hardware.gpu import GpuProcess
from desktop.hardware.simulated import SimulatedBackend
from desktop.jobs.docker_runner import DockerRunner, connect, reap
from desktop.jobs.runner import GpuSlot
from desktop.jobs.spec import HostLimits
from desktop.ledger import Ledger
from desktop.model import GpuSample, GuardAction
from desktop.settings import Settings
from desktop.worker.actuators import BackendCard, JobServiceActuator
from desktop.worker.control_loop import ControlLoop, Probes
from desktop.worker.jobs_service import JobService
from desktop.worker.user_holds import UserHolds

SAMPLE_PERIOD_S = 2.0
RUNS = 3
QUIET = Probes(lambda: set(), lambda: None, lambda: None)


def _sample(backend: SimulatedBackend, ts: float, core: float) -> GpuSample:
    """A reading of the simulated card with the core temperature the scenario needs."""
    real = backend.sample(0)
    return GpuSample(**{**real.to_json(), "ts": ts, "core_temp_c": core, "mem_temp_c": None})


def latency_to_container(
    client: Any,
    image: str,
    core: float,
    trips: GuardAction,
    reached: Callable[[dict[str, Any]], bool],
) -> float:
    """Seconds from the tripping sample to ``reached(docker inspect State)`` being true.

    A job runs in a real container on a simulated GPU slot; the guard loop runs with its
    thread, exactly as in the worker; samples at ``core`` °C arrive every 2 s (in
    simulated time) until one makes the guard decide ``trips``.
    """
    install = "gperf" + secrets.token_hex(4)
    labels = ["io.rigpilot.managed=1", f"io.rigpilot.install={install}"]
    backend = SimulatedBackend(["warm"])
    slots = [GpuSlot(i.index, i.uuid, simulated=True) for i in backend.devices()]
    with tempfile.TemporaryDirectory(prefix="rp-guard-perf-") as tmp:
        ledger = Ledger.open(Path(tmp) / "ledger.sqlite")
        runner = DockerRunner(
            client, install_id=install, lease_dir=Path(tmp), set_load=backend.set_load
        )
        jobs = JobService(runner, ledger, lambda: slots, lambda e: None,
                          allowed_images=lambda: [image], limits=HostLimits(2, 4096))  # fmt: skip
        guard = ControlLoop(backend.devices(), Settings().get, UserHolds(None, time.time),
                            JobServiceActuator(jobs), BackendCard(backend), lambda e: None,
                            time.time, True, probes=QUIET)  # fmt: skip
        jobs.admission = guard.admission
        try:
            spec = {"job_id": "hot", "image": image, "command": ["sleep", "60"], "gpus": 1,
                    "memory_mb": 32, "pids": 32, "scratch_mb": 8}  # fmt: skip
            record = jobs.submit(spec)
            [container] = client.containers.list(ignore_removed=True, filters={"label": labels})
            guard.start()
            ts = time.time()
            while True:
                tripped_at = time.perf_counter()
                guard.on_sample(_sample(backend, ts, core))
                decision = guard.guards[0].thermal_decision
                if decision.action is trips:
                    break
                ts += SAMPLE_PERIOD_S
            while not reached(client.api.inspect_container(container.id)["State"]):
                if time.perf_counter() - tripped_at > 30:
                    raise TimeoutError(f"job {record.job_id}: the container never got there")
            return time.perf_counter() - tripped_at
        finally:
            guard.restore()
            jobs.shutdown(timeout_s=0)
            reap(client, labels, stop_timeout_s=0)
            ledger.close()


def container_paused(state: dict[str, Any]) -> bool:
    return bool(state.get("Paused"))


def container_stopped(state: dict[str, Any]) -> bool:
    return not state.get("Running")


def on_sample_cost_us(n: int = 2000) -> float:
    backend = SimulatedBackend(["warm"])
    none = _NoActions()
    guard = ControlLoop(backend.devices(), Settings().get, UserHolds(None, time.time), none,
                        none, lambda e: None, time.time, True, agents=none,
                        probes=QUIET)  # fmt: skip
    samples = [_sample(backend, 1e9 + 2 * i, 60.0) for i in range(n)]
    start = time.perf_counter()
    for s in samples:  # no guard thread: this is only what the event loop pays
        guard.on_sample(s)
    return (time.perf_counter() - start) / n * 1e6


def tick_cost_ms(n: int = 20) -> float:
    backend = SimulatedBackend(["warm"])
    none = _NoActions()
    guard = ControlLoop(backend.devices(), Settings().get, UserHolds(None, backend.clock), none,
                        none, lambda e: None, backend.clock, True, agents=none,
                        inline=True)  # fmt: skip
    guard.on_sample(backend.sample(0))
    start = time.perf_counter()
    for _ in range(n):
        guard.tick()
    return (time.perf_counter() - start) / n * 1000


class _NoActions:
    """Hands that do nothing (the costs measured are the loop's own)."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        results: dict[str, Any] = {"penalties": {}, "job_running": {}, "our_pids": set(),
                                   "owners": [], "runs_own_agent": False,
                                   "working": set(), "agent_pids": set()}  # fmt: skip
        return lambda *args: results.get(name, [] if name == "gpu_processes" else None)


class _ScriptedCard(_NoActions):
    """GuardActions over a scripted card: our job (pid 11, 3 GiB, full load) until the
    guard stops it, and from ``program_at`` another program (2 GiB)."""

    def __init__(self, clock: Callable[[], float], program_at: float) -> None:
        self.clock, self.program_at = clock, program_at
        self.lists: list[float] = []  # when each process list was taken
        self.stopped_at: float | None = None

    @property
    def program(self) -> bool:
        return self.clock() >= self.program_at

    def gpu_processes(self, gpu: int) -> list[GpuProcess]:
        self.lists.append(self.clock())
        ours = [GpuProcess(11, 3072.0, "python")] if self.stopped_at is None else []
        return ours + ([GpuProcess(4242, 2048.0, "blender")] if self.program else [])

    def our_pids(self) -> set[int]:
        return {11}

    def job_running(self, gpu: int) -> dict[str, bool]:
        return {"local": True} if self.stopped_at is None else {}

    def stop(self, gpu: int | None, reason: str, *, at_once: bool = False) -> None:
        self.stopped_at = self.stopped_at or self.clock()

    def reading(self, backend: SimulatedBackend, ts: float) -> GpuSample:
        job = self.stopped_at is None
        vram = 900.0 + 3072.0 * job + 2048.0 * self.program
        util = 100.0 if job or self.program else 0.0
        return GpuSample(**{**_sample(backend, ts, 60.0).to_json(), "vram_used_mib": vram,
                            "gpu_util_pct": util})  # fmt: skip


def process_lists(program_at_s: float = 601.0, after_s: float = 120.0) -> dict[str, float]:
    """Scripted: a reading and a guard round every 2 s (simulated time, inline guard);
    ten steady minutes, then a program starts on the GPU (between two readings)."""
    backend = SimulatedBackend(["warm"])
    now = [1e9]
    card = _ScriptedCard(lambda: now[0], now[0] + program_at_s)
    guard = ControlLoop(backend.devices(), Settings().get, UserHolds(None, lambda: now[0]), card,
                        card, lambda e: None, lambda: now[0], True, agents=card, probes=QUIET,
                        inline=True)  # fmt: skip
    guard.start()
    start, early_before = now[0], 0
    while now[0] < card.program_at + after_s:
        now[0] += SAMPLE_PERIOD_S
        guard.on_sample(card.reading(backend, now[0]))
        guard.tick()
        if now[0] < card.program_at:
            early_before = guard.guards[0].looks.early  # noqa: SLF001 - the loop's own count
    warm_up = start + 20  # the first readings look before the first round knows our job
    steady = [t for t in card.lists if warm_up <= t < card.program_at]
    return {
        "steady": len(steady) / ((card.program_at - warm_up) / 10),
        "early": float(guard.guards[0].looks.early - early_before),  # noqa: SLF001
        "stop_s": (card.stopped_at or float("inf")) - card.program_at,
    }


def measure() -> dict[str, dict[str, Any]]:
    image = os.environ.get("RIGPILOT_TEST_IMAGE", "rigpilot-test/busybox:latest")
    client = connect()
    try:
        pause = [
            latency_to_container(client, image, 88.0, GuardAction.PAUSE, container_paused)
            for _ in range(RUNS)
        ]
        kill = [
            latency_to_container(client, image, 91.0, GuardAction.EMERGENCY, container_stopped)
            for _ in range(RUNS)
        ]
    finally:
        client.close()
    target = f"< 1 s (plus one {SAMPLE_PERIOD_S:g} s sample period)"
    return {
        "pause_latency_s": {"value": statistics.median(pause), "unit": "s", "target": target},
        "pause_latency_max_s": {"value": max(pause), "unit": "s", "target": "< 1"},
        "emergency_stop_latency_s": {
            "value": statistics.median(kill),
            "unit": "s",
            "target": "< 1",
        },  # fmt: skip
        "on_sample_us": {"value": on_sample_cost_us(), "unit": "µs", "target": "< 200"},
        "tick_ms": {"value": tick_cost_ms(), "unit": "ms", "target": "< 50"},
        **process_list_figures(),
    }


def process_list_figures() -> dict[str, dict[str, Any]]:
    """The process-list figures alone (no Docker needed)."""
    lists = process_lists()
    return {
        "process_lists_per_10s_steady": {
            "value": lists["steady"],
            "unit": "lists per 10 s per GPU",
            "target": "<= 1",
        },
        "early_process_lists_per_program": {
            "value": lists["early"],
            "unit": "extra lists",
            "target": "<= 2 (at most one per 3 s)",
        },
        "gpu_program_stop_s": {
            "value": lists["stop_s"],
            "unit": "s (2 s readings)",
            "target": "< 5",
        },
    }


if __name__ == "__main__":
    for name, figure in measure().items():
        print(f"{name:28s} {figure['value']:10.4f} {figure['unit']:4s} target {figure['target']}")
