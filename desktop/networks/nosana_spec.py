"""Nosana's ``SPEC``; its adapter (desktop/networks/nosana.py) loads at first use (lazy_factory)."""

from __future__ import annotations

from desktop.checks.link_needs import LinkNeeds
from desktop.networks.spec import NetworkSpec, lazy_factory

SPEC = NetworkSpec(
    "nosana",
    "Nosana",
    (
        "Solana-based AI inference network. Needs Linux, Docker, the NVIDIA Container "
        "Toolkit and an RTX 3060 or better; new nodes wait for approval."
    ),
    frozenset({"linux"}),
    lazy_factory("desktop.networks.nosana"),
)
LINK_NEEDS = LinkNeeds(  # networks.md §1, Requirements: the doctor measures against it
    "nosana", "Nosana", 100.0, 50.0, source="docs.nosana.com, grid requirements"
)
