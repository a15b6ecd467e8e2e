"""Akash's ``SPEC``; its adapter (desktop/networks/akash.py) loads at first use (lazy_factory)."""

from __future__ import annotations

from desktop.networks.spec import NetworkSpec, lazy_factory

SPEC = NetworkSpec(
    "akash",
    "Akash",
    (
        "Watch the Akash provider you run (a Kubernetes cluster with a domain and open "
        "ports, not this desktop): whether it is online, its leases, uptime and earnings in "
        "AKT. RigPilot only watches it; nothing is started or paused from here."
    ),
    frozenset({"linux", "windows", "macos"}),
    lazy_factory("desktop.networks.akash"),
    details_every_s=300.0,
)
