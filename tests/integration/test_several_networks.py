"""Several networks on one rig, in a real worker with two simulated GPUs (issue 14, item 7).

The practice network (first in the user's order) runs one job at a time; the third
network of the tests (an agent of its own, loaded through RIGPILOT_EXTRA_NETWORKS) is
second. The GPU the practice network leaves without work for the hand-over time goes to
the third network, so the two work at once, and each network is charged only the energy
of the GPUs it owned, for the time it owned them (the ledger's energy periods never give
one GPU's moment to two networks).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from desktop.ipc import endpoints
from desktop.ipc.schema_data import EarningsQuery
from desktop.settings import SettingsStore
from tests.integration.conftest import StartWorker, WorkerProcess, home_paths

pytestmark = pytest.mark.keyring
ROOT = Path(__file__).resolve().parents[2]


def periods(worker: WorkerProcess) -> list[tuple[str, str, float, float, float]]:
    """(gpu, network, start, end, joules) of every energy period in the worker's ledger."""
    with closing(sqlite3.connect(home_paths(worker.home).ledger_file)) as conn:
        rows = conn.execute(
            "SELECT gpu_uuid, network, start_ts, end_ts, energy_j FROM energy_periods"
        )
        return [tuple(row) for row in rows.fetchall()]


def test_two_gpus_work_for_two_networks_and_each_pays_for_its_own(
    secret_service: str, start_worker: StartWorker, poll: Callable[..., Any], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    SettingsStore(home_paths(home).ensure().settings_file).patch(
        {
            "networks.order": ["demo", "third"],
            "networks.idle_handover_min": 0.1,  # 6 s without work hands a GPU over
            "sampling.interval_s": 1,
            "electricity.price_per_kwh": 0.3,
            "gaming.enabled": False,  # a game another test starts must not pause this one
        }
    )
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {
        "RIGPILOT_EXTRA_NETWORKS": "tests.unit.networks.third_network",
        "PYTHONPATH": path,
        "RIGPILOT_THIRD_API_KEY": "third-key",
        "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock",  # the simulated runner
    }
    worker = start_worker(
        "--demo", "--simulate", "warm,warm", "--sim-speed", "60", home=home, env=env
    )
    enrolled = worker.cli("enroll", "third", "--from-env", "--json")
    assert enrolled.returncode == 0, enrolled.stderr + worker.output()

    def two_at_once() -> Any:
        status = worker.client.status()
        owners = {g.owner for g in status.gpus}
        return owners == {"demo", "third"} and status

    status = poll(two_at_once, timeout=60, interval=0.5)
    third = [n for n in status.networks if n.network == "third"]
    assert third and third[0].gpus, status.networks  # its brief says which GPU it holds
    poll(lambda: len({p[1] for p in periods(worker)}) == 2, timeout=30, interval=0.5)

    found = periods(worker)
    for gpu in {p[0] for p in found}:  # one GPU's time is never charged to two networks
        spans = sorted((start, end, network) for uuid, network, start, end, _ in found
                       if uuid == gpu)  # fmt: skip
        for (_, end, first), (start, _, second) in zip(spans, spans[1:], strict=False):
            assert start >= end - 1.0 or first == second, (gpu, spans)

    def both_charged() -> bool:  # the ledger pump writes open periods every few seconds
        report = worker.client.call(endpoints.EARNINGS, EarningsQuery(days=1))
        charged = {d.network: d.energy_kwh for d in report.days}
        return charged.get("demo", 0) > 0 and charged.get("third", 0) > 0

    poll(both_charged, timeout=30, interval=0.5)
    shown = json.loads(worker.cli("earnings", "--json").stdout)
    assert {d["network"] for d in shown["days"]} >= {"demo", "third"}
