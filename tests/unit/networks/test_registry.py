"""The registry: a list of module names, each exporting one SPEC; bad modules say so."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.networks import registry
from desktop.networks.base import NetworkAdapter
from desktop.networks.demo import DemoNetwork
from desktop.networks.nosana import NosanaAdapter
from desktop.networks.spec import AdapterContext


def test_every_known_network_builds_from_its_spec_with_its_own_overrides(tmp_path: Path) -> None:
    env = {
        "RIGPILOT_NOSANA_NODE_API": "http://127.0.0.1:9",
        "RIGPILOT_NOSANA_KEY": str(tmp_path / "k.json"),
        "RIGPILOT_DEMO_IMAGE": "local/practice:1",
        "RIGPILOT_DEMO_SPEED": "60",
    }
    specs = registry.load_specs(env)
    ids = [s.id for s in specs]
    assert ids[:2] == ["demo", "nosana"] and len(ids) == len(registry.MODULES)  # ranking order
    adapters = registry.build_all(AdapterContext(env=env), specs)
    for spec in specs:
        adapter = adapters[spec.id]
        assert isinstance(adapter, NetworkAdapter) and adapter.id == spec.id
        assert adapter.display_name == spec.display_name and adapter.description
    nosana, demo = adapters["nosana"], adapters["demo"]
    assert isinstance(nosana, NosanaAdapter) and isinstance(demo, DemoNetwork)
    assert nosana.node_api._endpoint.base_url == "http://127.0.0.1:9"
    assert nosana.key_path == tmp_path / "k.json"
    assert demo.image == "local/practice:1" and demo.market.offers.speed == 60.0
    assert registry.load_specs({})[1].platforms == frozenset({"linux"})


def test_extra_modules_come_after_the_built_in_ones_once() -> None:
    env = {registry.EXTRA_ENV: " tests.unit.networks.third_network, desktop.networks.demo_spec,"}
    assert registry.module_names(env) == [*registry.MODULES, "tests.unit.networks.third_network"]


@pytest.mark.parametrize(
    ("module", "message"),
    [
        ("rigpilot_no_such_network", "cannot be imported .*take it out of RIGPILOT_EXTRA"),
        ("desktop.networks.records", "exports no SPEC"),
    ],
)
def test_a_bad_extra_module_is_named(module: str, message: str) -> None:
    with pytest.raises(registry.RegistryError, match=message) as info:
        registry.load_specs({registry.EXTRA_ENV: module})
    assert module in str(info.value)


def test_two_modules_may_not_claim_one_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "copycat_network.py").write_text(
        textwrap.dedent("""
            from desktop.networks.demo import SPEC as DEMO
            SPEC = DEMO
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(registry.RegistryError, match="'copycat_network' declares the id 'demo'"):
        registry.load_specs({registry.EXTRA_ENV: "copycat_network"})


def test_a_factory_that_builds_another_network_is_caught() -> None:
    (demo,) = [s for s in registry.load_specs({}) if s.id == "demo"]
    wrong = replace(demo, id="other")
    with pytest.raises(ValueError, match="built an adapter with id 'demo'"):
        wrong.build(AdapterContext(env={}))
