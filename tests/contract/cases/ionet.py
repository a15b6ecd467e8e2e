"""Contract case: io.net (networks.md §2): the Explorer API, with the user's Explorer token
(tests/data/ionet/README.md says where each recorded answer comes from).

The worker's containers are the part that is not an HTTP answer; they run on the real
engine in tests/integration/test_ionet_containers.py, so ``prepare`` stands a running
worker in. The token is a JWT whose ``exp`` is in the year 2100.
"""

import base64
import json
import sys
from pathlib import Path
from typing import Any

from desktop.model import NodeState
from desktop.networks.ionet_containers import IoContainer, Listing


def _jwt(exp: int) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'exp': exp})}.c2lnbmF0dXJl"


NETWORK = "ionet"
TIMEOUT_S = 1.0  # RIGPILOT_IONET_TIMEOUT_S below
CREDENTIALS = {
    "launch_binary": sys.executable,  # any executable: the binary is not run here
    "device_id": "c4ba4d4b-8762-4437-b82c-6f78a20a8cb5",
    "device_name": "contract rig",
    "token": "device-refresh-token",
    "explorer_token": _jwt(4_102_444_800),
}
ROUTES = {
    "GET /v1/io-explorer/devices/*/summary": "device_summary.json",
    "GET /v1/io-explorer/devices/*/details": "device_details.json",
    "GET /v1/io-explorer/devices/*/pow-summary": "pow_summary.json",
    "GET /v1/io-blocks/devices/*/block-rewards-summary/*/*": "block_rewards_summary.json",
}
HEALTHY = {"the worker runs, not hired": ({}, NodeState.IDLE)}
EARNED = {"IO": "3.75"}  # the block rewards of the 30 days asked
REPUTATION = {"uptime_pct": 78.0, "verified": True, "pow_jobs_passed": 23}  # 100 - 22 % down
EXPIRED = (401, b'{"detail": "Invalid or expired token"}')  # not documented: see README
RENEW_HINT = "rigpilot enroll ionet"
MISSING = {"GET /v1/io-explorer/devices/*/summary": (200, b'{"status": "succeeded"}')}


def env(url: str, tmp: Path) -> dict[str, str]:
    return {"RIGPILOT_IONET_EXPLORER": url, "RIGPILOT_IONET_TIMEOUT_S": str(TIMEOUT_S)}


class RunningWorker:
    """io.net's two containers, standing in: both run."""

    def listing(self) -> Listing:
        return Listing(
            io=[
                IoContainer("c1", "w", "ionetcontainers/io-worker-vc:latest", "running", pid=1),
                IoContainer("c2", "m", "ionetcontainers/io-worker-monitor:latest", "running"),
            ]
        )

    def stop(self, grace_s: int) -> list[str]:
        return []

    def agent_pids(self) -> set[int]:
        return set()


def prepare(adapter: Any) -> None:
    adapter.containers = RunningWorker()
