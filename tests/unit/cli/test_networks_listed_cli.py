"""``rigpilot networks [--all]`` and ``rigpilot enroll`` with networks RigPilot only lists,
built from the real registry's records (the worker's own summaries), not hand-made ones."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from desktop.cli.networks import networks_text
from desktop.ipc.schema_networks import NetworkRecord, NetworksAnswer
from desktop.networks import registry
from desktop.networks.records import HostFacts, StatusSnapshot
from desktop.networks.spec import AdapterContext
from desktop.networks.summary import Standing, network_summary
from desktop.views.listing import listed_only, not_joinable
from tests import api_samples as sample

FACTS = HostFacts("linux", False, 32.0, 200.0, True, True, ("NVIDIA GeForce RTX 4090",))
LISTED = ["render", "aethir", "fluence", "bittensor", "gensyn", "salad"]
ZERO = msgspec.to_builtins(sample.money("0", "0"))


def records() -> list[NetworkRecord]:
    """Every registered network as ``GET /networks`` would give it, none enrolled."""
    specs = registry.load_specs({})
    adapters = registry.build_all(AdapterContext(env={}), specs)
    out = []
    for spec in specs:
        adapter = adapters[spec.id]
        summary = network_summary(
            spec,
            adapter,
            StatusSnapshot(adapter.status().state, "", 1.0),
            Standing(False),
            adapter.requirements(FACTS),
            None,
            None,
            {"earnings_today": ZERO, "earnings_total": ZERO},
        )
        out.append(msgspec.convert({**summary, "held": None, "operation": None}, NetworkRecord))
    return out


def test_the_listed_networks_are_those_without_any_capability() -> None:
    by_id = {r.network: r for r in records()}
    assert [n for n, r in by_id.items() if listed_only(r.capabilities)] == LISTED
    for network in LISTED:
        reason = not_joinable(by_id[network].capabilities, by_id[network].requirements)
        assert reason is not None and reason.why and reason.instead and reason.source
        assert reason.url.startswith("https://")
        record = by_id[network]
        assert record.credential_fields == [] and record.capabilities.platforms == []
    assert not_joinable(by_id["akash"].capabilities, by_id["akash"].requirements) is None


def test_networks_lists_what_rigpilot_can_join_and_names_the_rest() -> None:
    text = networks_text(NetworksAnswer(networks=records()), width=100)
    table = text.split("Next steps:")[0]
    assert all(f"\n{n} " not in table for n in LISTED)
    for network in ("demo", "nosana", "clore", "vast", "akash"):
        assert f"\n{network} " in table
    assert "Listed, not joinable through RigPilot: Render Network, Aethir" in text
    assert "`rigpilot networks --all`" in text


def test_networks_all_says_why_and_what_to_do_instead_with_the_source() -> None:
    text = networks_text(NetworksAnswer(networks=records()), width=100, show_all=True)
    lines = text.splitlines()
    for network in LISTED:
        (row,) = [line for line in lines if line.startswith(f"{network} ")]
        assert "Can't join here" in row and "$" not in row
    why = text.split("Not joinable through RigPilot")[1]
    assert why.count("Why not:") == len(LISTED) == why.count("Instead:") == why.count("Source:")
    assert "salad: Salad's own Windows app" in why and "https://salad.com" in why
    assert "enterprise-grade GPUs" in why and "waitlist" in why and "subnet" in why
    assert all(len(line) <= 100 for line in lines)


def test_enrolling_a_listed_network_says_why_without_asking_the_worker(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop.cli import build_parser, enroll

    asked: list[Any] = []

    class Client:
        def __enter__(self) -> Client:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def call(self, endpoint: Any, request: Any = None) -> Any:
            asked.append(endpoint.name)
            return NetworksAnswer(networks=records())

    monkeypatch.setattr(enroll.WorkerClient, "from_env", classmethod(lambda cls: Client()))
    assert enroll.cmd_enroll(build_parser().parse_args(["enroll", "bittensor"])) == 2
    err = capsys.readouterr().err
    assert "cannot join this computer to Bittensor" in err and "Instead:" in err
    assert "Source: docs.learnbittensor.org" in err
    assert asked == ["networks"]  # no enroll request was sent
