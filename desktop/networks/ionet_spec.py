"""io.net's ``SPEC``; its adapter (desktop/networks/ionet.py) loads at first use (lazy_factory)."""

from __future__ import annotations

from desktop.checks.link_needs import LinkNeeds
from desktop.networks.spec import NetworkSpec, lazy_factory

SPEC = NetworkSpec(
    "ionet",
    "io.net",
    (
        "GPU cloud paying $IO block rewards to staked, idle GPUs; other programs may use at "
        "most 20 % of the GPU (5 % on an RTX 4090 or 5090), so RigPilot stops io.net whenever "
        "you game. RigPilot runs the launch binary you download and stops only io.net's "
        "containers; the account, device, staking and Explorer token come from io.net's site."
    ),
    frozenset({"linux", "windows"}),
    lazy_factory("desktop.networks.ionet"),
)
LINK_NEEDS = LinkNeeds(  # networks.md §2: the airdrop minimum (500/250 and < 30 ms advised)
    "ionet",
    "io.net",
    100.0,
    75.0,
    source="docs.io.net, device-onboarding: 100 Mb/s down and 75 up at least; 500/250 and a "
    "ping under 30 ms recommended",
)
