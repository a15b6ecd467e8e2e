"""Contract case: Vast.ai (networks.md §5; tests/data/vast/README.md says where each
recorded answer's shape comes from, and which fields are not documented)."""

from pathlib import Path

from desktop.model import NodeState

NETWORK = "vast"
TIMEOUT_S = 1.0  # RIGPILOT_VAST_TIMEOUT_S below
CREDENTIALS = {"api_key": "vast-test-key", "dedicated": "yes"}
ROUTES = {
    "GET /api/v0/machines": "machines.json",
    "GET /api/v0/users/me/machine-earnings": "earnings.json",
    "DELETE /api/v0/machines/31742/asks/": "unlist.json",
    "PUT /api/v0/machines/create_asks/": "list.json",
}
HEALTHY = {
    "listed, waiting for a renter": ({}, NodeState.IDLE),
    "rented": ({"GET /api/v0/machines": "machines_rented.json"}, NodeState.BUSY),
    "rented, unlisted": (
        {"GET /api/v0/machines": "machines_unlisted_rented.json"},
        NodeState.BUSY,
    ),
    "unlisted elsewhere": ({"GET /api/v0/machines": "machines_unlisted.json"}, NodeState.OFFLINE),
}
EARNED = {"USD": "19.18"}  # summary: 18.4 GPU + 0.62 storage + 0.11 up + 0.05 down
REPUTATION = {"score": 98.62, "verified": True}
RATE_LIMITED = (429, "rate_limited.json")
EXPIRED = (401, "unauthorized.json")
RENEW_HINT = "rigpilot enroll vast"
UNSEEN = {"GET /api/v0/machines": "machines_unseen.json"}
MISSING = {"GET /api/v0/machines": (200, b'{"machines": [{"id": 31742}]}')}
PAUSE = ("DELETE /api/v0/machines/31742/asks/", {})
RESUME = ("PUT /api/v0/machines/create_asks/", {"machine": 31742, "price_gpu": 0.42})


def env(url: str, tmp: Path) -> dict[str, str]:
    return {
        "RIGPILOT_VAST_API": f"{url}/api/v0",
        "RIGPILOT_VAST_TIMEOUT_S": str(TIMEOUT_S),
        "RIGPILOT_VAST_SPACING_S": "0",
    }
