"""The networks RigPilot knows: a list of module names, each exporting one ``SPEC``.

Why only names: everything about a network (its words, where it runs, how its adapter is
built and configured) is in its own module (desktop/networks/spec.py). The list's order
is the default ranking: when several enrolled networks could use a GPU, the first wins.

``RIGPILOT_EXTRA_NETWORKS`` (comma-separated module names) adds modules after these, for
tests and for trying a network out without editing this file.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterator, Mapping

from desktop.networks.base import NetworkAdapter
from desktop.networks.spec import AdapterContext, NetworkSpec

MODULES = (
    "desktop.networks.demo_spec",
    "desktop.networks.nosana_spec",
    "desktop.networks.ionet_spec",
    "desktop.networks.golem_spec",
    "desktop.networks.golem_gpu_spec",
    "desktop.networks.clore_spec",
    "desktop.networks.vast_spec",
    "desktop.networks.akash_spec",
    # Listed only (desktop/networks/listed.py): what each needs and why RigPilot cannot join it.
    "desktop.networks.render",
    "desktop.networks.aethir",
    "desktop.networks.fluence",
    "desktop.networks.bittensor",
    "desktop.networks.gensyn",
    "desktop.networks.salad",
)
EXTRA_ENV = "RIGPILOT_EXTRA_NETWORKS"


class RegistryError(Exception):
    """A network module could not be loaded; the message names it and the fix."""


def module_names(env: Mapping[str, str] = os.environ) -> list[str]:
    """The built-in modules, then the extra ones, each once."""
    extra = [name.strip() for name in env.get(EXTRA_ENV, "").split(",") if name.strip()]
    return list(dict.fromkeys([*MODULES, *extra]))


def load_specs(env: Mapping[str, str] = os.environ) -> list[NetworkSpec]:
    """Every module's ``SPEC``, in ranking order; RegistryError naming a bad module."""
    specs: dict[str, NetworkSpec] = {}
    for name in module_names(env):
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise RegistryError(
                f"The network module {name!r} cannot be imported ({exc}); fix it or take "
                f"it out of {EXTRA_ENV}."
            ) from None
        spec = vars(module).get("SPEC")
        if not isinstance(spec, NetworkSpec):
            raise RegistryError(f"The network module {name!r} exports no SPEC (NetworkSpec).")
        if spec.id in specs:
            raise RegistryError(
                f"The network module {name!r} declares the id {spec.id!r}, which another "
                "module already uses."
            )
        specs[spec.id] = spec
    return list(specs.values())


class LazyAdapters(Mapping[str, NetworkAdapter]):
    """One adapter per spec, in ranking order, each built the first time it is looked up.

    Why lazily: a network's adapter module brings its clients, parsers and node files; a
    worker with nothing enrolled and no client asking never needs them (issue 18). Safe to
    look up from any thread: one lock, and an adapter is built once.
    """

    def __init__(self, ctx: AdapterContext, specs: list[NetworkSpec]) -> None:
        self._ctx = ctx
        self._specs = {spec.id: spec for spec in specs}
        self._built: dict[str, NetworkAdapter] = {}
        self._lock = threading.Lock()

    def __getitem__(self, network: str) -> NetworkAdapter:
        adapter = self._built.get(network)
        if adapter is None:
            spec = self._specs[network]
            with self._lock:
                adapter = self._built.get(network)
                if adapter is None:
                    adapter = self._built[network] = spec.build(self._ctx)
        return adapter

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def built(self) -> list[str]:
        """The networks whose adapter exists by now (for tests and the lean-worker check)."""
        return list(self._built)


def build_all(ctx: AdapterContext, specs: list[NetworkSpec] | None = None) -> LazyAdapters:
    """One adapter per spec, in ranking order, each built at its first look-up."""
    chosen = load_specs(ctx.env) if specs is None else specs
    return LazyAdapters(ctx, chosen)
