"""Contract case: Clore.ai (networks.md §7; tests/data/clore/README.md says where each
recorded answer's shape comes from)."""

from pathlib import Path

from desktop.model import NodeState

NETWORK = "clore"
TIMEOUT_S = 1.0  # RIGPILOT_CLORE_TIMEOUT_S below
CREDENTIALS = {"api_key": "clore-test-key"}
ROUTES = {
    "GET /v1/my_servers": "my_servers.json",
    "GET /v1/server_config": "server_config.json",
    "GET /v1/wallets": "wallets.json",
    "POST /v1/set_server_settings": "set_server_settings.json",
}
HEALTHY = {
    "online, not rented": ({}, NodeState.IDLE),
    "rented on demand": ({"GET /v1/server_config": "server_config_rented.json"}, NodeState.BUSY),
    "rented on the spot market": (
        {"GET /v1/server_config": "server_config_spot.json"},
        NodeState.BUSY,
    ),
    "offline": ({"GET /v1/server_config": "server_config_offline.json"}, NodeState.OFFLINE),
    "never connected": (
        {"GET /v1/server_config": "server_config_never_connected.json"},
        NodeState.NOT_INSTALLED,
    ),
}
EARNED: dict[str, str] = {}  # Clore.ai reports hosts no per-rental earnings
CLAIMABLE = {"CLORE": "1234.56789", "BTC": "0.00153176"}  # wallet balances (USD is null)
RATE_LIMITED = (200, "code_5_rate_limit.json")
EXPIRED = (200, "code_3_invalid_token.json")
RENEW_HINT = "rigpilot enroll clore"
UNSEEN = {"GET /v1/server_config": "server_config_unseen.json"}
MISSING = {"GET /v1/server_config": (200, b'{"code": 0, "config": {"name": "rig-one"}}')}
PAUSE = ("POST /v1/set_server_settings", {"name": "rig-one", "availability": False})
RESUME = ("POST /v1/set_server_settings", {"name": "rig-one", "availability": True})


def env(url: str, tmp: Path) -> dict[str, str]:
    return {
        "RIGPILOT_CLORE_API": f"{url}/v1",
        "RIGPILOT_CLORE_TIMEOUT_S": str(TIMEOUT_S),
        "RIGPILOT_CLORE_SPACING_S": "0",
    }
