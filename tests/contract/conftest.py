"""Fixtures of the contract suite: one test per registered network (built-in modules only),
a local network server per test, and the adapter built by the network's own ``SPEC``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.networks import registry
from desktop.networks.base import Controllable
from desktop.networks.spec import AdapterContext, NetworkSpec
from tests.contract.harness import Case, NetworkServer, load_case


def registered() -> list[NetworkSpec]:
    """Every network of registry.MODULES (not RIGPILOT_EXTRA_NETWORKS: the suite is about
    what ships)."""
    return registry.load_specs({})


def ids(when: Callable[[Case], bool] = lambda case: True) -> list[str]:
    """The registered networks whose case satisfies ``when`` (a test that does not apply
    to a network is not generated for it, rather than skipped)."""
    out = []
    for spec in registered():
        try:
            case = load_case(spec.id)
        except FileNotFoundError:
            continue  # test_every_registered_network_has_a_case names it
        if when(case):
            out.append(spec.id)
    return out


@pytest.fixture(params=[spec.id for spec in registered()])
def network(request: pytest.FixtureRequest) -> str:
    """Every registered network; a test narrows it with ``@pytest.mark.parametrize(
    "network", ids(...))``."""
    return str(request.param)


@pytest.fixture
def case(network: str) -> Case:
    return load_case(network)


@pytest.fixture
def server() -> Iterator[NetworkServer]:
    fake = NetworkServer()
    yield fake
    fake.close()


Build = Callable[[], Any]


@pytest.fixture
def build(case: Case, server: NetworkServer, tmp_path: Path) -> Iterator[Build]:
    """Builds the network's adapter through its ``SPEC`` factory, pointed at ``server`` by
    the case's own environment overrides; stops what it started at the end."""
    (spec,) = [s for s in registered() if s.id == case.network]
    built: list[Any] = []

    def make() -> Any:
        ctx = AdapterContext(env=case.env(server.url, tmp_path), data_dir=tmp_path)
        adapter = spec.build(ctx)
        case.prepare(adapter)
        built.append(adapter)
        return adapter

    yield make
    for adapter in built:
        if isinstance(adapter, Controllable):
            adapter.stop(False, 0.0)
