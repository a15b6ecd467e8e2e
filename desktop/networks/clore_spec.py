"""Clore.ai's ``SPEC``; its adapter, desktop/networks/clore.py, loads at first use."""

from __future__ import annotations

from desktop.networks.spec import NetworkSpec, lazy_factory

SPEC = NetworkSpec(
    "clore",
    "Clore.ai",
    (
        "Rent this rig out on Clore.ai's GPU marketplace (a dedicated Linux rig running "
        "Clore.ai's hosting software). Pausing turns its availability off: it takes effect "
        "when the current rental ends, as a running rental cannot be taken back."
    ),
    frozenset({"linux"}),
    lazy_factory("desktop.networks.clore"),
    details_every_s=300.0,
)
