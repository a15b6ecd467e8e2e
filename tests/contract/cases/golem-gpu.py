"""Contract case: Golem GPU, a gpu-golem-live node watched through Golem's public stats
(networks.md §3; tests/data/golem/README.md says where each answer's shape comes from)."""

from pathlib import Path

from desktop.model import NodeState

NETWORK = "golem-gpu"
TIMEOUT_S = 1.0  # RIGPILOT_GOLEM_TIMEOUT_S below
CREDENTIALS = {"node_id": "0x7e5c0bd1b8cbb0ad6b3b1d3c4c2c8f3e0a9f1b2c"}
DATA = "../golem/"  # the same recorded answers as the Golem provider's
ROUTES = {
    "GET /v2/provider/node/*": DATA + "stats_node.json",
    "GET /v2/provider/uptime/*": DATA + "stats_uptime.json",
    "GET /v2/provider/earnings/*/*": DATA + "stats_earnings.json",
}
HEALTHY = {
    "online, not computing": ({}, NodeState.IDLE),
    "computing": ({"GET /v2/provider/node/*": DATA + "stats_node_computing.json"}, NodeState.BUSY),
    "offline": ({"GET /v2/provider/node/*": DATA + "stats_node_offline.json"}, NodeState.OFFLINE),
    "softbanned": (
        {"GET /v2/provider/node/*": DATA + "stats_node_softbanned.json"},
        NodeState.BLOCKED,
    ),
}
EARNED = {"GLM": "1.75"}  # matched 1.25 + not matched 0.5
REPUTATION = {"uptime_pct": 96.5, "verified": True}
EXPIRED = None  # a public API: no credential
MISSING = {
    "GET /v2/provider/node/*": (200, b'[{"node_id": "0x7e5c0bd1b8cbb0ad6b3b1d3c4c2c8f3e0a9f1b2c"}]')
}


def env(url: str, tmp: Path) -> dict[str, str]:
    return {"RIGPILOT_GOLEM_STATS": url, "RIGPILOT_GOLEM_TIMEOUT_S": str(TIMEOUT_S)}
