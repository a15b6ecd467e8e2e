"""Performance figures of the network layer (issue 13).

- how stale a healthy network's status gets while another network's status call hangs:
  the supervisor polls two quick stand-in networks and one that never answers, for a
  window, and the largest age of the quick ones' last status is reported (target: under
  two poll intervals; before issue 13 the polls ran one after the other with no timeout,
  so a hung network stopped every network's status for as long as it hung);
- the threads the hung network holds meanwhile (target: one; no pile-up);
- ``GET /v1/networks`` round trip on a real ``rigpilot worker --demo`` (p50, p99 of 100
  requests), which answers from memory and the ledger, never calling an adapter.

``measure(window_s)`` returns ``{name: {"value", "unit", "target"}}``; run this file to
print them (``--window 5`` for a quick look).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from desktop.ipc import endpoints
from desktop.ipc.client import WorkerClient, WorkerNotRunning
from desktop.ledger.ledger import Ledger
from desktop.model import CheckResult, NetworkPenalties, NodeState
from desktop.networks.records import ActionRequired, HostFacts, StatusSnapshot
from desktop.networks.spec import NetworkSpec
from desktop.paths import Paths
from desktop.secrets import SecretStore
from desktop.worker.supervisor import Supervisor

POLL_S = 0.5
CALL_TIMEOUT_S = 2.0
REQUESTS = 100


class Quick:
    """A stand-in network with an agent that starts at once and answers at once."""

    display_name = "Stand-in"
    description = "A stand-in network for measuring the supervisor."

    def __init__(self, network_id: str) -> None:
        self.id = network_id

    def credential_schema(self) -> list[Any]:
        return []

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        return []

    def penalties(self) -> NetworkPenalties:
        return NetworkPenalties()

    def enroll(self, creds: Any) -> ActionRequired | None:
        return None

    def remove(self) -> None:
        return None

    def start(self) -> None:
        return None

    def stop(self, graceful: bool, timeout_s: float) -> None:
        return None

    def status(self) -> StatusSnapshot:
        return StatusSnapshot(NodeState.IDLE, "ready", time.time())


class Hung(Quick):
    """A network whose status call never answers (until the measurement ends)."""

    def __init__(self) -> None:
        super().__init__("hung")
        self.release = threading.Event()

    def status(self) -> StatusSnapshot:
        self.release.wait()
        return super().status()


def spec_for(adapter: Quick) -> NetworkSpec:
    return NetworkSpec(adapter.id, adapter.display_name, adapter.description,
                       frozenset({"linux"}), lambda ctx: adapter)  # fmt: skip


def staleness(window_s: float) -> tuple[float, int]:
    """(largest age in s of the quick networks' status, threads the hung one held)."""
    home = Path(tempfile.mkdtemp(prefix="rp-perf-net-"))
    ledger = Ledger.open(home / "ledger.sqlite")
    hung, one, two = Hung(), Quick("one"), Quick("two")
    adapters = [hung, one, two]
    sup = Supervisor(
        [spec_for(a) for a in adapters],
        {a.id: a for a in adapters},
        ledger,
        SecretStore(),  # no secret fields: never asked
        lambda e: None,
        poll_interval_s=POLL_S,
        call_timeout_s=CALL_TIMEOUT_S,
    )
    worst, threads = 0.0, 0

    async def scenario() -> None:
        nonlocal worst, threads
        for adapter in adapters:
            answer = await sup.enroll(adapter.id, {})
            sup.operations.wait(answer["operation"]["id"], 10)
        polls = asyncio.create_task(sup.run())
        await asyncio.sleep(CALL_TIMEOUT_S + POLL_S)  # past the hung network's first timeout
        ended = time.monotonic() + window_s
        while time.monotonic() < ended:
            for network in ("one", "two"):
                last = sup.table.get(network).rt.last
                worst = max(worst, time.time() - (last.as_of if last else 0.0))
            threads = max(
                threads, sum(t.name == "call-hung" for t in threading.enumerate() if t.is_alive())
            )
            await asyncio.sleep(0.05)
        hung.release.set()
        await sup.close()
        await asyncio.wait_for(polls, 10)

    try:
        asyncio.run(scenario())
    finally:
        hung.release.set()
        ledger.close()
        shutil.rmtree(home, ignore_errors=True)
    return worst, threads


def networks_round_trip(count: int = REQUESTS) -> list[float]:
    """Milliseconds per ``GET /v1/networks`` on a real demo worker."""
    home = Path(tempfile.mkdtemp(prefix="rp-perf-"))
    paths = Paths(home / "config", home / "data", home / "logs", home / "run").ensure()
    env = {**os.environ, "RIGPILOT_HOME": str(home), "DOCKER_HOST": f"unix://{home}/none.sock"}
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "worker", "--demo"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = WorkerClient(paths)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.status()
                break
            except WorkerNotRunning:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the worker did not start") from None
                time.sleep(0.05)
        time.sleep(3.0)  # enrolled, polled, a job or two in flight
        for _ in range(10):
            client.call(endpoints.NETWORKS)
        times = []
        for _ in range(count):
            started = time.perf_counter()
            client.call(endpoints.NETWORKS)
            times.append((time.perf_counter() - started) * 1000)
        return times
    finally:
        client.close()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(home, ignore_errors=True)


def measure(window_s: float = 20.0) -> dict[str, dict[str, Any]]:
    worst, threads = staleness(window_s)
    times = networks_round_trip()
    ordered = sorted(times)
    return {
        "networks.status_age_beside_a_hung_network": {
            "value": round(worst, 3),
            "unit": "s",
            "target": f"< {2 * POLL_S:g} s (2 poll intervals)",
        },
        "networks.threads_held_by_a_hung_network": {
            "value": threads,
            "unit": "threads",
            "target": "<= 1",
        },
        "networks.list_p50": {
            "value": round(statistics.median(times), 2),
            "unit": "ms",
            "target": "< 50 ms",
        },
        "networks.list_p99": {
            "value": round(ordered[int(0.99 * (len(ordered) - 1))], 2),
            "unit": "ms",
            "target": "< 200 ms",
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=20.0, help="seconds to watch")
    args = parser.parse_args()
    for name, figure in measure(args.window).items():
        print(f"{name:48} {figure['value']:>10} {figure['unit']:8} target {figure['target']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
