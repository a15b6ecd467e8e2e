"""Vast.ai's ``SPEC``; its adapter (desktop/networks/vast.py) loads at first use (lazy_factory)."""

from __future__ import annotations

from desktop.checks.link_needs import LinkNeeds
from desktop.networks.spec import NetworkSpec, lazy_factory

SPEC = NetworkSpec(
    "vast",
    "Vast.ai",
    (
        "Rent this machine out on Vast.ai (a dedicated Linux machine running Vast.ai's host "
        "daemon). Pausing unlists it: no new rentals, but a rental already running cannot be "
        "taken back, even for a game, so do not list a computer you also game on."
    ),
    frozenset({"linux"}),
    lazy_factory("desktop.networks.vast"),
    details_every_s=300.0,
)
LINK_NEEDS = LinkNeeds(
    "vast",
    "Vast.ai",
    100.0,
    100.0,
    inbound="an open port range forwarded to this machine (3 ports per GPU at least, 100 "
    "recommended)",
    source="docs.vast.ai, host verification stages: 100 Mb/s each way to be verified, "
    "10 Mb/s to be listed",
)
