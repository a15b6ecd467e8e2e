"""The practice network's ``SPEC``; its adapter, desktop/networks/demo.py, loads at first use."""

from __future__ import annotations

from desktop.networks.spec import NetworkSpec, lazy_factory

SPEC = NetworkSpec(
    "demo",
    "Practice network",
    (
        "A practice marketplace inside RigPilot: jobs arrive, run on your GPU (or a "
        "simulated one) and pay practice dollars. See the whole loop in minutes, with no "
        "account."
    ),
    frozenset({"linux", "windows", "macos"}),
    lazy_factory("desktop.networks.demo"),
    details_every_s=0.0,  # its books are in memory
)
