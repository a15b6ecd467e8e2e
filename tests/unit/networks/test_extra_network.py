"""Adding a network takes one module: the third network (tests/unit/networks/
third_network.py), named only in RIGPILOT_EXTRA_NETWORKS, reaches the registry, the
supervisor, its summaries and the reconciler's calls with no other edit."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from desktop.ipc.protocol import ApiError
from desktop.ledger.ledger import Ledger
from desktop.money.valuation import Tariff
from desktop.networks import registry
from desktop.networks.records import HostFacts
from desktop.networks.spec import AdapterContext
from desktop.secrets import SecretStore
from desktop.worker.supervisor_build import build_networks
from tests.unit.networks.conftest import MemoryKeyring
from tests.unit.networks.fakes import settle

MODULE = "tests.unit.networks.third_network"
FACTS = HostFacts("linux", False, 32.0, 200.0, True, True, ("NVIDIA GeForce RTX 3080",))


def test_without_the_variable_there_is_no_third_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(registry.EXTRA_ENV, raising=False)
    assert "third" not in [s.id for s in registry.load_specs()]


def test_a_third_network_in_one_module_works_everywhere(
    tmp_path: Path,
    ledger: Ledger,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(registry.EXTRA_ENV, MODULE)
    monkeypatch.setenv("RIGPILOT_NOSANA_NODE_API", "http://127.0.0.1:9")
    events: list[Any] = []
    sup = build_networks(
        AdapterContext(data_dir=tmp_path),
        ledger,
        SecretStore(backend=memory_keyring),
        events.append,
        lambda network: False,
        Tariff,
        lambda: FACTS,
    )
    builtin = [spec.id for spec in registry.load_specs({})]
    assert [b["network"] for b in sup.summary()] == [*builtin, "third"]

    async def scenario() -> list[dict[str, Any]]:
        await sup.start()
        with pytest.raises(ApiError, match="refused this key") as info:
            await sup.enroll("third", {"api_key": "bad"})
        assert info.value.field == "api_key"
        answer = await sup.enroll("third", {"api_key": "key-3"})
        assert answer["operation"]["kind"] == "start"
        settle(sup)
        await sup.poll_once()
        return await sup.list_networks()

    records = {r["network"]: r for r in asyncio.run(scenario())}
    third = records["third"]
    assert third["state"] == "idle" and third["enrolled"] is True
    assert third["description"] == "A stand-in marketplace that exists only in RigPilot's tests."
    assert third["reputation"]["score"] == 88.0
    assert third["requirements"][0]["status"] == "pass"
    assert third["capabilities"] == {
        "platforms": ["linux"],
        "can_enroll": True,
        "can_start_stop": True,
        "can_pause": False,
        "runs_jobs_here": False,
        "earnings_api": False,
        "reputation_api": True,
        "monitor_only": False,
    }
    assert (tmp_path / "third-network.state").read_text() == "running"
    assert memory_keyring.items == {("rigpilot", "third:api_key"): "key-3"}
    assert sup.owners() == ["third"] and sup.runs_own_agent("third")
    assert sup.penalties()["third"].can_pause is False
    sup.pause_agent("third", "a game")  # no pause of its own: stopped, then started again
    settle(sup)
    assert (tmp_path / "third-network.state").read_text() == "stopped"
    sup.resume_agent("third", "the game ended")
    settle(sup)
    assert (tmp_path / "third-network.state").read_text() == "running"
    asyncio.run(sup.close())
    assert (tmp_path / "third-network.state").read_text() == "stopped"
