"""Golem GPU's ``SPEC``; its adapter, desktop/networks/golem_gpu.py, loads at first use."""

from __future__ import annotations

from desktop.networks.spec import NetworkSpec, lazy_factory

SPEC = NetworkSpec(
    "golem-gpu",
    "Golem GPU (gpu-golem-live)",
    (
        "Golem's GPU provider runs from its own boot disk (gpu-golem-live) and takes the "
        "whole GPU, so it cannot run beside your desktop. RigPilot watches such a node by its "
        "node id: online, computing, uptime, reputation and GLM received, from Golem's stats."
    ),
    frozenset({"linux", "windows", "macos"}),
    lazy_factory("desktop.networks.golem_gpu"),
)
