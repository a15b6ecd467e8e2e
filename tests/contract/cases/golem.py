"""Contract case: Golem (networks.md §3): yagna's local REST API and Golem's public stats
(tests/data/golem/README.md says where each recorded answer's shape comes from).

yagna and ya-provider are processes; they run for real (stand-in executables) in
tests/integration/test_golem_processes.py, so ``prepare`` stands running ones in. The app
key is RigPilot's own, read from yagna; the user gives no credential (EXPIRED is None).
"""

from pathlib import Path
from typing import Any

from desktop.model import NodeState

NETWORK = "golem"
TIMEOUT_S = 1.0  # RIGPILOT_GOLEM_TIMEOUT_S below
CREDENTIALS = {"yagna": str(Path(__file__).resolve().parents[2] / "stand_ins" / "yagna")}
ROUTES = {
    "GET /me": "me.json",
    "GET /market-api/v1/agreements": "agreements_none.json",
    "GET /activity-api/v1/activity": "activities.json",
    "GET /activity-api/v1/activity/*/state": "activity_state_terminated.json",
    "GET /payment-api/v1/invoices": "invoices.json",
    "GET /v2/provider/node/*": "stats_node.json",
    "GET /v2/provider/uptime/*": "stats_uptime.json",
}
COMPUTING = {
    "GET /market-api/v1/agreements": "agreements.json",
    "GET /activity-api/v1/activity/*/state": "activity_state_ready.json",
}
HEALTHY = {
    "offering, no agreement": ({}, NodeState.IDLE),
    "an agreement whose activity ended": (
        {"GET /market-api/v1/agreements": "agreements.json"},
        NodeState.IDLE,
    ),
    "computing": (COMPUTING, NodeState.BUSY),
}
EARNED = {"GLM": "0.125"}  # the settled invoice; the issued one is pending
REPUTATION = {"uptime_pct": 96.5, "verified": True, "task_reputation": 0.92}
EXPIRED = None
UNSEEN = {
    "GET /market-api/v1/agreements": "agreements.json",
    "GET /activity-api/v1/activity/*/state": "activity_state_unseen.json",
}
MISSING = {"GET /me": (200, b'{"name": "rigpilot-node", "role": "manager"}')}


def env(url: str, tmp: Path) -> dict[str, str]:
    return {
        "RIGPILOT_GOLEM_YAGNA_API": url,
        "RIGPILOT_GOLEM_STATS": url,
        "RIGPILOT_GOLEM_TIMEOUT_S": str(TIMEOUT_S),
    }


class Running:
    """A program standing in: it runs."""

    def running(self) -> bool:
        return True

    def pid(self) -> int:
        return 1

    def exit_code(self) -> None:
        return None

    def stop(self, wait_s: float = 0.0) -> None:
        return None

    def tail(self, lines: int = 5) -> str:
        return ""


class RunningNode:
    """yagna and ya-provider, standing in: both run."""

    def __init__(self) -> None:
        self.yagna, self.provider = Running(), Running()


def prepare(adapter: Any) -> None:
    adapter.make_node = lambda binaries: RunningNode()
