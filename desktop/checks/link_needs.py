"""What a network needs of the internet connection, as its module declares it.

Why here, in the doctor's package: the doctor measures the connection and judges it against
every network's minimum, but may not import the network layer (import-linter: the checks
stay below it). So a network module declares ``LINK_NEEDS = LinkNeeds(...)`` with this
plain type, and the CLI (which may read the registry) hands the list to the doctor
(desktop/networks/link.py gathers them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkNeeds:
    """One network's documented minimums.

    Attributes:
        network, name: its id and its name as people know it.
        down_mbps, up_mbps: the least download and upload speed, in megabits a second.
        max_latency_ms: the most round-trip time it accepts (None: it says nothing).
        inbound: what it needs to reach this computer from outside (forwarded ports), in
            words; "" when it connects out only.
        inbound_ports: the TCP ports it needs reachable, when it names them.
        source: where the minimums are documented.
    """

    network: str
    name: str
    down_mbps: float
    up_mbps: float
    max_latency_ms: float | None = None
    inbound: str = ""
    inbound_ports: tuple[int, ...] = ()
    source: str = ""

    def minimum(self) -> str:
        """ "100 Mb/s down, 50 up" (and the latency when there is one)."""
        text = f"{self.down_mbps:g} Mb/s down, {self.up_mbps:g} up"
        if self.max_latency_ms is not None:
            text += f", under {self.max_latency_ms:g} ms"
        return text
