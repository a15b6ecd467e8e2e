"""Contract case: Akash, monitor only (networks.md §4; tests/data/akash/README.md says
where each recorded answer's shape comes from). The provider's host URI in the Console's
answer points back at the local server, which also answers as the provider's gateway."""

from pathlib import Path

from desktop.model import NodeState

NETWORK = "akash"
TIMEOUT_S = 1.0  # RIGPILOT_AKASH_TIMEOUT_S below
CREDENTIALS = {"provider_address": "akash1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnrujsuw"}
ROUTES = {
    "GET /v1/providers/*": "provider.json",
    "GET /status": "gateway_status.json",
    "GET /v1/provider-earnings/*": "earnings.json",
}
HEALTHY = {
    "online, serving two leases": ({}, NodeState.BUSY),
    "online, no lease": ({"GET /status": "gateway_status_idle.json"}, NodeState.IDLE),
    "offline": ({"GET /v1/providers/*": "provider_offline.json"}, NodeState.OFFLINE),
    "gateway unknown, the Console's GPU count": (
        {"GET /v1/providers/*": "provider_no_gateway.json"},
        NodeState.IDLE,
    ),
}
EARNED = {"AKT": "152.34", "USDC": "4.5"}  # micro-units / 1 000 000 (no ACT earned)
REPUTATION = {"uptime_pct": 98.74, "verified": True}
EXPIRED = None  # public APIs: no credential
UNSEEN = {"GET /v1/providers/*": "provider_unseen.json"}
MISSING = {
    "GET /v1/providers/*": (200, b'{"owner": "akash1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnrujsuw"}')
}


def env(url: str, tmp: Path) -> dict[str, str]:
    return {"RIGPILOT_AKASH_CONSOLE": url, "RIGPILOT_AKASH_TIMEOUT_S": str(TIMEOUT_S)}
