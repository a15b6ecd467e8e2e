"""io.net on the real engine, for the tests and the perf harness: the stand-in launch
binary, the stand-in images, and a worker's guard machinery around the io.net adapter.

No registry and no io.net binary here: ``tests/stand_ins/io_net_launch_binary_linux`` is a
script that behaves as io.net documents its binary (the flags; two containers from
``ionetcontainers/io-worker-vc`` and ``ionetcontainers/io-worker-monitor`` with Docker's
random names; exit once they run), and the busybox test image is tagged under those
names. Each run labels its containers, so parallel runs on one engine never meet.

``World`` is the worker's own machinery at its default pace: the sampler reading every
2 s, the control loop probing processes every 2 s, the reconciler, the network supervisor
and the io.net adapter; only the card is simulated (a "warm" RTX 3080, on which io.net
allows other programs 20 %). ``ForeignUse`` is another program's use of that card.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.guard.activity_probe import probe_processes
from desktop.hardware.gpu import GpuProcess
from desktop.hardware.sampler import Sampler
from desktop.hardware.simulated import SimulatedBackend
from desktop.ledger import Ledger
from desktop.model import Event
from desktop.networks.ionet import IonetAdapter
from desktop.networks.ionet_api import ExplorerApi
from desktop.networks.ionet_containers import IoContainers
from desktop.networks.records import HostFacts
from desktop.networks.spec import NetworkSpec
from desktop.secrets import SecretStore
from desktop.settings import Settings
from desktop.worker.actuators import BackendCard, JobServiceActuator
from desktop.worker.control_loop import ControlLoop, Probes
from desktop.worker.supervisor import Supervisor
from desktop.worker.user_holds import UserHolds
from tests.fake_game import GAME_NAME, start_game
from tests.unit.networks.conftest import MemoryKeyring

FAKE_BINARY = Path(__file__).resolve().parents[1] / "stand_ins" / "io_net_launch_binary_linux"
IMAGES = ("ionetcontainers/io-worker-vc", "ionetcontainers/io-worker-monitor")
LOOP = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
DEVICE = "599ef4af-7fe6-44b5-aba3-25899bde2ab6"
FACTS = HostFacts("linux", False, 32.0, 200.0, True, True, ("NVIDIA GeForce RTX 3080",))
RULE_PCT = 20.0  # io.net: others may use at most 20 % of a consumer RTX card
PEAK = 0.95  # the other program's use at its height


def tag_stand_in_images(client: Any, test_image: str) -> None:
    image = client.images.get(test_image)
    for repo in IMAGES:
        image.tag(repo, "latest")


def remove_run(client: Any, run: str) -> None:
    """Every container of this run (io.net's and the bystanders)."""
    import docker.errors

    for found in client.api.containers(all=True, filters={"label": f"io.rigpilot.test={run}"}):
        try:
            client.api.remove_container(found["Id"], force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: its removal is already under way
                raise


def credentials(binary: Path) -> dict[str, str]:
    return {
        "launch_binary": str(binary),
        "device_id": DEVICE,
        "device_name": "rig pilot test",
        "token": "refresh-token-abc",
    }


def make_adapter(tmp_path: Path, run: str, enroll: bool = True, **env: str) -> IonetAdapter:
    """The adapter with a copy of the stand-in binary, its containers labelled ``run``."""
    binary = tmp_path / "io_net_launch_binary_linux"
    shutil.copy(FAKE_BINARY, binary)
    binary.chmod(0o755)
    child_env = {
        **os.environ,
        "FAKE_IONET_LABEL": f"io.rigpilot.test={run}",
        "FAKE_IONET_ARGS": str(tmp_path / "args.txt"),
        **env,
    }
    adapter = IonetAdapter(
        explorer=ExplorerApi("http://127.0.0.1:9"),  # no Explorer token: never asked
        containers=IoContainers(label_filter={"io.rigpilot.test": run}),
        env=child_env,
        data_dir=tmp_path,
        launch_timeout_s=60.0,
    )
    if enroll:
        assert adapter.enroll(credentials(binary)) is None
    return adapter


def io_containers(client: Any, run: str) -> list[dict[str, Any]]:
    """``docker inspect`` of this run's containers from io.net's images."""
    import docker.errors

    inspected = []
    for found in client.api.containers(all=True, filters={"label": f"io.rigpilot.test={run}"}):
        try:
            inspected.append(client.api.inspect_container(found["Id"]))
        except docker.errors.NotFound:
            continue  # removed between the list and the look
    return [c for c in inspected if c["Config"]["Image"].startswith("ionetcontainers/")]


class ForeignUse:
    """Another program's use of the simulated card: after ``load_s`` it shows in the
    process list and its load climbs to 95 % over ``ramp_s``; ``crossed_at`` is when the
    load it set first passed the rule (seconds after ``start``), and ``watched_then`` what
    ``watch()`` said at that moment (io.net's containers still running, for the tests)."""

    def __init__(
        self,
        backend: SimulatedBackend,
        pid: int,
        name: str,
        watch: Callable[[], bool] | None = None,
    ) -> None:
        self.backend, self.pid, self.name, self.watch = backend, pid, name, watch
        self.crossed_at: float | None = None
        self.watched_then: bool | None = None
        self._stop = threading.Event()

    def run(self, start: float, load_s: float, ramp_s: float) -> None:
        def climb() -> None:
            if self._stop.wait(load_s):
                return
            self.backend.add_process(0, GpuProcess(self.pid, 1500.0, self.name))
            began = time.monotonic()
            while not self._stop.is_set():
                done = min(1.0, (time.monotonic() - began) / ramp_s) if ramp_s else 1.0
                self.backend.set_load(0, PEAK * done)
                if PEAK * done * 100 > RULE_PCT and self.crossed_at is None:
                    crossed = time.monotonic() - start
                    if self.watch is not None:  # before crossed_at: a test waits on that
                        self.watched_then = self.watch()
                    self.crossed_at = crossed
                self._stop.wait(0.02)

        threading.Thread(target=climb, name="foreign-use", daemon=True).start()

    def end(self) -> None:
        self._stop.set()
        self.backend.set_load(0, 0.0)
        self.backend.remove_process(0, self.pid)


@dataclass
class World:
    backend: SimulatedBackend
    adapter: IonetAdapter
    supervisor: Supervisor
    loop: ControlLoop
    sampler: Sampler
    ledger: Ledger
    events: list[Event]
    client: Any
    run: str

    def ionet_running(self) -> bool:
        return any(c["State"]["Running"] for c in io_containers(self.client, self.run))

    def io_count(self) -> int:
        return len(io_containers(self.client, self.run))

    def until(self, check: Callable[[], bool], timeout_s: float) -> float:
        """Wait for ``check()`` (AssertionError after ``timeout_s``); the seconds it took
        are for tests/perf's figures, never asserted by a test."""
        begin = time.monotonic()
        deadline = begin + timeout_s
        while not check():
            assert time.monotonic() < deadline, f"not within {timeout_s} s"
            time.sleep(0.02)
        return time.monotonic() - begin

    def stop_events(self) -> list[Event]:
        return [e for e in self.events if e.kind == "network.stopped"]

    def close(self) -> None:
        self.sampler.stop()
        self.loop.restore()
        asyncio.run(self.supervisor.close(5.0))
        self.ledger.close()


def open_world(client: Any, run: str, tmp_path: Path, quiet_s: float) -> World:
    """io.net enrolled and started through the supervisor, watched by the control loop;
    returns once io.net's containers run and the card has been read calmly a while."""
    backend = SimulatedBackend(["warm"])
    adapter = make_adapter(tmp_path, run, enroll=False)
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    events: list[Event] = []
    spec = NetworkSpec("ionet", "io.net", "", frozenset({"linux"}), lambda ctx: adapter)
    sup = Supervisor([spec], {"ionet": adapter}, ledger, SecretStore(backend=MemoryKeyring()),
                     events.append, facts=lambda: FACTS)  # fmt: skip
    asyncio.run(sup.enroll("ionet", credentials(tmp_path / "io_net_launch_binary_linux")))
    deadline = time.monotonic() + 60.0
    for op in sup.operations.unfinished():
        sup.operations.wait(op.id, max(0.0, deadline - time.monotonic()))
    assert adapter.penalties().max_idle_gpu_util_pct == RULE_PCT
    settings = Settings({"gaming.quiet_period_s": quiet_s, "gaming.games": [GAME_NAME]})
    probes = Probes(processes=probe_processes, fullscreen=lambda: None, idle_seconds=lambda: None)
    loop = ControlLoop(backend.devices(), settings.get, UserHolds(None, backend.clock),
                       JobServiceActuator(None), BackendCard(backend), events.append,
                       backend.clock, False, agents=sup, probes=probes)  # fmt: skip
    sampler = Sampler(backend, 2.0, on_sample=loop.on_sample, clock=backend.clock)
    loop.start()
    sampler.start()
    world = World(backend, adapter, sup, loop, sampler, ledger, events, client, run)
    world.until(world.ionet_running, 30.0)
    time.sleep(3.0)  # calm readings and a routine process list before anything happens
    return world


def game_process(folder: Path) -> Any:
    """A game on this rig's games list (tests/fake_game.py), started now."""
    return start_game(folder)
