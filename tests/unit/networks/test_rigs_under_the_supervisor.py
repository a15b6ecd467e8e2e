"""Clore.ai and Vast.ai driven by the real supervisor (the reconciler's AgentControl),
against a local server answering in their recorded shapes: a pause for a game or heat
turns Clore.ai's availability off and unlists the Vast.ai machine, a resume turns them on
again, and the Akash monitor is never driven."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from desktop.ledger.ledger import Ledger
from desktop.money.valuation import Tariff
from desktop.networks.records import HostFacts
from desktop.networks.spec import AdapterContext
from desktop.secrets import SecretStore
from desktop.worker.supervisor_build import build_networks
from tests.contract.harness import NetworkServer, load_case
from tests.unit.networks.conftest import MemoryKeyring
from tests.unit.networks.fakes import settle

FACTS = HostFacts("linux", False, 32.0, 200.0, True, True, ("NVIDIA GeForce RTX 4090",))


def test_pause_and_resume_reach_the_rigs_and_the_monitor_is_left_alone(
    tmp_path: Path, ledger: Ledger, memory_keyring: MemoryKeyring
) -> None:
    servers = {name: NetworkServer() for name in ("clore", "vast", "akash")}
    cases = {name: load_case(name) for name in servers}
    env: dict[str, str] = {}
    for name, server in servers.items():
        cases[name].serve(server)
        env.update(cases[name].env(server.url, tmp_path))
    events: list[Any] = []
    sup = build_networks(
        AdapterContext(data_dir=tmp_path, env=env),
        ledger,
        SecretStore(backend=memory_keyring),
        events.append,
        lambda network: False,
        Tariff,
        lambda: FACTS,
    )
    try:

        async def enroll() -> None:
            await sup.start()
            for name in servers:
                await sup.enroll(name, cases[name].credentials)
            settle(sup)

        asyncio.run(enroll())
        for name in servers:
            sup.pause_agent(name, "a game started")
        settle(sup)
        assert [r.json() for r in servers["clore"].sent("POST /v1/set_server_settings")] == [
            {"name": "rig-one", "availability": False}
        ]
        assert len(servers["vast"].sent("DELETE /api/v0/machines/31742/asks/")) == 1
        for name in servers:
            sup.resume_agent(name, "the game ended")
        settle(sup)
        clore = [r.json() for r in servers["clore"].sent("POST /v1/set_server_settings")]
        assert clore[-1] == {"name": "rig-one", "availability": True}
        (listed,) = servers["vast"].sent("PUT /api/v0/machines/create_asks/")
        assert listed.json()["price_gpu"] == 0.42
        akash = {f"{r.method} {r.path}" for r in servers["akash"].requests}
        assert all(k.startswith("GET ") for k in akash)  # watched: nothing but reads
        assert sup.penalties()["vast"].can_pause is False
        assert memory_keyring.items[("rigpilot", "clore:api_key")] == "clore-test-key"
    finally:
        asyncio.run(sup.close())
        for server in servers.values():
            server.close()
