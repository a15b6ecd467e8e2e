"""Golem's ``SPEC``; its adapter (desktop/networks/golem.py) loads at first use (lazy_factory)."""

from __future__ import annotations

from desktop.networks.spec import NetworkSpec, lazy_factory

SPEC = NetworkSpec(
    "golem",
    "Golem",
    (
        "Rents out CPU and memory in virtual machines for GLM, with no account to create. "
        "RigPilot runs the yagna and ya-provider you install with Golem's installer; Golem's "
        "GPU work needs its own boot image (gpu-golem-live), which RigPilot can only watch."
    ),
    frozenset({"linux"}),
    lazy_factory("desktop.networks.golem"),
)
