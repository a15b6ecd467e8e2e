"""io.net's idle-GPU rule, end to end and timed: a game on a GPU io.net owns stops io.net's
containers on the real engine, before the game's own use of the GPU passes io.net's limit.

Everything is the worker's own machinery at its default pace: the sampler reading every
2 s, the control loop probing processes every 2 s, the reconciler, the network supervisor
and the io.net adapter with its stand-in launch binary and stand-in images
(test_ionet_containers.py). Only the card is simulated: a "warm" RTX 3080, on which io.net
allows other programs 20 %. The other program's use of the card follows a model (below),
and the moment it passes 20 % is recorded when the model sets it. io.net's containers are
watched from outside, with ``docker inspect``, every 20 ms.

io.net does not say over what window it measures the use; RigPilot's aim is that its
containers are gone before the other program's use passes the limit. A game spends its
first seconds loading (the model: 3 s, then a climb to 95 % over 5 s); a program that uses
the GPU the moment it starts is above the limit from that moment, and the second test
measures how long io.net's containers still run then (the exposure).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from desktop.guard.activity_probe import probe_processes
from desktop.hardware.gpu import GpuProcess
from desktop.hardware.sampler import Sampler
from desktop.hardware.simulated import SimulatedBackend
from desktop.ledger import Ledger
from desktop.model import Event
from desktop.networks.ionet import IonetAdapter
from desktop.networks.records import HostFacts
from desktop.networks.spec import NetworkSpec
from desktop.secrets import SecretStore
from desktop.settings import Settings
from desktop.worker.actuators import BackendCard, JobServiceActuator
from desktop.worker.control_loop import ControlLoop, Probes
from desktop.worker.supervisor import Supervisor
from desktop.worker.user_holds import UserHolds
from tests.integration.test_ionet_containers import (  # noqa: F401 - fixtures
    docker_client,
    io_containers,
    make_adapter,
    run_label,
)
from tests.unit.networks.conftest import MemoryKeyring

pytestmark = pytest.mark.docker

FACTS = HostFacts("linux", False, 32.0, 200.0, True, True, ("NVIDIA GeForce RTX 3080",))
RULE_PCT = 20.0  # io.net: others may use at most 20 % of a consumer RTX card
QUIET_S = 3.0
LOAD_S, RAMP_S, PEAK = 3.0, 5.0, 0.95  # the game model: loading, then the climb
EXPOSURE_BUDGET_S = 5.0  # issue 6: a program on the GPU stops work within 5 s


@dataclass
class World:
    backend: SimulatedBackend
    adapter: IonetAdapter
    supervisor: Supervisor
    loop: ControlLoop
    events: list[Event]
    client: Any
    run: str

    def ionet_running(self) -> bool:
        return any(c["State"]["Running"] for c in io_containers(self.client, self.run))

    def stop_event(self) -> Event:
        """The supervisor's "stopped at once" event (emitted once the stop returned)."""
        self.until(lambda: any(e.kind == "network.stopped" for e in self.events), 5.0)
        return next(e for e in self.events if e.kind == "network.stopped")

    def until(self, check: Callable[[], bool], timeout_s: float) -> float:
        """Seconds until ``check()`` (fails after ``timeout_s``)."""
        begin = time.monotonic()
        while not check():
            assert time.monotonic() - begin < timeout_s, f"not within {timeout_s} s"
            time.sleep(0.02)
        return time.monotonic() - begin


@pytest.fixture
def world(docker_client: Any, run_label: str, tmp_path: Path) -> Iterator[World]:  # noqa: F811
    backend = SimulatedBackend(["warm"])
    adapter = make_adapter(tmp_path, run_label)
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    events: list[Event] = []
    spec = NetworkSpec("ionet", "io.net", "", frozenset({"linux"}), lambda ctx: adapter)
    sup = Supervisor([spec], {"ionet": adapter}, ledger, SecretStore(backend=MemoryKeyring()),
                     events.append, facts=lambda: FACTS)  # fmt: skip
    creds = {"launch_binary": str(adapter.command.binary) if adapter.command else "",
             "device_id": "599ef4af-7fe6-44b5-aba3-25899bde2ab6",
             "device_name": "rig pilot test", "token": "refresh-token-abc"}  # fmt: skip
    asyncio.run(sup.enroll("ionet", creds))
    settle(sup)
    assert adapter.penalties().max_idle_gpu_util_pct == RULE_PCT
    settings = Settings({"gaming.quiet_period_s": QUIET_S})
    probes = Probes(processes=probe_processes, fullscreen=lambda: None, idle_seconds=lambda: None)
    loop = ControlLoop(backend.devices(), settings.get, UserHolds(None, backend.clock),
                       JobServiceActuator(None), BackendCard(backend), events.append,
                       backend.clock, False, agents=sup, probes=probes)  # fmt: skip
    sampler = Sampler(backend, 2.0, on_sample=loop.on_sample, clock=backend.clock)
    loop.start()
    sampler.start()
    w = World(backend, adapter, sup, loop, events, docker_client, run_label)
    w.until(w.ionet_running, 30.0)
    time.sleep(3.0)  # calm readings and a routine process list before anything happens
    yield w
    sampler.stop()
    loop.restore()
    asyncio.run(sup.close(5.0))
    ledger.close()


def settle(sup: Supervisor, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    for op in sup.operations.unfinished():
        sup.operations.wait(op.id, max(0.0, deadline - time.monotonic()))


class ForeignUse:
    """Another program's use of the simulated card: it shows in the process list and its
    load climbs linearly; ``crossed_at`` is when the load set first passed the rule."""

    def __init__(self, backend: SimulatedBackend, pid: int, name: str) -> None:
        self.backend, self.pid, self.name = backend, pid, name
        self.crossed_at: float | None = None
        self._stop = threading.Event()

    def run(self, start: float, load_s: float, ramp_s: float) -> None:
        def climb() -> None:
            if self._stop.wait(load_s):
                return
            self.backend.add_process(0, GpuProcess(self.pid, 1500.0, self.name))
            began = time.monotonic()
            while not self._stop.is_set():
                share = PEAK * min(1.0, (time.monotonic() - began) / ramp_s) if ramp_s else PEAK
                self.backend.set_load(0, share)
                if share * 100 > RULE_PCT and self.crossed_at is None:
                    self.crossed_at = time.monotonic() - start
                self._stop.wait(0.02)

        threading.Thread(target=climb, name="foreign-use", daemon=True).start()

    def end(self) -> None:
        self._stop.set()
        self.backend.set_load(0, 0.0)
        self.backend.remove_process(0, self.pid)


@pytest.fixture
def game(tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        exe = tmp_path / "cs2"  # on the default list of games
        sleep = shutil.which("sleep")
        assert sleep is not None
        shutil.copy(sleep, exe)
        proc = subprocess.Popen([str(exe), "300"])
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def test_a_game_stops_ionets_containers_before_its_use_passes_the_limit(
    world: World, game: Callable[[], subprocess.Popen[bytes]]
) -> None:
    start = time.monotonic()
    proc = game()
    use = ForeignUse(world.backend, proc.pid, "cs2")
    use.run(start, LOAD_S, RAMP_S)
    stopped = world.until(lambda: not world.ionet_running(), 15.0)
    world.until(lambda: use.crossed_at is not None, 15.0)
    assert use.crossed_at is not None
    print(
        f"\nio.net's containers gone {stopped:.2f} s after the game started; its use passed "
        f"{RULE_PCT:.0f} % at {use.crossed_at:.2f} s (loading {LOAD_S:.0f} s, then a climb "
        f"to {PEAK * 100:.0f} % over {RAMP_S:.0f} s)"
    )
    assert stopped < use.crossed_at
    stop = world.stop_event()
    assert "cs2 is running" in stop.message and "stopped at once" in stop.message
    # the game ends: after the quiet period io.net's worker is started again
    use.end()
    proc.kill()
    proc.wait()
    back = world.until(world.ionet_running, QUIET_S + 30.0)
    print(f"io.net's containers running again {back:.2f} s after the game ended")
    assert back >= QUIET_S - 2.0  # not before the quiet period (2 s: the probe's round)


def test_a_program_using_the_gpu_at_once_is_met_within_the_budget(world: World) -> None:
    start = time.monotonic()
    use = ForeignUse(world.backend, 31337, "blender")
    use.run(start, 0.0, 0.0)  # no loading: above the limit the moment it starts
    exposure = world.until(lambda: not world.ionet_running(), 15.0)
    print(
        f"\na program at {PEAK * 100:.0f} % from its start: io.net's containers ran "
        f"{exposure:.2f} s more (its use passed {RULE_PCT:.0f} % at "
        f"{use.crossed_at or 0.0:.2f} s)"
    )
    assert exposure < EXPOSURE_BUDGET_S
    stop = world.stop_event()
    assert "blender (pid 31337) is using the GPU" in stop.message
    use.end()
