"""A third network in one module reaches a real worker, its API and its CLI, named only in
RIGPILOT_EXTRA_NETWORKS (issue 13: adding a network touches nothing else).

The module is tests/unit/networks/third_network.py; the worker imports it by name, so the
repository's root goes on its PYTHONPATH. Its secret goes through the real keyring.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop.ipc import endpoints
from desktop.ipc.schema_data import EventsQuery
from desktop.ipc.schema_networks import NetworkRef
from desktop.networks import registry
from desktop.secrets import SecretStore
from tests.integration.conftest import StartWorker

pytestmark = pytest.mark.keyring
ROOT = Path(__file__).resolve().parents[2]


def test_a_third_network_is_listed_enrolled_and_started_by_a_real_worker(
    secret_service: str, start_worker: StartWorker, poll: Callable[..., Any]
) -> None:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {
        "RIGPILOT_EXTRA_NETWORKS": "tests.unit.networks.third_network",
        "PYTHONPATH": path,
        "RIGPILOT_THIRD_API_KEY": "third-canary",
    }
    worker = start_worker(env=env)
    listed = worker.cli("networks")
    assert listed.returncode == 0, listed.stderr
    assert "third" in listed.stdout and "Third network" in listed.stdout
    networks = {n.network: n for n in worker.client.call(endpoints.NETWORKS).networks}
    builtin = [spec.id for spec in registry.load_specs({})]
    assert list(networks) == [*builtin, "third"]
    assert networks["third"].description.startswith("A stand-in marketplace")

    enrolled = worker.cli("enroll", "third", "--from-env", "--json")
    assert enrolled.returncode == 0, enrolled.stderr + worker.output()
    answer = json.loads(enrolled.stdout)
    assert answer["status"]["enrolled"] is True and answer["operation"]["kind"] == "start"

    def third_is_idle() -> bool:
        status = worker.client.call(endpoints.STATUS)
        return any(n.network == "third" and n.state == "idle" for n in status.networks)

    poll(third_is_idle, timeout=30, interval=0.2)
    state_file = worker.paths.data_dir / "third-network.state"
    assert state_file.read_text() == "running"  # its factory got the worker's data folder
    events = worker.client.call(endpoints.EVENTS, EventsQuery(since=0)).events
    finished = [e for e in events if e.kind == "operation.finished"]
    assert finished and finished[0].data["operation"] == answer["operation"]["id"]
    shown = json.dumps([e.to_json() for e in events])
    assert "third-canary" not in shown and "third-canary" not in worker.output()
    assert SecretStore().get("third", "api_key") == "third-canary"  # in the keyring only

    removal = worker.client.call(endpoints.REMOVE, NetworkRef(network="third")).operation
    assert removal is not None

    def removed() -> bool:
        events = worker.client.call(endpoints.EVENTS, EventsQuery(since=0)).events
        return any(
            e.kind == "operation.finished" and e.data["operation"] == removal.id for e in events
        )

    poll(removed, timeout=30, interval=0.2)
    assert state_file.read_text() == "stopped"
    assert SecretStore().get("third", "api_key") is None  # removing it forgot the secret
    assert worker.stop() == 0
