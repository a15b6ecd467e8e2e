"""Contract case: Nosana (networks.md §1): the node's API and the public dashboard.

Both base URLs point at the one local server; the node's container is the only part that
is not an HTTP answer, and it is tested on the real engine elsewhere
(tests/integration/test_nosana_containers.py), so ``prepare`` stands a running one in.
"""

from pathlib import Path
from typing import Any

from desktop.model import NodeState

NETWORK = "nosana"
START = False  # a just-started node is "starting" while its API comes up; it runs already
TIMEOUT_S = 3.0  # the node API's read timeout (desktop/networks/nosana_api.py)
CREDENTIALS: dict[str, str] = {}  # the key file comes from RIGPILOT_NOSANA_KEY
ROUTES = {
    "GET /node/info": "node_info_queued.json",
    "GET /api/nodes/*/specs": "specs.json",
    "GET /api/jobs": "jobs.json",
    "GET /api/stats/earning-history": "earning_history.json",
    "GET /api/benchmarks/node-report": "node_report.json",
}
HEALTHY = {
    "queued": ({}, NodeState.IDLE),
    "running a job": ({"GET /node/info": "node_info_running_job.json"}, NodeState.BUSY),
}
EARNED = {"USD": "6.12"}  # 1.88 + 2.50 + 1.74 in earning-history
CLAIMABLE = {"NOS": "12.5"}  # specs.claimableUptimeNosRewards
REPUTATION = {"uptime_pct": 97.5, "score": 0.93}
UNSEEN = {"GET /node/info": (200, b'{"node": "x", "state": "HIBERNATING"}')}
MISSING = {"GET /node/info": (200, b'{"node": "x", "uptime": 5}')}
EXPIRED = None  # its APIs take no credential (the node's key is a local file)


def env(url: str, tmp: Path) -> dict[str, str]:
    return {
        "RIGPILOT_NOSANA_NODE_API": url,
        "RIGPILOT_NOSANA_DASHBOARD": url,
        "RIGPILOT_NOSANA_KEY": str(tmp / "nosana_key.json"),
    }


class RunningNode:
    """The node container's side, standing in: it runs."""

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg

    def node_state(self) -> tuple[str, int | None]:
        return "running", None

    def start(self) -> None:
        return None

    def stop(self, timeout_s: int = 60) -> None:
        return None

    def remove(self) -> None:
        return None


def prepare(adapter: Any) -> None:
    adapter.containers = RunningNode(adapter.containers.cfg)
