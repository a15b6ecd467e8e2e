"""A third network, in one module: what adding a network takes (issue 13).

Loaded only through ``RIGPILOT_EXTRA_NETWORKS=tests.unit.networks.third_network``; no other
file names it. It runs a pretend agent in-process (a flag and a file in the worker's data
folder), asks for an API key (so the keyring path is used), and reports a reputation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from desktop.model import CheckResult, NetworkPenalties, NodeState
from desktop.networks.base import EnrollmentError
from desktop.networks.records import (
    ActionRequired,
    CredentialField,
    CredentialKind,
    HostFacts,
    Reputation,
    StatusSnapshot,
    requirement,
)
from desktop.networks.spec import AdapterContext, NetworkSpec, wall_now


class ThirdNetwork:
    id = "third"
    display_name = "Third network"
    description = "A stand-in marketplace that exists only in RigPilot's tests."

    def __init__(self, state_file: Path | None) -> None:
        self.state_file = state_file
        self.key: str | None = None
        self.running = False

    def credential_schema(self) -> Sequence[CredentialField]:
        return [CredentialField("api_key", CredentialKind.API_KEY, True, "any text", secret=True)]

    def requirements(self, facts: HostFacts) -> list[CheckResult]:
        return [requirement("third.linux", "Linux", facts.os == "linux", facts.os, "Use Linux.")]

    def penalties(self) -> NetworkPenalties:
        return NetworkPenalties(can_pause=False)

    def enroll(self, creds: Mapping[str, str]) -> ActionRequired | None:
        if creds.get("api_key") == "bad":
            raise EnrollmentError("The third network refused this key.", "api_key")
        self.key = creds.get("api_key")
        return None

    def remove(self) -> None:
        self.key = None

    def start(self) -> None:
        self.running = True
        if self.state_file is not None:
            self.state_file.write_text("running")

    def stop(self, graceful: bool, timeout_s: float) -> None:
        self.running = False
        if self.state_file is not None:
            self.state_file.write_text("stopped")

    def status(self) -> StatusSnapshot:
        if self.key is None:
            return StatusSnapshot(NodeState.NOT_ENROLLED, "", wall_now())
        state = NodeState.IDLE if self.running else NodeState.OFFLINE
        return StatusSnapshot(state, "ready" if self.running else "down", wall_now())

    def reputation(self) -> Reputation:
        return Reputation(uptime_pct=None, score=88.0)


def _build(ctx: AdapterContext) -> ThirdNetwork:
    return ThirdNetwork(None if ctx.data_dir is None else ctx.data_dir / "third-network.state")


SPEC = NetworkSpec(
    ThirdNetwork.id,
    ThirdNetwork.display_name,
    ThirdNetwork.description,
    frozenset({"linux"}),
    _build,
    details_every_s=0.0,
)
