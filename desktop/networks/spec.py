"""How a network module declares itself (``SPEC``) and what the worker lends its adapter.

Why data rather than code: the registry lists module names and nothing else; each module
exports one ``NetworkSpec`` (who it is, the words the Networks page and the wizard show,
where it runs, how to build it). Adding a network is a module and one line in the
registry's list; no if-chain, no text table elsewhere.

``AdapterContext`` is the same for every network: the job service's hooks, the pay
ledger, the market speed, the data folder and the environment. It has no field for any
one network: a module reads its own overrides (``RIGPILOT_<NETWORK>_...``, for tests and
side-by-side installs) from ``env`` inside its own factory.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop import clock
from desktop.model import Money
from desktop.networks.base import NetworkAdapter

SubmitJob = Callable[[dict[str, Any]], str]  # a docs/jobs.md spec in, the job id out
CheckJob = Callable[[dict[str, Any]], object]  # the same, as a dry run: raises if refused
StopJob = Callable[[str], None]
Credit = Callable[[str, str, Money, str], bool]  # network, job id, pay, idempotency key


def wall_now() -> float:
    """The one clock (desktop.clock.now), looked up at each call so that a test's
    ``monkeypatch.setattr(clock, "now", ...)`` reaches every adapter built before it."""
    return clock.now()


def lazy_factory(module: str) -> Callable[[AdapterContext], NetworkAdapter]:
    """A factory that imports ``module`` and calls its ``build(ctx)`` only when the adapter
    is built: a network's declaration can then live in a small module of its own, and its
    adapter's code (clients, parsers, node files) loads when the network is first used."""

    def factory(ctx: AdapterContext) -> NetworkAdapter:
        built: NetworkAdapter = importlib.import_module(module).build(ctx)
        return built

    factory.__qualname__ = f"lazy_factory({module!r})"
    return factory


@dataclass(frozen=True)
class AdapterContext:
    """What an adapter may call back into; a hook left None is not available here.

    Attributes:
        submit_job: start a job in RigPilot's job service (raises its refusal).
        check_job: the job service's dry run of a spec (raises its refusal).
        allows_image: whether the job service runs this local image (a settings look-up,
            no Docker call: cheap enough for every ``requirements``).
        stop_job: stop a job of the job service.
        credit: record pay once (False when that idempotency key is already there).
        speed: how many times faster the practice market runs (``--sim-speed``).
        data_dir: the worker's data folder, for an adapter's own files.
        env: the environment the module reads its overrides from.
    """

    submit_job: SubmitJob | None = None
    check_job: CheckJob | None = None
    allows_image: Callable[[str], bool] | None = None
    stop_job: StopJob | None = None
    credit: Credit | None = None
    speed: float = 1.0
    data_dir: Path | None = None
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)


@dataclass(frozen=True)
class NetworkSpec:
    """One network module's declaration (its ``SPEC``).

    Attributes:
        id, display_name, description: as the adapter says them (base.NetworkAdapter).
        platforms: where RigPilot can run it: "linux", "windows", "macos".
        factory: builds the adapter from the worker's context.
        details_every_s: how often its slow details (reputation, reported earnings) may
            be read: a public API's rate limit, or 0 for a network that answers from memory.
    """

    id: str
    display_name: str
    description: str
    platforms: frozenset[str]
    factory: Callable[[AdapterContext], NetworkAdapter]
    details_every_s: float = 300.0

    def build(self, ctx: AdapterContext) -> NetworkAdapter:
        """The adapter, checked against its declaration (a wrong id is a module bug)."""
        adapter = self.factory(ctx)
        if not isinstance(adapter, NetworkAdapter):
            raise TypeError(
                f"the factory of network {self.id!r} built {adapter!r}, "
                "which lacks the core NetworkAdapter protocol"
            )
        if adapter.id != self.id:
            raise ValueError(
                f"the factory of network {self.id!r} built an adapter with id {adapter.id!r}"
            )
        return adapter
